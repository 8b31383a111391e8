import type { Clock } from '../runtime/clock.ts';
import type { CredentialRef, RegistryConfig } from './config.ts';
import { Secret } from './secret.ts';
import type { CredentialSourceName } from './types.ts';
import { DOCKER_HUB_HOSTS, registryVendor } from './vendor.ts';

/**
 * Where the probe's registry credentials come from: environment variables named in config, AWS Secrets
 * Manager, or ECR's GetAuthorizationToken. The AWS calls are behind `CredentialBackends` (implemented in
 * lib/adapters), so this module stays free of SDKs. Results are cached (ECR until its token expires,
 * Secrets Manager for `secretCacheSeconds`) and concurrent lookups for one host share one fetch.
 */

export interface RegistryCredential {
  username: string;
  password: Secret;
  source: Exclude<CredentialSourceName, 'anonymous'>;
}

export interface EcrAuthorization {
  username: string;
  password: Secret;
  /** Epoch ms. */
  expiresAt: number;
}

export interface CredentialBackends {
  /** Secrets Manager GetSecretValue → SecretString. */
  readSecret?: (secretId: string) => Promise<string>;
  /** ECR GetAuthorizationToken for one registry (account) in one region. */
  ecrAuthorization?: (request: { region: string; registryId?: string }) => Promise<EcrAuthorization>;
}

export interface CredentialLookup {
  credential: RegistryCredential | null;
  /** Why configured credentials could not be read (never contains the secret). */
  error: string | null;
}

/** `{ registryId, region }` for an ECR registry host; null for any other host. */
export function ecrHost(host: string): { registryId: string; region: string } | null {
  const vendor = registryVendor(host);
  return vendor?.kind === 'ecr' ? { registryId: vendor.registryId, region: vendor.region } : null;
}

/** Hosts compare as the image names them, Docker Hub's several names being one. */
export function credentialHostKey(host: string): string {
  const value = host
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '');
  return DOCKER_HUB_HOSTS.has(value) ? 'docker.io' : value;
}

/** `*` matches one DNS label (as kubelet's credential provider matchImages do); the port must match exactly. */
export function hostMatches(pattern: string, host: string): boolean {
  const p = credentialHostKey(pattern);
  const h = credentialHostKey(host);
  if (!p.includes('*')) return p === h;
  const regex = new RegExp(
    `^${p
      .split('*')
      .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
      .join('[^.:]+')}$`,
  );
  return regex.test(h);
}

/**
 * Reads a stored secret string: `{"username","password"}` or a Docker config (`{"auths":{host:{auth}}}`,
 * what a kubernetes.io/dockerconfigjson secret holds). Throws an Error that never quotes the secret.
 */
export function parseSecretString(text: string, host: string): { username: string; password: Secret } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('secret is not JSON (expected {"username","password"} or a Docker config with "auths")');
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  if (typeof record.username === 'string' && typeof record.password === 'string') {
    return { username: record.username, password: new Secret(record.password) };
  }
  const auths = record.auths as Record<string, Record<string, unknown>> | undefined;
  if (auths && typeof auths === 'object') {
    const key = credentialHostKey(host);
    const entry = Object.entries(auths).find(([name]) => credentialHostKey(name) === key)?.[1];
    if (!entry) throw new Error(`secret has no "auths" entry for ${key}`);
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      return { username: entry.username, password: new Secret(entry.password) };
    }
    if (typeof entry.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0)
        return { username: decoded.slice(0, colon), password: new Secret(decoded.slice(colon + 1)) };
    }
    throw new Error(`the "auths" entry for ${key} has neither username/password nor a valid auth field`);
  }
  throw new Error('secret has neither username/password nor "auths"');
}

interface CacheEntry {
  lookup: CredentialLookup;
  expiresAt: number;
}

export interface CredentialResolverOptions {
  config: RegistryConfig;
  backends?: CredentialBackends;
  env?: Record<string, string | undefined>;
  clock: Clock;
  /** Credentials given in code (the CLI's --username/--password-stdin), by host; they win over config. */
  static?: Record<string, { username: string; password: Secret }>;
}

export class CredentialResolver {
  readonly #options: CredentialResolverOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<CredentialLookup>>();

  constructor(options: CredentialResolverOptions) {
    this.#options = options;
  }

  /** The configured reference for a host (exact entry first, then wildcard patterns), or ECR auto-detection. */
  referenceFor(host: string): CredentialRef | null {
    const entries = Object.entries(this.#options.config.credentials);
    const exact = entries.find(([pattern]) => !pattern.includes('*') && hostMatches(pattern, host));
    const wildcard = entries.find(([pattern]) => pattern.includes('*') && hostMatches(pattern, host));
    const found = exact?.[1] ?? wildcard?.[1];
    if (found) return found;
    if (this.#options.config.ecrAutoDetect && ecrHost(host)) return { ecr: true };
    return null;
  }

  async resolve(host: string): Promise<CredentialLookup> {
    const key = credentialHostKey(host);
    const fixed = Object.entries(this.#options.static ?? {}).find(([pattern]) =>
      hostMatches(pattern, key),
    )?.[1];
    if (fixed) return { credential: { ...fixed, source: 'static' }, error: null };
    const now = this.#options.clock();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > now) return cached.lookup;
    const running = this.#inflight.get(key);
    if (running) return running;
    const pending = this.#fetch(key).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, pending);
    return pending;
  }

  async #fetch(host: string): Promise<CredentialLookup> {
    const ref = this.referenceFor(host);
    if (!ref) return { credential: null, error: null };
    const now = this.#options.clock();
    try {
      if (ref.passwordEnv !== undefined) {
        const env = this.#options.env ?? process.env;
        const username = ref.username ?? (ref.usernameEnv ? env[ref.usernameEnv] : undefined);
        const password = env[ref.passwordEnv];
        if (!username)
          return { credential: null, error: `environment variable ${ref.usernameEnv} is not set` };
        if (!password)
          return { credential: null, error: `environment variable ${ref.passwordEnv} is not set` };
        return { credential: { username, password: new Secret(password), source: 'config' }, error: null };
      }
      if (ref.secretArn !== undefined) {
        const read = this.#options.backends?.readSecret;
        if (!read) return { credential: null, error: 'Secrets Manager is not available to this process' };
        const parsed = parseSecretString(await read(ref.secretArn), host);
        const lookup: CredentialLookup = {
          credential: { ...parsed, source: 'secrets-manager' },
          error: null,
        };
        this.#cache.set(host, { lookup, expiresAt: now + this.#options.config.secretCacheSeconds * 1000 });
        return lookup;
      }
      const ecr = this.#options.backends?.ecrAuthorization;
      if (!ecr) return { credential: null, error: 'ECR is not available to this process' };
      const fromHost = ecrHost(host);
      const region = ref.region ?? fromHost?.region;
      if (!region)
        return { credential: null, error: `no ECR region for ${host}: set credentials.${host}.region` };
      const registryId = ref.registryId ?? fromHost?.registryId;
      const token = await ecr(registryId ? { region, registryId } : { region });
      const lookup: CredentialLookup = {
        credential: { username: token.username, password: token.password, source: 'ecr' },
        error: null,
      };
      // ECR passwords last 12 hours; renew well before, so a probe never presents one that expires mid-way.
      this.#cache.set(host, {
        lookup,
        expiresAt: Math.min(token.expiresAt - 5 * 60_000, now + 6 * 3600_000),
      });
      return lookup;
    } catch (error) {
      return { credential: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
