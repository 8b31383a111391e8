import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import type { Cause } from '../classify/causes.ts';
import type { Clock } from '../runtime/clock.ts';
import { type AuthChallenge, parseChallenges, pickChallenge } from './challenge.ts';
import { closestTags } from './closest-tags.ts';
import type { RegistryConfig } from './config.ts';
import { type CredentialResolver, hostMatches, type RegistryCredential } from './credentials.ts';
import { parseRegistryError, type RegistryErrorBody } from './error-body.ts';
import { httpRequest, PinnedAgent } from './http.ts';
import { nextLink } from './link.ts';
import { MANIFEST_ACCEPT, manifestKind } from './media-types.ts';
import { connectTcp, handshakeTls, networkError, ProbeNetError, type Resolver } from './net.ts';
import { formatPlatform, indexPlatforms, type Platform, platformMatches } from './platform.ts';
import { parseRateLimit, parseRetryAfter, type RateLimit } from './ratelimit.ts';
import { Redactor, Secret } from './secret.ts';
import {
  evidenceHeaders,
  type Origin,
  originKey,
  ProbeSession,
  ProbeStop,
  splitHostPort,
} from './session.ts';
import type { SsrfGuard } from './ssrf.ts';
import { jwtGrantsPull, type TokenCache, tokenExpiry } from './token-cache.ts';
import type { CredentialSourceName, ProbeOptions, ProbeResult, ProbeTarget } from './types.ts';

export interface ProbeDeps {
  config: RegistryConfig;
  guard: SsrfGuard;
  resolver: Resolver;
  credentials: CredentialResolver;
  tokens: TokenCache;
  clock: Clock;
  /** Trust roots, built once per prober: building them per connection costs more than the handshake. */
  secureContext: SecureContext;
  log?: (message: string, data: Record<string, unknown>) => void;
}

interface Authorization {
  kind: 'basic' | 'bearer';
  /** The origin that asked for it, when a redirect target did rather than the registry itself. */
  originKey?: string;
  header: Secret;
  grantsPull: boolean | null;
}

const SMALL_BODY = 64 * 1024;

/** The host that serves a registry's HTTP API: Docker Hub's images live on registry-1.docker.io. */
export function apiHostOf(registry: string): string {
  const lower = registry.toLowerCase();
  return lower === 'docker.io' || lower === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  if (net.isIPv4(lower)) return lower.startsWith('127.');
  return lower === '::1';
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function shortDigest(digest: string | null): string {
  return digest ? `${digest.slice(0, 19)}…` : 'no digest';
}

/** One probe run: the steps of issue 4 in order, each recorded, ending in a verdict. */
class ProbeRun {
  readonly #target: ProbeTarget;
  readonly #options: ProbeOptions;
  readonly #deps: ProbeDeps;
  readonly #session: ProbeSession;
  readonly #redactor = new Redactor();
  readonly #apiHost: string;
  readonly #host: string;
  readonly #explicitPort: number | null;
  readonly #reference: string;
  #credential: RegistryCredential | null | undefined;
  /** GET /v2/ answered 404: whatever answers may not be a registry API at all. */
  #pingNotFound = false;
  #state: Omit<
    ProbeResult,
    | 'image'
    | 'registry'
    | 'apiHost'
    | 'repository'
    | 'reference'
    | 'pullable'
    | 'cause'
    | 'confidence'
    | 'summary'
    | 'steps'
    | 'blocked'
    | 'checkedAt'
    | 'durationMs'
  > = {
    scheme: null,
    address: null,
    auth: { challenge: null, credentials: 'anonymous', tokenFromCache: false },
    manifest: null,
    platform: null,
    tags: null,
    suggestions: [],
    rateLimit: null,
    retryAfterSeconds: null,
  };

  constructor(target: ProbeTarget, options: ProbeOptions, deps: ProbeDeps) {
    this.#target = target;
    this.#options = options;
    this.#deps = deps;
    this.#apiHost = apiHostOf(target.registry);
    const { host, port } = splitHostPort(this.#apiHost);
    this.#host = host;
    this.#explicitPort = port;
    this.#reference = target.digest ?? target.tag ?? 'latest';
    this.#session = new ProbeSession({
      guard: deps.guard,
      resolver: deps.resolver,
      config: deps.config,
      deadlineMs: options.deadlineMs ?? deps.config.deadlineMs,
      secureContext: deps.secureContext,
      redactor: this.#redactor,
      onStep: (step) => {
        deps.log?.('registry probe step', { image: this.image, ...step });
        options.onStep?.(step);
      },
    });
  }

  get image(): string {
    const t = this.#target;
    return `${t.registry}/${t.repository}${t.tag ? `:${t.tag}` : ''}${t.digest ? `@${t.digest}` : ''}`;
  }

  async run(): Promise<ProbeResult> {
    const startedAt = this.#deps.clock();
    const started = performance.now();
    let verdict: {
      pullable: boolean;
      cause: Cause | null;
      confidence: number;
      summary: string;
      blocked: boolean;
    };
    try {
      verdict = { ...(await this.#steps()), blocked: false };
    } catch (error) {
      verdict = this.#verdictFrom(error);
    } finally {
      this.#session.close();
    }
    return {
      image: this.image,
      registry: this.#target.registry,
      apiHost: this.#apiHost,
      repository: this.#target.repository,
      reference: this.#reference,
      ...verdict,
      summary: this.#redactor.clean(verdict.summary),
      steps: this.#session.steps,
      ...this.#state,
      checkedAt: new Date(startedAt).toISOString(),
      durationMs: Math.round(performance.now() - started),
    };
  }

  #verdictFrom(error: unknown) {
    if (error instanceof ProbeStop) {
      return {
        pullable: false,
        cause: error.cause_,
        confidence: error.confidence,
        summary: error.message,
        blocked: error.blocked,
      };
    }
    const failure = error instanceof ProbeNetError ? error : networkError(error, 'probe');
    this.#session.record({ step: 'error', ok: false, summary: failure.message, error: failure.message });
    return {
      pullable: false,
      cause: failure.probeCause,
      confidence: 0.6,
      summary: failure.message,
      blocked: false,
    };
  }

  async #steps(): Promise<{ pullable: boolean; cause: Cause | null; confidence: number; summary: string }> {
    const origin = await this.#openRegistry();
    let authorization: Authorization | null = null;
    const ping = await this.#ping(origin);
    if (ping.status === 401) authorization = await this.#authorize(ping.headers['www-authenticate']);
    else this.#state.auth.challenge = 'none';

    const manifestPath = `/v2/${this.#target.repository}/manifests/${this.#reference}`;
    let head = await this.#manifestRequest(origin, manifestPath, 'HEAD', authorization);
    if (head.response.status === 401 && !authorization && head.response.headers['www-authenticate']) {
      // Registries that leave /v2/ open still guard repositories: answer the manifest's own challenge once.
      authorization = await this.#authorize(head.response.headers['www-authenticate']);
      // A redirect target's challenge is answered for that host only, as containerd re-authorizes each hop.
      const challenger = urlOriginKey(head.url);
      if (authorization && challenger && challenger !== origin.key) {
        authorization = { ...authorization, originKey: challenger };
      }
      head = await this.#manifestRequest(origin, manifestPath, 'HEAD', authorization);
    }
    const status = head.response.status;
    let code: string | undefined;
    let detail: RegistryErrorBody | null = null;
    if (status >= 400 && status !== 429) {
      // HEAD answers carry no body: ask again with GET for the registry's error code and message (GAR names
      // the missing IAM permission there, ECR says a token expired). HTML or text bodies give neither.
      const get = await this.#manifestRequest(origin, manifestPath, 'GET', authorization, SMALL_BODY);
      detail = parseRegistryError(get.response.body);
      code = detail?.code || undefined;
    }
    const headers = head.response.headers;
    this.#state.rateLimit = parseRateLimit(headers);
    this.#state.retryAfterSeconds = parseRetryAfter(headers['retry-after'], this.#deps.clock());
    const ok = status >= 200 && status < 300;
    this.#session.record({
      step: 'manifest',
      ok,
      summary: `HEAD ${manifestPath} → ${status}${code ? ` ${code}` : ''}${detail?.message ? `: ${detail.message}` : ''}${ok ? `: ${headerText(headers['content-type']) ?? 'no Content-Type'}, ${shortDigest(headerText(headers['docker-content-digest']) ?? null)}` : ''}`,
      request: `HEAD ${head.url}`,
      status,
      ...(code ? { code } : {}),
      headers: evidenceHeaders(headers),
      durationMs: head.response.durationMs,
    });
    if (this.#state.rateLimit) this.#recordRateLimit(this.#state.rateLimit);

    if (!ok) await this.#manifestFailure(origin, status, detail, authorization, headers);
    return this.#manifestFound(origin, manifestPath, headers, authorization);
  }

  /** DNS → guard → TCP → TLS (or plain HTTP where the node would use it), recording each. */
  async #openRegistry(): Promise<Origin> {
    const session = this.#session;
    const policy =
      this.#options.scheme ??
      (isLoopbackHost(this.#host) ||
      this.#deps.config.plainHttpHosts.some((h) => hostMatches(h, this.#apiHost))
        ? 'https-or-http'
        : 'https');
    const explicit = this.#explicitPort !== null;
    const openHttp = async (port: number) => {
      const addresses = await session.checkedAddresses(this.#host, port, true);
      const connected = await session.connect(addresses, port, true);
      this.#state.scheme = 'http';
      this.#state.address = connected.address;
      return session.registryOrigin('http', this.#host, port, explicit, connected.address, connected.socket);
    };
    if (policy === 'http') return openHttp(this.#explicitPort ?? 80);

    const port = this.#explicitPort ?? 443;
    const addresses = await session.checkedAddresses(this.#host, port, true);
    let connected: { socket: net.Socket; address: string };
    try {
      connected = await session.connect(addresses, port, true);
    } catch (error) {
      if (policy === 'https-or-http' && !explicit && error instanceof ProbeStop && !error.blocked) {
        return openHttp(80);
      }
      throw error;
    }
    this.#state.address = connected.address;
    const started = performance.now();
    let result: Awaited<ReturnType<ProbeSession['tls']>>;
    try {
      result = await session.tls(connected.socket, this.#host);
    } catch (error) {
      connected.socket.destroy();
      if (error instanceof ProbeStop) throw error;
      const failure = networkError(error, `TLS handshake with ${this.#apiHost}`);
      if (failure.probeCause !== 'timeout') {
        const plain = await this.#answersPlainHttp(connected.address, port);
        if (plain !== null && policy === 'https-or-http') {
          session.record({
            step: 'tls',
            ok: true,
            summary: `no TLS on port ${port}: the registry speaks plain HTTP (GET /v2/ → ${plain}), which runtimes accept for loopback and configured plain-HTTP registries`,
            durationMs: performance.now() - started,
          });
          return openHttp(port);
        }
        if (plain !== null) {
          session.record({
            step: 'tls',
            ok: false,
            summary: `HTTPS expected, but ${this.#apiHost} answers plain HTTP on port ${port} (GET /v2/ → ${plain})`,
            error: failure.message,
            durationMs: performance.now() - started,
          });
          throw new ProbeStop(
            'http_vs_https',
            `${this.#apiHost} speaks plain HTTP on port ${port}, but HTTPS is expected: the server gave an HTTP response to an HTTPS client`,
            { confidence: 0.95 },
          );
        }
      }
      session.record({
        step: 'tls',
        ok: false,
        summary: failure.message,
        error: failure.message,
        durationMs: performance.now() - started,
      });
      throw new ProbeStop(failure.probeCause === 'unknown' ? 'tls' : failure.probeCause, failure.message);
    }
    const cert = result.certificate;
    const certText = cert
      ? `certificate ${cert.subject || '(no subject)'} [${cert.altNames || 'no SAN'}] issued by ${cert.issuer || '?'}, valid ${cert.validFrom.slice(0, 10)} to ${cert.validTo.slice(0, 10)}`
      : 'no certificate';
    if (result.problem) {
      result.socket.destroy();
      const why = describeCertificateProblem(result.problem, cert, this.#host);
      session.record({
        step: 'tls',
        ok: false,
        summary: `${why} (${certText})`,
        error: `${result.problem.code}: ${result.problem.message}`,
        code: result.problem.code,
        durationMs: performance.now() - started,
      });
      throw new ProbeStop('tls', `TLS certificate of ${this.#apiHost}: ${why}`, { confidence: 0.95 });
    }
    const daysLeft = cert ? Math.floor((Date.parse(cert.validTo) - this.#deps.clock()) / 86_400_000) : null;
    session.record({
      step: 'tls',
      ok: true,
      summary: `${result.protocol ?? 'TLS'}, ${certText}${daysLeft !== null && daysLeft < 14 ? ` — expires in ${daysLeft} days` : ''}`,
      durationMs: performance.now() - started,
    });
    this.#state.scheme = 'https';
    return session.registryOrigin('https', this.#host, port, explicit, connected.address, result.socket);
  }

  /** After a failed handshake: does the port answer plain HTTP? Returns the status, or null. */
  async #answersPlainHttp(address: string, port: number): Promise<number | null> {
    let agent: PinnedAgent | undefined;
    try {
      const socket = await connectTcp(address, port, this.#session.budget('connectMs', 'tls'));
      agent = new PinnedAgent(() => socket, socket);
      const response = await httpRequest({
        agent,
        hostHeader: this.#apiHost,
        method: 'GET',
        path: '/v2/',
        timeoutMs: this.#session.budget('requestMs', 'tls'),
        maxBytes: SMALL_BODY,
      });
      return response.status > 0 ? response.status : null;
    } catch (error) {
      if (error instanceof ProbeStop) throw error;
      return null;
    } finally {
      agent?.destroy();
    }
  }

  /** `GET /v2/`: is this a registry, does it want auth, is it healthy? */
  async #ping(origin: Origin) {
    let fetched: Awaited<ReturnType<ProbeSession['fetch']>>;
    try {
      fetched = await this.#session.fetch(origin, '/v2/', {
        method: 'GET',
        purpose: 'ping',
        maxBytes: SMALL_BODY,
      });
    } catch (error) {
      // A TLS-only server may drop a plain-HTTP request instead of answering 400: check before blaming the network.
      if (
        origin.scheme === 'http' &&
        error instanceof ProbeStop &&
        error.network &&
        error.cause_ !== 'timeout' &&
        (await this.#speaksTls(origin))
      ) {
        this.#stopTlsServer(
          origin,
          `GET /v2/ over plain HTTP failed (${error.message}); a TLS handshake succeeds`,
          true,
        );
      }
      throw error;
    }
    const { response, url } = fetched;
    const code = parseRegistryError(response.body)?.code || undefined;
    const status = response.status;
    if (origin.scheme === 'http' && status === 400 && /https/i.test(response.body.toString('utf8'))) {
      const tls = await this.#speaksTls(origin);
      this.#stopTlsServer(
        origin,
        `GET ${url} → 400 "${response.body.toString('utf8').trim().slice(0, 80)}"${tls ? '; a TLS handshake succeeds' : ''}`,
        tls,
      );
    }
    const challenge = pickChallenge(parseChallenges(response.headers['www-authenticate']));
    const okStatus = status === 200 || status === 401;
    this.#session.record({
      step: 'ping',
      ok: okStatus,
      summary:
        status === 200
          ? `GET /v2/ → 200: registry API answers, no authentication needed`
          : status === 401
            ? `GET /v2/ → 401: authentication required (${challenge ? describeChallenge(challenge) : 'no challenge'})`
            : `GET /v2/ → ${status}${code ? ` ${code}` : ''}${status === 404 ? ': no registry API at /v2/' : ''}`,
      request: `GET ${url}`,
      status,
      ...(code ? { code } : {}),
      headers: evidenceHeaders(response.headers),
      durationMs: response.durationMs,
    });
    this.#pingNotFound = status === 404;
    if (status === 429) this.#stopRateLimited(response.headers, `GET /v2/ → 429`);
    if (status >= 500) {
      throw new ProbeStop(
        'registry_server_error',
        `${this.#apiHost} answers GET /v2/ with ${status}${code ? ` ${code}` : ''}: the registry is failing`,
        {
          confidence: 0.9,
        },
      );
    }
    return response;
  }

  /** Does this origin's port complete a TLS handshake (whatever the certificate)? */
  async #speaksTls(origin: Origin): Promise<boolean> {
    try {
      const socket = await connectTcp(origin.address, origin.port, this.#session.budget('connectMs', 'http'));
      const result = await handshakeTls(
        socket,
        origin.host,
        this.#deps.secureContext,
        this.#session.budget('tlsMs', 'http'),
      );
      result.socket.destroy();
      return true;
    } catch (error) {
      if (error instanceof ProbeStop) throw error;
      return false;
    }
  }

  /** Plain HTTP was expected; the server wants TLS. */
  #stopTlsServer(origin: Origin, observed: string, confirmed: boolean): never {
    this.#session.record({
      step: 'http',
      ok: false,
      summary: `plain HTTP expected, but ${this.#apiHost} wants HTTPS on port ${origin.port}: ${observed}`,
    });
    throw new ProbeStop(
      'http_vs_https',
      `${this.#apiHost} speaks HTTPS on port ${origin.port}, but the client used plain HTTP`,
      {
        confidence: confirmed ? 0.95 : 0.8,
      },
    );
  }

  async #lookupCredentials(): Promise<RegistryCredential | null> {
    if (this.#credential !== undefined) return this.#credential;
    const started = performance.now();
    const { credential, error } = await this.#deps.credentials.resolve(this.#target.registry);
    this.#credential = credential;
    if (credential) {
      this.#redactor.addBasic(credential.username, credential.password);
      this.#state.auth.credentials = credential.source;
    }
    this.#session.record({
      step: 'credentials',
      ok: error === null,
      summary: credential
        ? `credentials for ${this.#target.registry} from ${credential.source}`
        : error
          ? `could not read the credentials configured for ${this.#target.registry}: ${error}; continuing anonymously`
          : `no credentials configured for ${this.#target.registry}: anonymous`,
      ...(error ? { error } : {}),
      durationMs: performance.now() - started,
    });
    return credential;
  }

  async #authorize(header: string | string[] | undefined): Promise<Authorization | null> {
    const challenge = pickChallenge(parseChallenges(header));
    if (!challenge) {
      this.#state.auth.challenge = 'other';
      this.#session.record({ step: 'auth', ok: false, summary: '401 without a WWW-Authenticate challenge' });
      throw new ProbeStop('unauthorized', `${this.#apiHost} answers 401 without saying how to authenticate`, {
        confidence: 0.7,
      });
    }
    const credential = await this.#lookupCredentials();
    const source = credential ? `credentials from ${credential.source}` : 'no credentials';
    if (challenge.scheme === 'basic') {
      this.#state.auth.challenge = 'basic';
      this.#session.record({ step: 'auth', ok: true, summary: `${describeChallenge(challenge)}; ${source}` });
      if (!credential) {
        throw new ProbeStop(
          'unauthorized',
          `${this.#target.registry} requires a user name and password (Basic auth) and none are configured for it`,
          { confidence: 0.95 },
        );
      }
      return {
        kind: 'basic',
        header: new Secret(
          `Basic ${Buffer.from(`${credential.username}:${credential.password.reveal()}`).toString('base64')}`,
        ),
        grantsPull: null,
      };
    }
    if (challenge.scheme !== 'bearer') {
      this.#state.auth.challenge = 'other';
      this.#session.record({
        step: 'auth',
        ok: false,
        summary: `unsupported challenge ${describeChallenge(challenge)}`,
      });
      throw new ProbeStop(
        'unauthorized',
        `${this.#apiHost} asks for ${challenge.scheme} authentication, which registries clients do not speak`,
        {
          confidence: 0.6,
        },
      );
    }
    this.#state.auth.challenge = 'bearer';
    this.#session.record({ step: 'auth', ok: true, summary: `${describeChallenge(challenge)}; ${source}` });
    return this.#token(challenge, credential);
  }

  async #token(challenge: AuthChallenge, credential: RegistryCredential | null): Promise<Authorization> {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm ?? '');
    } catch {
      this.#session.record({
        step: 'token',
        ok: false,
        summary: `the Bearer realm is not a URL: ${challenge.params.realm}`,
      });
      throw new ProbeStop('registry_server_error', `${this.#apiHost} sent an unusable token realm`, {
        confidence: 0.6,
      });
    }
    const scope = `repository:${this.#target.repository}:pull`;
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    realm.searchParams.set('scope', scope);
    const identity = credential
      ? createHash('sha256')
          .update(`${credential.source}\0${credential.username}\0${credential.password.reveal()}`)
          .digest('hex')
      : 'anonymous';
    const key = [realm.toString(), identity].join('|');
    const who = credential ? `credentials from ${credential.source}` : 'anonymous';
    const started = performance.now();
    let recorded = false;
    try {
      const { entry, fromCache } = await this.#deps.tokens.getOrFetch(key, this.#deps.clock(), async () => {
        const origin = await this.#session.originFor(realm, 'token');
        const basic = credential
          ? new Secret(
              `Basic ${Buffer.from(`${credential.username}:${credential.password.reveal()}`).toString('base64')}`,
            )
          : null;
        const { response, url } = await this.#session.fetch(origin, `${realm.pathname}${realm.search}`, {
          method: 'GET',
          purpose: 'token',
          authorization: basic ? { originKey: origin.key, value: basic } : null,
          maxBytes: SMALL_BODY,
        });
        const status = response.status;
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
        } catch {
          body = {};
        }
        // Docker Hub sends both fields, ACR only `access_token` (the token spec allows either).
        const token =
          typeof body.token === 'string' && body.token !== ''
            ? body.token
            : typeof body.access_token === 'string' && body.access_token !== ''
              ? body.access_token
              : null;
        if (token) this.#redactor.add(token);
        const failed = status !== 200 || !token;
        if (failed) {
          const detail = parseRegistryError(response.body);
          recorded = true;
          this.#session.record({
            step: 'token',
            ok: false,
            summary: `token for ${scope} (${who}) → ${status}${detail?.message ? `: ${detail.message}` : ''}`,
            request: `GET ${url}`,
            status,
            ...(detail?.code ? { code: detail.code } : {}),
            headers: evidenceHeaders(response.headers),
            durationMs: response.durationMs,
          });
          if (status === 403 && credential && !EXPIRED.test(detail?.message ?? '')) {
            // GAR and GHCR refuse the token itself when valid credentials lack read access on the repository.
            throw new ProbeStop(
              'forbidden',
              `the token service at ${realm.host} accepts the credentials from ${credential.source} but denies pull on ${this.#target.repository} (403${detail?.code ? ` ${detail.code}` : ''}${detail?.message ? `: ${detail.message}` : ''})`,
              { confidence: 0.9 },
            );
          }
          if (status === 403 && !credential) {
            throw new ProbeStop(
              'forbidden',
              `the token service at ${realm.host} denies anonymous pull of ${this.#target.repository} (403${detail?.code ? ` ${detail.code}` : ''}${detail?.message ? `: ${detail.message}` : ''}): it is private, or it does not exist`,
              { confidence: 0.85 },
            );
          }
          if (status === 401 || status === 403) {
            throw new ProbeStop(
              'unauthorized',
              credential
                ? `the token service at ${realm.host} rejected the credentials from ${credential.source} for ${this.#target.registry}`
                : `the token service at ${realm.host} requires credentials for ${this.#target.repository}, and none are configured for ${this.#target.registry}`,
              { confidence: 0.95 },
            );
          }
          if (status === 429) this.#stopRateLimited(response.headers, `token service → 429`);
          if (status >= 500) {
            throw new ProbeStop(
              'registry_server_error',
              `the token service at ${realm.host} answers ${status}`,
              { confidence: 0.85 },
            );
          }
          throw new ProbeStop(
            'registry_server_error',
            `the token service at ${realm.host} answered ${status} without a token`,
            {
              confidence: 0.6,
            },
          );
        }
        return {
          token: new Secret(token),
          expiresAt: tokenExpiry(body, this.#deps.clock()),
          grantsPull: jwtGrantsPull(token, this.#target.repository),
        };
      });
      this.#redactor.add(entry.token);
      this.#state.auth.tokenFromCache = fromCache;
      const grants =
        entry.grantsPull === null
          ? ''
          : entry.grantsPull
            ? '; grants pull'
            : `; grants no pull on ${this.#target.repository}`;
      this.#session.record({
        step: 'token',
        ok: true,
        summary: `token for ${scope} (${who})${fromCache ? ' from cache' : ''}, valid ${Math.max(0, Math.round((entry.expiresAt - this.#deps.clock()) / 1000))} s more${grants}`,
        request: `GET ${realm.origin}${realm.pathname}?${realm.searchParams.toString()}`,
        durationMs: performance.now() - started,
      });
      return {
        kind: 'bearer',
        header: new Secret(`Bearer ${entry.token.reveal()}`),
        grantsPull: entry.grantsPull,
      };
    } catch (error) {
      if (!recorded) {
        const message = error instanceof Error ? error.message : String(error);
        this.#session.record({
          step: 'token',
          ok: false,
          summary: `token for ${scope} (${who}): ${message}`,
          error: message,
        });
      }
      if (error instanceof ProbeStop) throw error;
      const failure = networkError(error, `token service at ${realm.host}`);
      throw new ProbeStop(failure.probeCause, failure.message);
    }
  }

  #manifestRequest(
    origin: Origin,
    path: string,
    method: 'GET' | 'HEAD',
    auth: Authorization | null,
    maxBytes?: number,
  ) {
    return this.#session.fetch(origin, path, {
      method,
      headers: { accept: MANIFEST_ACCEPT },
      authorization: auth ? { originKey: auth.originKey ?? origin.key, value: auth.header } : null,
      purpose: 'manifest',
      ...(maxBytes ? { maxBytes } : {}),
    });
  }

  #recordRateLimit(limit: RateLimit): void {
    const hours = limit.windowSeconds ? ` per ${Math.round(limit.windowSeconds / 360) / 10} h` : '';
    this.#session.record({
      step: 'ratelimit',
      ok: limit.remaining !== 0,
      summary: `${limit.remaining ?? '?'} of ${limit.limit ?? '?'} pulls left${hours}${limit.source ? ` (counted for ${limit.source})` : ''}`,
    });
  }

  #stopRateLimited(headers: IncomingHttpHeaders, what: string): never {
    const retry = parseRetryAfter(headers['retry-after'], this.#deps.clock());
    this.#state.retryAfterSeconds = retry;
    this.#state.rateLimit = parseRateLimit(headers) ?? this.#state.rateLimit;
    throw new ProbeStop(
      'rate_limited',
      `${this.#target.registry} is rate-limiting this client (${what}${retry !== null ? `, retry after ${retry} s` : ''})`,
      { confidence: 0.95 },
    );
  }

  async #manifestFailure(
    origin: Origin,
    status: number,
    detail: RegistryErrorBody | null,
    auth: Authorization | null,
    headers: IncomingHttpHeaders,
  ): Promise<never> {
    const repo = this.#target.repository;
    const registry = this.#target.registry;
    const credential = this.#credential ?? null;
    const code = detail?.code || undefined;
    const said = detail?.message ? `: ${detail.message}` : '';
    if ((status === 401 || status === 403) && credential && EXPIRED.test(detail?.message ?? '')) {
      // ECR answers an expired authorization token with 403 DENIED "Your authorization token has expired".
      throw new ProbeStop(
        'unauthorized',
        `the credentials from ${credential.source} for ${registry} have expired (${status}${code ? ` ${code}` : ''}${said})`,
        { confidence: 0.95 },
      );
    }
    if (status === 401) {
      // Docker Hub, GitLab, Harbor: a token without pull on the repository gets 401 error="insufficient_scope".
      const scopeNote = insufficientScope(headers['www-authenticate']) ? ', insufficient_scope' : '';
      if (auth?.kind === 'basic') {
        throw new ProbeStop(
          'unauthorized',
          `${registry} rejected the credentials from ${credential?.source ?? 'config'} (401${code ? ` ${code}` : ''})`,
          {
            confidence: 0.95,
          },
        );
      }
      if (auth?.kind === 'bearer' && credential) {
        throw new ProbeStop(
          'forbidden',
          `the credentials from ${credential.source} are valid, but they may not pull ${repo} (or it does not exist): 401${code ? ` ${code}` : ''}${scopeNote} with a token`,
          { confidence: 0.8 },
        );
      }
      throw new ProbeStop(
        'repo_not_found_or_denied',
        `anonymous pull of ${repo} is refused (401${code ? ` ${code}` : ''}${scopeNote}): the repository does not exist or is private and needs credentials`,
        { confidence: 0.7 },
      );
    }
    if (status === 403) {
      throw new ProbeStop(
        'forbidden',
        `${registry} denies pulling ${repo} ${credential ? `with the credentials from ${credential.source}` : 'anonymously'} (403${code ? ` ${code}` : ''}${said})`,
        { confidence: 0.9 },
      );
    }
    if (status === 429) this.#stopRateLimited(headers, 'manifest → 429');
    if (status >= 500) {
      throw new ProbeStop(
        'registry_server_error',
        `${registry} answers ${status}${code ? ` ${code}` : ''}${said} for the manifest of ${repo}:${this.#reference}`,
        {
          confidence: 0.9,
        },
      );
    }
    if (status === 404 && code === 'NAME_UNKNOWN') {
      throw new ProbeStop(
        'repo_not_found',
        `repository ${repo} does not exist on ${registry} (NAME_UNKNOWN${said})`,
        { confidence: 0.95 },
      );
    }
    if (status === 404 && code === 'NAME_INVALID') {
      throw new ProbeStop('invalid_reference', `${registry} says ${repo} is not a valid repository name`, {
        confidence: 0.9,
      });
    }
    if (status === 404) await this.#missingManifest(origin, auth, code);
    throw new ProbeStop(
      'unknown',
      `${registry} answered ${status}${code ? ` ${code}` : ''}${said} for the manifest`,
      { confidence: 0.4 },
    );
  }

  /** The manifest is unknown: list the repository's tags to tell a missing tag from a missing repository. */
  async #missingManifest(
    origin: Origin,
    auth: Authorization | null,
    manifestCode: string | undefined,
  ): Promise<never> {
    const repo = this.#target.repository;
    const registry = this.#target.registry;
    const config = this.#deps.config;
    const firstPath = `/v2/${repo}/tags/list?n=${config.tagPageSize}`;
    const tags: string[] = [];
    let current = origin;
    let path = firstPath;
    let sizeDropped = false;
    let pages = 0;
    let complete = true;
    let firstStatus = 0;
    let firstCode: string | undefined;
    let firstUrl = '';
    const started = performance.now();
    for (;;) {
      const { response, url } = await this.#session.fetch(current, path, {
        method: 'GET',
        purpose: 'tags',
        authorization: auth ? { originKey: auth.originKey ?? origin.key, value: auth.header } : null,
      });
      if (pages === 0 && response.status === 400 && !sizeDropped) {
        // distribution 3 and Docker Hub refuse `n` over their maximum (1000) with 400 PAGINATION_NUMBER_INVALID:
        // ask again without it and take the registry's default page size.
        sizeDropped = true;
        path = `/v2/${repo}/tags/list`;
        continue;
      }
      if (pages === 0) {
        firstStatus = response.status;
        firstCode = parseRegistryError(response.body)?.code || undefined;
        firstUrl = url;
      }
      if (response.status !== 200) {
        if (pages > 0) complete = false;
        break;
      }
      let page: string[] = [];
      try {
        const body = JSON.parse(response.body.toString('utf8')) as { tags?: unknown };
        page = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string') : [];
      } catch {
        complete = false;
        break;
      }
      tags.push(...page);
      pages++;
      if (response.truncated) {
        complete = false;
        break;
      }
      const next = nextLink(response.headers.link, url);
      if (!next) break;
      if (pages >= config.maxTagPages) {
        complete = false;
        break;
      }
      const nextUrl = new URL(next);
      current = await this.#session.originFor(nextUrl, 'tags');
      path = `${nextUrl.pathname}${nextUrl.search}`;
    }
    const tag = this.#target.digest ? null : this.#reference;
    if (firstStatus === 200) {
      const contains = tag !== null && tags.includes(tag);
      this.#state.tags = { listed: tags.length, complete, containsReference: contains };
      this.#state.suggestions = tag ? closestTags(tag, tags) : [];
      this.#session.record({
        step: 'tags',
        ok: true,
        summary: `${tags.length} tag${tags.length === 1 ? '' : 's'} in ${pages} page${pages === 1 ? '' : 's'}${complete ? '' : ' (stopped early: list bounded)'}${
          tag ? (contains ? `; ${tag} is listed` : `; ${tag} is not among them`) : ''
        }${this.#state.suggestions.length > 0 ? `; closest: ${this.#state.suggestions.join(', ')}` : ''}`,
        request: `GET ${firstUrl}`,
        status: 200,
        durationMs: performance.now() - started,
      });
      if (contains) {
        throw new ProbeStop(
          'unknown',
          `${tag} is listed in ${repo}, yet its manifest is unknown for every accepted media type (a schema 1 or unusual manifest?)`,
          { confidence: 0.5 },
        );
      }
      const what = tag ? `tag ${tag}` : `manifest ${this.#reference}`;
      throw new ProbeStop(
        'tag_not_found',
        `${what} does not exist in ${registry}/${repo}, which has ${tags.length}${complete ? '' : '+'} tag${tags.length === 1 ? '' : 's'}${
          this.#state.suggestions.length > 0 ? `; closest: ${this.#state.suggestions.join(', ')}` : ''
        }`,
        { confidence: 0.95 },
      );
    }
    this.#session.record({
      step: 'tags',
      ok: false,
      summary: `GET ${firstPath.replace(/\?.*$/, '')} → ${firstStatus}${firstCode ? ` ${firstCode}` : ''}`,
      request: `GET ${firstUrl}`,
      status: firstStatus,
      ...(firstCode ? { code: firstCode } : {}),
      durationMs: performance.now() - started,
    });
    if (firstStatus === 404 && this.#pingNotFound && !firstCode && !manifestCode) {
      // A registry answers /v2/ (200 or 401) and names what is missing (NAME_UNKNOWN, MANIFEST_UNKNOWN); 404s
      // everywhere with no error code come from something else: a web server, a proxy, a path-prefixed mirror.
      throw new ProbeStop(
        'registry_server_error',
        `${this.#apiHost} does not answer as a registry: GET /v2/, the manifest and the tag list all → 404 with no registry error code — a wrong host or port, a web server or proxy in front of the registry, or a mirror whose path is not configured`,
        { confidence: 0.7 },
      );
    }
    if (firstStatus === 404) {
      throw new ProbeStop(
        'repo_not_found',
        `repository ${repo} does not exist on ${registry}${firstCode ? ` (${firstCode})` : ''}`,
        {
          confidence: firstCode === 'NAME_UNKNOWN' ? 0.95 : 0.8,
        },
      );
    }
    throw new ProbeStop(
      'tag_not_found',
      `manifest ${this.#reference} is unknown in ${registry}/${repo}; the tag list is not readable (${firstStatus}), so the repository may be missing too`,
      { confidence: 0.6 },
    );
  }

  async #manifestFound(
    origin: Origin,
    path: string,
    headers: IncomingHttpHeaders,
    auth: Authorization | null,
  ) {
    const mediaType = (headerText(headers['content-type']) ?? '').split(';')[0]?.trim() ?? '';
    const kind = manifestKind(mediaType);
    const digest = headerText(headers['docker-content-digest']) ?? null;
    this.#state.manifest = { mediaType, kind, digest, platforms: [] };
    const notes: string[] = [];
    if (this.#target.digest && digest && digest !== this.#target.digest) {
      notes.push(`the registry reports digest ${digest} for ${this.#target.digest}`);
    }
    if (kind === 'schema1') notes.push('schema 1 manifest: containerd 2 and recent Docker refuse to pull it');
    if (kind === 'unknown') notes.push(`unexpected Content-Type ${mediaType || '(none)'}`);
    const wanted = this.#options.platform ?? null;
    if (kind === 'index' && wanted) await this.#checkPlatform(origin, path, digest, wanted, auth);
    if (kind === 'manifest' && wanted) {
      this.#session.record({
        step: 'platform',
        ok: true,
        summary: `single-platform manifest, not an index: runtimes pull it on any node, so ${formatPlatform(wanted)} is not checked (a mismatch shows as "exec format error" at start)`,
      });
    }
    const limit = this.#state.rateLimit;
    if (limit && limit.remaining === 0) {
      throw new ProbeStop(
        'rate_limited',
        `${this.#target.registry} pull quota is used up for this client (0 of ${limit.limit ?? '?'} left${
          this.#state.retryAfterSeconds !== null ? `, retry after ${this.#state.retryAfterSeconds} s` : ''
        }); the manifest exists but a pull would be refused`,
        { confidence: 0.85 },
      );
    }
    if (notes.length > 0 && kind === 'schema1') {
      throw new ProbeStop('unknown', `${this.image}: ${notes.join('; ')}`, { confidence: 0.5 });
    }
    const what = kind === 'index' ? 'index' : kind === 'manifest' ? 'manifest' : 'manifest of unknown type';
    const platformText = this.#state.platform
      ? `, ${formatPlatform(this.#state.platform.wanted)} present`
      : '';
    return {
      pullable: true,
      cause: null,
      confidence: 0.9,
      summary: `${this.image} is pullable from here (${what} ${shortDigest(digest)}${platformText})${notes.length > 0 ? `; note: ${notes.join('; ')}` : ''}`,
    };
  }

  async #checkPlatform(
    origin: Origin,
    path: string,
    digest: string | null,
    wanted: Platform,
    auth: Authorization | null,
  ) {
    const { response, url } = await this.#manifestRequest(origin, path, 'GET', auth);
    const started = performance.now() - response.durationMs;
    let index: unknown = null;
    try {
      index =
        response.status === 200 && !response.truncated ? JSON.parse(response.body.toString('utf8')) : null;
    } catch {
      index = null;
    }
    if (!index) {
      this.#session.record({
        step: 'platform',
        ok: false,
        summary: `could not read the index (GET → ${response.status}${response.truncated ? ', body over the size cap' : ''}); platform not checked`,
        request: `GET ${url}`,
        status: response.status,
      });
      return;
    }
    const bodyDigest = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
    const available = indexPlatforms(index);
    const matched = available.some((candidate) => platformMatches(wanted, candidate));
    this.#state.manifest = { ...this.#state.manifest!, platforms: available };
    this.#state.platform = { wanted, available, matched };
    const digestNote =
      digest?.startsWith('sha256:') && digest !== bodyDigest
        ? `; body digest ${bodyDigest} differs from the header`
        : '';
    this.#session.record({
      step: 'platform',
      ok: matched,
      summary: `${formatPlatform(wanted)} ${matched ? 'is' : 'is NOT'} in the index (${available.map(formatPlatform).join(', ') || 'no platforms'})${digestNote}`,
      request: `GET ${url}`,
      status: response.status,
      durationMs: performance.now() - started,
    });
    if (!matched) {
      throw new ProbeStop(
        'platform_mismatch',
        `${this.image} has no ${formatPlatform(wanted)} image; it is built for ${available.map(formatPlatform).join(', ') || 'no platform'}`,
        { confidence: 0.95 },
      );
    }
  }
}

function urlOriginKey(url: string): string | null {
  try {
    const parsed = new URL(url);
    const scheme = parsed.protocol === 'http:' ? 'http' : 'https';
    return originKey(
      scheme,
      parsed.hostname.replace(/^\[|\]$/g, ''),
      parsed.port ? Number(parsed.port) : scheme === 'https' ? 443 : 80,
    );
  } catch {
    return null;
  }
}

/** Token or registry messages that mean the credentials were fine once and have run out (ECR: 12 hours). */
const EXPIRED = /\b(token|credentials?)\b.*\bexpired\b|reauthenticate/i;

function insufficientScope(header: string | string[] | undefined): boolean {
  return parseChallenges(header).some((c) => c.params.error === 'insufficient_scope');
}

function describeChallenge(challenge: AuthChallenge): string {
  const params = ['realm', 'service', 'scope']
    .filter((key) => challenge.params[key])
    .map((key) => `${key}="${challenge.params[key]}"`)
    .join(' ');
  return `${challenge.scheme === 'bearer' ? 'Bearer' : challenge.scheme === 'basic' ? 'Basic' : challenge.scheme} ${params}`.trim();
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

function describeCertificateProblem(
  problem: { code: string; message: string },
  cert: { validFrom: string; validTo: string; altNames: string; issuer: string } | null,
  host: string,
): string {
  if (problem.code === 'CERT_HAS_EXPIRED')
    return `certificate expired on ${cert?.validTo ?? 'an earlier date'}`;
  if (problem.code === 'CERT_NOT_YET_VALID')
    return `certificate is not valid before ${cert?.validFrom ?? 'a later date'}`;
  if (problem.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `certificate is for ${cert?.altNames || 'other names'}, not ${host}`;
  }
  if (problem.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') return 'self-signed certificate, not trusted';
  if (UNTRUSTED.has(problem.code))
    return `certificate signed by an unknown authority (${cert?.issuer || 'unknown issuer'})`;
  if (problem.code === 'CERT_REVOKED') return 'certificate revoked';
  return `certificate not accepted: ${problem.message}`;
}

export function runProbe(target: ProbeTarget, options: ProbeOptions, deps: ProbeDeps): Promise<ProbeResult> {
  return new ProbeRun(target, options, deps).run();
}

export type { CredentialSourceName };
