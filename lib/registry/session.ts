import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import type { Cause } from '../classify/causes.ts';
import type { RegistryConfig } from './config.ts';
import { type HttpResponse, httpRequest, PinnedAgent } from './http.ts';
import {
  connectTcp,
  connectTlsStrict,
  formatAddress,
  handshakeTls,
  networkError,
  ProbeNetError,
  type Resolver,
  resolveHost,
  type TlsResult,
} from './net.ts';
import type { Redactor, Secret } from './secret.ts';
import type { GuardDecision, SsrfGuard } from './ssrf.ts';
import type { ProbeStep, StepName } from './types.ts';

/** Ends the probe with a verdict; thrown by any step, caught once by the probe. */
export class ProbeStop extends Error {
  override readonly name: string = 'ProbeStop';
  readonly cause_: Cause;
  readonly confidence: number;
  readonly blocked: boolean;
  /** The stop came from a connection failing mid-request (no HTTP answer). */
  readonly network: boolean;

  constructor(
    cause: Cause,
    summary: string,
    options: { confidence?: number; blocked?: boolean; network?: boolean } = {},
  ) {
    super(summary);
    this.cause_ = cause;
    this.confidence = options.confidence ?? 0.9;
    this.blocked = options.blocked ?? false;
    this.network = options.network ?? false;
  }
}

export interface Origin {
  scheme: 'https' | 'http';
  host: string;
  port: number;
  address: string;
  hostHeader: string;
  agent: PinnedAgent;
  key: string;
}

type TimeoutKind = keyof RegistryConfig['timeouts'];

export interface SessionOptions {
  guard: SsrfGuard;
  resolver: Resolver;
  config: RegistryConfig;
  deadlineMs: number;
  secureContext: SecureContext;
  redactor: Redactor;
  onStep?: (step: ProbeStep) => void;
}

/** The headers worth keeping as evidence; everything else (cookies, auth) is never recorded. */
const EVIDENCE_HEADERS = [
  'content-type',
  'docker-content-digest',
  'content-length',
  'www-authenticate',
  'docker-distribution-api-version',
  'ratelimit-limit',
  'ratelimit-remaining',
  'docker-ratelimit-source',
  'retry-after',
  'link',
  'location',
];

export function originKey(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function splitHostPort(hostPort: string): { host: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ? Number(bracketed[2]) : null };
  const colon = hostPort.lastIndexOf(':');
  if (colon > 0 && hostPort.indexOf(':') === colon && /^\d+$/.test(hostPort.slice(colon + 1))) {
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
  }
  return { host: hostPort, port: null };
}

function hostHeader(host: string, port: number, explicitPort: boolean): string {
  const name = host.includes(':') ? `[${host}]` : host;
  return explicitPort ? `${name}:${port}` : name;
}

/**
 * One probe's connections, budget and evidence. Every address it connects to passed the SSRF guard; every
 * timeout is cut to what is left of the whole-probe deadline; every recorded text is redacted.
 */
export class ProbeSession {
  readonly steps: ProbeStep[] = [];
  readonly #options: SessionOptions;
  readonly #deadlineAt: number;
  readonly #origins = new Map<string, Origin>();
  readonly #addresses = new Map<string, string[]>();
  readonly #checked = new Map<string, string[]>();

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#deadlineAt = performance.now() + options.deadlineMs;
  }

  get config(): RegistryConfig {
    return this.#options.config;
  }

  record(step: ProbeStep): ProbeStep {
    const clean = (text: string | undefined) =>
      text === undefined ? undefined : this.#options.redactor.clean(text);
    const recorded: ProbeStep = { ...step, summary: clean(step.summary) ?? '' };
    if (step.error !== undefined) recorded.error = clean(step.error);
    if (step.request !== undefined) recorded.request = clean(step.request);
    if (step.headers) {
      recorded.headers = Object.fromEntries(
        Object.entries(step.headers).map(([key, value]) => [key, clean(value) ?? '']),
      );
    }
    if (recorded.durationMs !== undefined) recorded.durationMs = Math.round(recorded.durationMs);
    this.steps.push(recorded);
    this.#options.onStep?.({ ...recorded });
    return recorded;
  }

  /** Milliseconds a step of this kind may take: its own timeout, cut to the deadline. */
  budget(kind: TimeoutKind, before: StepName): number {
    const left = Math.floor(this.#deadlineAt - performance.now());
    if (left <= 0) {
      this.record({
        step: 'deadline',
        ok: false,
        summary: `probe deadline of ${this.#options.deadlineMs} ms reached before the ${before} step`,
      });
      throw new ProbeStop(
        'timeout',
        `the registry did not answer within the probe deadline of ${this.#options.deadlineMs} ms`,
        {
          confidence: 0.7,
        },
      );
    }
    return Math.min(this.#options.config.timeouts[kind], left);
  }

  /**
   * Resolves a host (once per probe: later connections reuse the answer, so a second lookup can never
   * swap in another address) and runs every address through the guard for this port.
   */
  async checkedAddresses(host: string, port: number, evidence: boolean, label = host): Promise<string[]> {
    const guardKey = `${host}|${port}`;
    const checked = this.#checked.get(guardKey);
    if (checked) return checked;
    let addresses = this.#addresses.get(host);
    if (!addresses) {
      const started = performance.now();
      try {
        addresses = (await resolveHost(this.#options.resolver, host, this.budget('dnsMs', 'dns'))).map(
          (a) => a.address,
        );
      } catch (error) {
        if (error instanceof ProbeStop) throw error;
        const failure = networkError(error, `resolving ${label}`);
        this.record({
          step: 'dns',
          ok: false,
          summary: failure.message,
          error: failure.message,
          durationMs: performance.now() - started,
        });
        throw new ProbeStop(failure.probeCause === 'timeout' ? 'dns' : failure.probeCause, failure.message, {
          confidence: 0.9,
        });
      }
      this.#addresses.set(host, addresses);
      if (evidence) {
        this.record({
          step: 'dns',
          ok: true,
          summary:
            net.isIP(host) === 0
              ? `${host} → ${addresses.join(', ')}`
              : `${host} is an IP address: no lookup`,
          durationMs: performance.now() - started,
        });
      }
    }
    const decisions = addresses.map((address) => this.#options.guard.check({ host, port }, address));
    const refused = decisions.filter((d): d is Extract<GuardDecision, { allowed: false }> => !d.allowed);
    if (refused.length > 0) {
      const first = refused[0]!;
      this.record({
        step: 'guard',
        ok: false,
        summary: `refused ${label}: ${first.reason}`,
        error: refused.map((d) => `${d.address}: ${d.range}`).join(', '),
      });
      throw new ProbeStop('unknown', `not checked: ${first.reason}`, { blocked: true, confidence: 0 });
    }
    if (evidence) {
      const opened = decisions.filter((d) => d.allowed && !d.public);
      const via = [...new Set(opened.map((d) => (d.allowed ? d.via : '')))].join(', ');
      this.record({
        step: 'guard',
        ok: true,
        summary:
          opened.length === 0
            ? `${addresses.join(', ')}: public address${addresses.length > 1 ? 'es' : ''}`
            : `${opened.map((d) => d.address).join(', ')} allowed by the allow-list (${via})`,
      });
    }
    this.#checked.set(guardKey, addresses);
    return addresses;
  }

  /** TCP to the first address that answers, trying them in resolver order. */
  async connect(
    addresses: string[],
    port: number,
    evidence: boolean,
  ): Promise<{ socket: net.Socket; address: string }> {
    const started = performance.now();
    const failures: ProbeNetError[] = [];
    for (const address of addresses) {
      try {
        const socket = await connectTcp(address, port, this.budget('connectMs', 'tcp'));
        if (evidence) {
          this.record({
            step: 'tcp',
            ok: true,
            summary: `connected to ${formatAddress(address, port)}`,
            durationMs: performance.now() - started,
          });
        }
        return { socket, address };
      } catch (error) {
        if (error instanceof ProbeStop) throw error;
        failures.push(networkError(error, `connecting to ${formatAddress(address, port)}`));
      }
    }
    const last = failures[failures.length - 1]!;
    const summary = failures.map((f) => f.message).join('; ');
    this.record({ step: 'tcp', ok: false, summary, error: summary, durationMs: performance.now() - started });
    throw new ProbeStop(last.probeCause, summary);
  }

  async tls(socket: net.Socket, host: string): Promise<TlsResult> {
    return handshakeTls(socket, host, this.#options.secureContext, this.budget('tlsMs', 'tls'));
  }

  addOrigin(origin: Omit<Origin, 'key' | 'agent'>, first: net.Socket): Origin {
    const key = originKey(origin.scheme, origin.host, origin.port);
    const secureContext = this.#options.secureContext;
    const agent = new PinnedAgent(
      () =>
        origin.scheme === 'https'
          ? connectTlsStrict(origin.address, origin.port, origin.host, secureContext)
          : net.connect({ host: origin.address, port: origin.port, noDelay: true }),
      first,
    );
    const full: Origin = { ...origin, key, agent };
    this.#origins.set(key, full);
    return full;
  }

  /**
   * An origin the registry sent us to (token realm, redirect, next tag page): checked by the guard and
   * judged like the registry's own, but without separate dns/tcp/tls evidence — a failure is reported by
   * the step that needed it.
   */
  async originFor(url: URL, purpose: StepName): Promise<Origin> {
    const scheme = url.protocol === 'http:' ? 'http' : url.protocol === 'https:' ? 'https' : null;
    if (!scheme)
      throw new ProbeStop('unknown', `${purpose}: unsupported URL scheme ${url.protocol}`, {
        confidence: 0.3,
      });
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
    const key = originKey(scheme, host, port);
    const existing = this.#origins.get(key);
    if (existing) return existing;
    const addresses = await this.checkedAddresses(host, port, false, `${url.host} (${purpose})`);
    const { socket, address } = await this.connect(addresses, port, false).catch((error: unknown) => {
      throw error instanceof ProbeStop ? new ProbeStop(error.cause_, `${purpose}: ${error.message}`) : error;
    });
    if (scheme === 'https') {
      let result: TlsResult;
      try {
        result = await this.tls(socket, host);
      } catch (error) {
        socket.destroy();
        if (error instanceof ProbeStop) throw error;
        const failure = networkError(error, `TLS with ${url.host} (${purpose})`);
        throw new ProbeStop(failure.probeCause === 'unknown' ? 'tls' : failure.probeCause, failure.message);
      }
      if (result.problem) {
        result.socket.destroy();
        throw new ProbeStop(
          'tls',
          `${purpose}: ${url.host} certificate not trusted: ${result.problem.message}`,
        );
      }
      return this.addOrigin(
        { scheme, host, port, address, hostHeader: hostHeader(host, port, url.port !== '') },
        result.socket,
      );
    }
    return this.addOrigin(
      { scheme, host, port, address, hostHeader: hostHeader(host, port, url.port !== '') },
      socket,
    );
  }

  registryOrigin(
    scheme: 'https' | 'http',
    host: string,
    port: number,
    explicitPort: boolean,
    address: string,
    socket: net.Socket,
  ): Origin {
    return this.addOrigin(
      { scheme, host, port, address, hostHeader: hostHeader(host, port, explicitPort) },
      socket,
    );
  }

  /**
   * GET/HEAD with redirects (at most 3, each target through the guard). `authorization` is sent only to the
   * origin it belongs to: a registry redirecting to blob storage never receives the registry's credentials.
   */
  async fetch(
    origin: Origin,
    path: string,
    options: {
      method: 'GET' | 'HEAD';
      headers?: Record<string, string>;
      authorization?: { originKey: string; value: Secret } | null;
      purpose: StepName;
      maxBytes?: number;
    },
  ): Promise<{ response: HttpResponse; url: string }> {
    let current = origin;
    let currentPath = path;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.authorization && options.authorization.originKey === current.key) {
        headers.authorization = options.authorization.value.reveal();
      }
      const url = `${current.scheme}://${current.hostHeader}${currentPath}`;
      let response: HttpResponse;
      try {
        response = await httpRequest({
          agent: current.agent,
          hostHeader: current.hostHeader,
          method: options.method,
          path: currentPath,
          headers,
          timeoutMs: this.budget('requestMs', options.purpose),
          maxBytes: options.maxBytes ?? this.#options.config.maxBodyBytes,
        });
      } catch (error) {
        if (error instanceof ProbeStop) throw error;
        // The step that needed this request records why it got no answer, then the probe ends on it.
        const failure = networkError(error, `${options.method} ${url}`);
        this.record({
          step: options.purpose,
          ok: false,
          summary: failure.message,
          request: `${options.method} ${url}`,
          error: failure.message,
        });
        throw new ProbeStop(failure.probeCause, failure.message, { confidence: 0.8, network: true });
      }
      const location = response.headers.location;
      if (![301, 302, 303, 307, 308].includes(response.status) || !location || hop >= 3) {
        return { response, url };
      }
      const next = new URL(location, url);
      current = await this.originFor(next, options.purpose);
      currentPath = `${next.pathname}${next.search}`;
    }
  }

  close(): void {
    for (const origin of this.#origins.values()) origin.agent.destroy();
    this.#origins.clear();
  }
}

/** The evidence-worthy headers of a response; query strings of redirect targets (signed URLs) are cut. */
export function evidenceHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of EVIDENCE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    let text = Array.isArray(value) ? value.join(', ') : String(value);
    if (name === 'location') text = text.replace(/\?.*$/, '?…');
    out[name] = text.slice(0, 500);
  }
  return out;
}

export { ProbeNetError };
