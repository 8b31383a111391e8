import { closedPort, type Fault, type FaultRule, type ProxyRequest, startFaultProxy } from './standins.ts';

/**
 * Stand-ins for hosted registries, answering the way each one does (shapes recorded from public response
 * dumps; the source of each is cited where the stand-in is built, in test/integration/registry-vendors.test.ts).
 * They reuse the fault proxy of standins.ts with a rule that answers every request itself, so nothing is
 * forwarded. Each serves the registry API and, where the vendor does, its token endpoint on the same server.
 */

export const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** A stand-in that only answers from `rule` (its upstream is a closed port, never reached). */
export async function startStandIn(rule: FaultRule) {
  return startFaultProxy(`http://127.0.0.1:${await closedPort()}`, rule);
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Fault {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** The distribution error body: `{"errors":[{"code","message","detail"}]}`. */
export function registryError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Fault {
  return json(status, { errors: [{ code, message, detail: null }] }, headers);
}

export function manifestFound(headers: Record<string, string> = {}): Fault {
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_V2, config: {}, layers: [] });
  return {
    status: 200,
    headers: {
      'content-type': MANIFEST_V2,
      'docker-content-digest': DIGEST,
      'docker-distribution-api-version': 'registry/2.0',
      ...headers,
    },
    body,
  };
}

/** An unsigned JWT whose `access` claim is what the probe reads (it never verifies signatures). */
export function fakeJwt(access: Array<{ type: string; name: string; actions: string[] }>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part({ iss: 'stand-in', access })}.c2ln`;
}

export interface ApiRequest {
  method: string;
  url: URL;
  /** `manifests`, `tags`, `ping`, or `other`. */
  kind: 'manifests' | 'tags' | 'ping' | 'other';
  repository: string;
  reference: string;
  authorization: string;
}

/** Splits `/v2/NAME/manifests/REF` and `/v2/NAME/tags/list` the way registries route them. */
export function apiRequest(request: ProxyRequest): ApiRequest {
  const url = new URL(request.path, 'http://stand-in.local');
  const authorization = String(request.headers.authorization ?? '');
  const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
  if (manifest) {
    return {
      method: request.method,
      url,
      kind: 'manifests',
      repository: manifest[1] ?? '',
      reference: manifest[2] ?? '',
      authorization,
    };
  }
  const tags = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
  if (tags) {
    return {
      method: request.method,
      url,
      kind: 'tags',
      repository: tags[1] ?? '',
      reference: '',
      authorization,
    };
  }
  return {
    method: request.method,
    url,
    kind: url.pathname === '/v2/' ? 'ping' : 'other',
    repository: '',
    reference: '',
    authorization,
  };
}

export function basicUser(authorization: string): { user: string; password: string } | null {
  if (!authorization.startsWith('Basic ')) return null;
  const text = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The tag list page for `n`/`last`, with a relative `Link` to the next page as distribution sends it. */
export function tagPage(repository: string, tags: string[], url: URL, maxN: number): Fault {
  const nText = url.searchParams.get('n');
  const n = nText === null ? 100 : Number(nText);
  if (!Number.isInteger(n) || n < 0 || n > maxN) {
    return registryError(400, 'PAGINATION_NUMBER_INVALID', 'invalid number of results requested');
  }
  const sorted = [...tags].sort();
  const last = url.searchParams.get('last');
  const start = last ? sorted.findIndex((tag) => tag > last) : 0;
  const page = start < 0 ? [] : sorted.slice(start, start + n);
  const headers: Record<string, string> = {};
  const lastTag = page[page.length - 1];
  if (start >= 0 && start + n < sorted.length && lastTag) {
    headers.link = `</v2/${repository}/tags/list?last=${encodeURIComponent(lastTag)}&n=${n}>; rel="next"`;
  }
  return json(200, { name: repository, tags: page }, headers);
}
