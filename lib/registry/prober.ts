import tls from 'node:tls';
import { type Clock, systemClock } from '../runtime/clock.ts';
import { parseRegistryConfig, type RegistryConfig, type RegistryConfigInput } from './config.ts';
import { type CredentialBackends, CredentialResolver } from './credentials.ts';
import { type Resolver, systemResolver } from './net.ts';
import { runProbe } from './probe.ts';
import { Secret } from './secret.ts';
import { SsrfGuard } from './ssrf.ts';
import { TokenCache } from './token-cache.ts';
import type { ProbeOptions, ProbeResult, ProbeTarget } from './types.ts';

export interface RegistryProberOptions {
  /** The `registry` config section (validated here; see registryConfigSchema). */
  config?: RegistryConfigInput;
  /** Secrets Manager / ECR access (lib/adapters: secretsManagerBackend, ecrBackend). */
  backends?: CredentialBackends;
  /** Where `passwordEnv`/`usernameEnv` are read; default process.env. */
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Name resolution; default getaddrinfo. Tests pass their own to prove DNS answers are pinned. */
  resolver?: Resolver;
  /** Extra CA certificates (PEM) trusted besides the system roots: a private registry's CA. */
  extraCa?: readonly (string | Buffer)[];
  /** Credentials given in code rather than config (the CLI's --username/--password-stdin), by registry host. */
  credentials?: Record<string, { username: string; password: string | Secret }>;
  /** Receives each step as structured data (already redacted), e.g. a logger's debug. */
  log?: (message: string, data: Record<string, unknown>) => void;
}

/**
 * The registry probe with its long-lived state: validated config, SSRF guard, credential sources and the
 * token cache. Build one per process (a Lambda container, the CLI) and call `probe` per image; tokens and
 * credentials are reused across calls until they expire.
 */
export class RegistryProber {
  readonly config: RegistryConfig;
  readonly tokens: TokenCache;
  readonly credentials: CredentialResolver;
  readonly #guard: SsrfGuard;
  readonly #resolver: Resolver;
  readonly #clock: Clock;
  readonly #extraCa: readonly (string | Buffer)[];
  #secureContext: tls.SecureContext | null = null;
  readonly #log: RegistryProberOptions['log'];

  constructor(options: RegistryProberOptions = {}) {
    this.config = parseRegistryConfig(options.config ?? {});
    this.#guard = new SsrfGuard(this.config.allowHosts);
    this.#resolver = options.resolver ?? systemResolver;
    this.#clock = options.clock ?? systemClock;
    this.#extraCa = options.extraCa ?? [];
    this.#log = options.log;
    this.tokens = new TokenCache();
    const fixed = Object.fromEntries(
      Object.entries(options.credentials ?? {}).map(([host, value]) => [
        host,
        {
          username: value.username,
          password: value.password instanceof Secret ? value.password : new Secret(value.password),
        },
      ]),
    );
    this.credentials = new CredentialResolver({
      config: this.config,
      clock: this.#clock,
      static: fixed,
      ...(options.backends ? { backends: options.backends } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
  }

  /** Runs every check for one image and returns the evidence and verdict. Never throws for registry trouble. */
  /**
   * The trust store, built on first use: it parses every root certificate, which a notify invocation that only
   * updates a message never needs.
   */
  #trust(): tls.SecureContext {
    this.#secureContext ??= tls.createSecureContext(
      this.#extraCa.length > 0 ? { ca: [...tls.rootCertificates, ...this.#extraCa] } : {},
    );
    return this.#secureContext;
  }

  probe(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
    return runProbe(target, options, {
      config: this.config,
      guard: this.#guard,
      resolver: this.#resolver,
      credentials: this.credentials,
      tokens: this.tokens,
      clock: this.#clock,
      secureContext: this.#trust(),
      ...(this.#log ? { log: this.#log } : {}),
    });
  }
}

/** One-off probe with a fresh prober (no token reuse); long-running callers keep a RegistryProber instead. */
export function probeImage(
  target: ProbeTarget,
  options: ProbeOptions & { prober?: RegistryProberOptions } = {},
): Promise<ProbeResult> {
  const { prober, ...probeOptions } = options;
  return new RegistryProber(prober).probe(target, probeOptions);
}
