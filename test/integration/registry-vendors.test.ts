import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../lib/diagnose/index.ts';
import { type ProbeResult, RegistryProber, type RegistryProberOptions } from '../../lib/registry/index.ts';
import { pullFailure } from '../support/classification.ts';
import type { Fault, RunningServer } from '../support/standins.ts';
import {
  apiRequest,
  basicUser,
  fakeJwt,
  json,
  manifestFound,
  registryError,
  startStandIn,
  tagPage,
} from '../support/vendor-registries.ts';

/**
 * The probe and the diagnosis against stand-ins that answer like the hosted registries we cannot reach from
 * here: Docker Hub, ECR, Artifact Registry, ACR, GHCR and a pull-through mirror. Each stand-in listens on
 * 127.0.0.1 under the vendor's host name (the test resolver maps the name there; the port is the stand-in's),
 * so vendor-specific advice is chosen exactly as for the real host. The shapes and their sources are cited
 * per stand-in.
 */

const servers: RunningServer[] = [];
/** `name` → stand-in, filled in beforeAll. */
const hosts = new Map<string, RunningServer>();

function at(name: string): string {
  const server = hosts.get(name);
  if (!server) throw new Error(`no stand-in for ${name}`);
  return `${name}:${server.port}`;
}

function prober(options: RegistryProberOptions = {}): RegistryProber {
  const all = [...hosts.keys()].map(at);
  return new RegistryProber({
    ...options,
    config: { allowHosts: all, plainHttpHosts: all, ...options.config },
    resolver: async (name) => {
      if (!hosts.has(name))
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return [{ address: '127.0.0.1', family: 4 }];
    },
  });
}

function step(result: ProbeResult, name: string) {
  return result.steps.find((s) => s.step === name);
}

const HUB = 'hub.lab.test';
const HUB_AUTH = 'auth.lab.test';
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const GAR = 'europe-west2-docker.pkg.dev';
const ACR = 'pwlab.azurecr.io';
const GHCR = 'ghcr.io';
const MIRROR = 'mirror.lab.test';
const K8S = 'registry.k8s.lab.test';
const VANITY = 'cr.vanity.lab.test';
const WEB = 'www.lab.test';
const TERSE = 'terse.lab.test';

const hub = { exhausted: false };

beforeAll(async () => {
  const start = async (name: string, rule: Parameters<typeof startStandIn>[0]) => {
    const server = await startStandIn(rule);
    servers.push(server);
    hosts.set(name, server);
  };

  // Docker Hub. Registry and token service on different hosts; /v2/ and unauthorised manifests answer 401
  // `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`; the token service gives an
  // anonymous token for any repository, with an empty `access` claim when it is missing or private
  // (distribution/distribution#1203); the manifest then answers 401 UNAUTHORIZED with
  // `error="insufficient_scope"` (distribution/distribution#1676, docker-archive/docker-registry#1071).
  // Rate limit headers `ratelimit-limit: 100;w=21600` (Docker docs "Docker Hub usage and limits"); a used-up
  // quota is 429 TOOMANYREQUESTS, here without Retry-After. `n` over 1000 on tags/list is 400
  // PAGINATION_NUMBER_INVALID (distribution registry/api/errcode: "n is bigger than the maximum allowed").
  const hubTags: Record<string, string[]> = {
    'library/nginx': ['1.25', '1.25.3', '1.26', 'latest'],
    'acme/private': ['v1'],
  };
  const realm = () => `http://${at(HUB_AUTH)}/token`;
  await start(HUB_AUTH, (request) => {
    const url = new URL(request.path, 'http://x');
    const scope = url.searchParams.get('scope') ?? '';
    const repository = scope.split(':')[1] ?? '';
    const user = basicUser(String(request.headers.authorization ?? ''));
    if (user && user.password !== 'hub-Secret-pw-1') {
      return json(401, { details: 'incorrect username or password' });
    }
    const readable = repository === 'library/nginx' || (user !== null && repository === 'acme/private');
    const token = fakeJwt(readable ? [{ type: 'repository', name: repository, actions: ['pull'] }] : []);
    return json(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await start(HUB, (request) => {
    const api = apiRequest(request);
    const challenge = (scope?: string, error?: string) =>
      `Bearer realm="${realm()}",service="registry.docker.io"${scope ? `,scope="${scope}"` : ''}${error ? `,error="${error}"` : ''}`;
    if (api.kind === 'ping') {
      return registryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': challenge(),
      });
    }
    const scope = `repository:${api.repository}:pull`;
    const bearer = api.authorization.startsWith('Bearer ') ? api.authorization.slice(7) : null;
    if (!bearer) {
      return registryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': challenge(scope),
      });
    }
    const claims = JSON.parse(Buffer.from(bearer.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      access: Array<{ name: string }>;
    };
    if (!claims.access.some((a) => a.name === api.repository)) {
      return registryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': challenge(scope, 'insufficient_scope'),
      });
    }
    const limits = {
      'ratelimit-limit': '100;w=21600',
      'ratelimit-remaining': hub.exhausted ? '0;w=21600' : '76;w=21600',
      'docker-ratelimit-source': '203.0.113.9',
    };
    if (api.kind === 'manifests') {
      if (hub.exhausted) {
        return registryError(
          429,
          'TOOMANYREQUESTS',
          'You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
          limits,
        );
      }
      return hubTags[api.repository]?.includes(api.reference)
        ? manifestFound(limits)
        : registryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    }
    if (api.kind === 'tags') return tagPage(api.repository, hubTags[api.repository] ?? [], api.url, 1000);
    return registryError(404, 'NOT_FOUND', 'not found');
  });

  // ECR. Basic auth only: /v2/ answers 401 `Basic realm="https://ACCOUNT.dkr.ecr.REGION.amazonaws.com/",
  // service="ecr.amazonaws.com"` (which Docker reports as "no basic auth credentials"); the password is a
  // GetAuthorizationToken token for user AWS. A missing repository is 404 NAME_UNKNOWN "The repository with
  // name '…' does not exist in the registry with id '…'" (aws-actions/amazon-ecr-login#166), an expired
  // token 403 DENIED "Your authorization token has expired. Reauthenticate and try again." (aws/aws-cli#6580).
  const ecrTags: Record<string, string[]> = { 'team/api': ['v1', 'v1.4.1'] };
  await start(ECR, (request) => {
    const api = apiRequest(request);
    const user = basicUser(api.authorization);
    if (user?.user !== 'AWS') {
      return {
        status: 401,
        headers: {
          'www-authenticate': `Basic realm="https://${ECR}/",service="ecr.amazonaws.com"`,
          'content-type': 'text/plain; charset=utf-8',
        },
        body: 'Not Authorized\n',
      };
    }
    if (user.password === 'ecr-expired-token') {
      return registryError(
        403,
        'DENIED',
        'Your authorization token has expired. Reauthenticate and try again.',
      );
    }
    if (api.kind === 'ping') return json(200, {});
    const tags = ecrTags[api.repository];
    if (!tags) {
      return registryError(
        404,
        'NAME_UNKNOWN',
        `The repository with name '${api.repository}' does not exist in the registry with id '123456789012'`,
      );
    }
    if (api.kind === 'manifests') {
      return tags.includes(api.reference)
        ? manifestFound()
        : registryError(404, 'MANIFEST_UNKNOWN', 'Requested image not found');
    }
    return tagPage(api.repository, tags, api.url, 1000);
  });

  // Artifact Registry. /v2/ answers 401 `Bearer realm="https://REGION-docker.pkg.dev/v2/token",
  // service="REGION-docker.pkg.dev"`; the token endpoint refuses a caller without access with 403 DENIED
  // 'Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "projects/P/locations/L/
  // repositories/R" (or it may not exist)' (GoogleContainerTools/skaffold#6743), anonymously worded
  // "Unauthenticated requests do not have permission …" (google/fuzzbench#1981); the manifest HEAD answers the
  // same denial to a token without the role (terraform-google-kubernetes-engine#1779). Username
  // oauth2accesstoken with an access token as password.
  const garRepo = 'projects/acme-prod/locations/europe-west2/repositories/apps';
  const garTags: Record<string, string[]> = { 'acme-prod/apps/api': ['2024.06.1', '2024.06.2'] };
  // Public Artifact Registry repositories (registry.k8s.io's backends) serve anonymous requests directly.
  const publicTags: Record<string, string[]> = { 'k8s-artifacts-prod/images/pause': ['3.9', '3.10'] };
  await start(GAR, (request) => {
    const api = apiRequest(request);
    const open = publicTags[api.repository];
    if (open) {
      if (api.kind === 'tags') return tagPage(api.repository, open, api.url, 1000);
      return open.includes(api.reference)
        ? manifestFound()
        : registryError(404, 'MANIFEST_UNKNOWN', `Failed to fetch "${api.reference}"`);
    }
    const denied = `Permission "artifactregistry.repositories.downloadArtifacts" denied on resource "${garRepo}" (or it may not exist)`;
    if (api.url.pathname === '/v2/token') {
      const user = basicUser(api.authorization);
      if (!user) {
        return registryError(
          403,
          'DENIED',
          `Unauthenticated requests do not have permission "artifactregistry.repositories.downloadArtifacts" on resource "${garRepo}" (or it may not exist)`,
        );
      }
      return json(200, { token: `ya29.stand-in-${user.password}`, expires_in: 3599 });
    }
    if (api.kind === 'ping' || !api.authorization.startsWith('Bearer ')) {
      return registryError(401, 'UNAUTHORIZED', 'Unauthenticated request.', {
        'www-authenticate': `Bearer realm="http://${at(GAR)}/v2/token",service="${GAR}"`,
      });
    }
    if (api.authorization !== 'Bearer ya29.stand-in-reader-token')
      return registryError(403, 'DENIED', denied);
    const tags = garTags[api.repository];
    if (!tags) return registryError(403, 'DENIED', denied);
    if (api.kind === 'manifests') {
      return tags.includes(api.reference)
        ? manifestFound()
        : registryError(404, 'MANIFEST_UNKNOWN', `Failed to fetch "${api.reference}"`);
    }
    return tagPage(api.repository, tags, api.url, 1000);
  });

  // ACR. /v2/ answers 401 `Bearer realm="https://NAME.azurecr.io/oauth2/token",service="NAME.azurecr.io"`
  // (Azure/acr#207); the token endpoint answers `{"access_token": …}` only (Azure/acr docs/AAD-OAuth.md);
  // anonymous pull is off by default, so an anonymous token request is 401. A missing repository is 404
  // NAME_UNKNOWN "repository name not known to registry".
  await start(ACR, (request) => {
    const api = apiRequest(request);
    if (api.url.pathname === '/oauth2/token') {
      const user = basicUser(api.authorization);
      if (user?.password !== 'acr-Secret-pw-3') {
        return registryError(
          401,
          'UNAUTHORIZED',
          'authentication required, visit https://aka.ms/acr/authorization for more information.',
        );
      }
      return json(200, { access_token: 'acr-access-token-stand-in' });
    }
    if (api.authorization !== 'Bearer acr-access-token-stand-in') {
      return registryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Bearer realm="http://${at(ACR)}/oauth2/token",service="${ACR}"`,
      });
    }
    if (api.kind === 'ping') return json(200, {});
    if (api.repository !== 'team/api') {
      return registryError(404, 'NAME_UNKNOWN', 'repository name not known to registry');
    }
    return api.reference === 'v1'
      ? manifestFound()
      : registryError(404, 'MANIFEST_UNKNOWN', `manifest tagged by "${api.reference}" is not found`);
  });

  // GHCR. /v2/ answers 401 `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`;
  // the token is opaque (no JWT, no expires_in: the token spec's 60 s default applies). Anonymous tokens for a
  // private package are 401 (openai/tunnel-client#75); credentials without package read are 403 "denied"
  // (secureCodeBox/secureCodeBox#2574; "permission_denied: read_package", kedacore/http-add-on#48). Tag lists
  // page with a relative Link.
  const ghcrTags = ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v2.0.0', 'v2.1.0'];
  await start(GHCR, (request) => {
    const api = apiRequest(request);
    if (api.url.pathname === '/token') {
      const repository = (api.url.searchParams.get('scope') ?? '').split(':')[1] ?? '';
      const user = basicUser(api.authorization);
      if (user) return registryError(403, 'DENIED', 'permission_denied: read_package');
      if (repository !== 'octo/app') return registryError(401, 'UNAUTHORIZED', 'authentication required');
      return json(200, { token: 'djE6b2N0by9hcHA6c3RhbmQtaW4=' });
    }
    if (api.authorization !== 'Bearer djE6b2N0by9hcHA6c3RhbmQtaW4=') {
      return registryError(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Bearer realm="http://${at(GHCR)}/token",service="ghcr.io",scope="repository:octo/app:pull"`,
      });
    }
    if (api.kind === 'ping') return json(200, {});
    if (api.kind === 'manifests') {
      return ghcrTags.includes(api.reference)
        ? manifestFound()
        : registryError(404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    }
    return tagPage(api.repository, ghcrTags, api.url, 1000);
  });

  // registry.k8s.io: /v2/ answers 200 with an empty text/html body, and every API request under it is a 307 to
  // a regional Artifact Registry host (kubernetes/registry.k8s.io#116 and #261, crane --verbose dumps).
  await start(K8S, (request): Fault => {
    const api = apiRequest(request);
    if (api.kind === 'ping') {
      return {
        status: 200,
        headers: { 'content-type': 'text/html', 'docker-distribution-api-version': 'registry/2.0' },
      };
    }
    const target = `http://${at(GAR)}${api.url.pathname.replace(/^\/v2\//, '/v2/k8s-artifacts-prod/images/')}${api.url.search}`;
    return {
      status: 307,
      headers: { location: target, 'content-type': 'text/html; charset=utf-8' },
      body: `<a href="${target}">Temporary Redirect</a>.`,
    };
  });

  // A vanity registry name that redirects every API request to GHCR, which then challenges for its own token:
  // the token is sent to GHCR only (containerd's resolver re-authorizes each redirect hop for its host).
  await start(VANITY, (request): Fault => {
    const api = apiRequest(request);
    if (api.kind === 'ping') return json(200, {});
    return { status: 307, headers: { location: `http://${at(GHCR)}${request.path}` } };
  });

  // A pull-through mirror whose upstream fails: the proxy in front answers an HTML 502 page, not the
  // distribution JSON (nginx's default error page).
  await start(MIRROR, (request) => {
    const api = apiRequest(request);
    if (api.kind === 'ping') return json(200, {}, { 'docker-distribution-api-version': 'registry/2.0' });
    return {
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
    };
  });
  // Not a registry at all: a web server (an image named after the company's website, or the registry's UI
  // host instead of its API host) answers 404 pages everywhere, /v2/ included.
  await start(WEB, () => ({
    status: 404,
    headers: { 'content-type': 'text/html' },
    body: '<html><body><h1>404 Not Found</h1></body></html>',
  }));
  // A registry that answers /v2/ but gives bare 404s, no error body (some proxies strip it).
  await start(TERSE, (request) =>
    apiRequest(request).kind === 'ping' ? json(200, {}) : { status: 404, headers: {}, body: '' },
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('Docker Hub', () => {
  it('public image, anonymous: token from the auth host, pullable, the pull quota read from the HEAD', async () => {
    const result = await prober().probe({ registry: at(HUB), repository: 'library/nginx', tag: '1.26' });
    expect(result.pullable).toBe(true);
    expect(result.auth).toMatchObject({ challenge: 'bearer', credentials: 'anonymous' });
    expect(step(result, 'token')?.summary).toMatch(/grants pull/);
    expect(result.rateLimit).toEqual({
      limit: 100,
      remaining: 76,
      windowSeconds: 21600,
      source: '203.0.113.9',
    });
    expect(hosts.get(HUB_AUTH)?.requests.length).toBeGreaterThan(0);
  });

  it('missing or private repository, anonymous: 401 insufficient_scope → "does not exist or is private"', async () => {
    const image = `${at(HUB)}/acme/nothing:v1`;
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('repo_not_found_or_denied', image, {
        evidence: 'pull access denied, repository does not exist or may require authorization',
      }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('repo_not_found_or_denied');
    expect(d.summary).toMatch(/does not exist or is private/);
    expect(d.summary).toMatch(/insufficient_scope/);
    const manifest = d.evidence.find((e) => e.step === 'manifest');
    expect(manifest).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(manifest?.headers?.['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect(d.remediation[0]?.title).toMatch(/Check the repository name acme\/nothing/);
  });

  it('private repository with credentials: Basic goes to the token host only, the registry sees a Bearer token', async () => {
    const result = await prober({
      credentials: { [at(HUB)]: { username: 'acme', password: 'hub-Secret-pw-1' } },
    }).probe({ registry: at(HUB), repository: 'acme/private', tag: 'v1' });
    expect(result.pullable).toBe(true);
    const sent = hosts.get(HUB)?.requests.map((r) => String(r.headers.authorization ?? '')) ?? [];
    expect(sent.some((a) => a.startsWith('Bearer '))).toBe(true);
    expect(sent.some((a) => a.startsWith('Basic '))).toBe(false);
  });

  it('a tag list page size over the registry maximum (400 PAGINATION_NUMBER_INVALID) is asked again without n', async () => {
    const result = await prober({ config: { tagPageSize: 5000 } }).probe({
      registry: at(HUB),
      repository: 'library/nginx',
      tag: '1.25.4',
    });
    expect(result.cause).toBe('tag_not_found');
    expect(result.suggestions[0]).toBe('1.25.3');
    expect(result.tags).toMatchObject({ listed: 4, complete: true });
    const paths = hosts.get(HUB)?.requests.map((r) => r.path) ?? [];
    expect(paths).toContain('/v2/library/nginx/tags/list?n=5000');
    expect(paths).toContain('/v2/library/nginx/tags/list');
  });

  it('quota used up: 429 TOOMANYREQUESTS without Retry-After → rate_limited with the quota headers', async () => {
    hub.exhausted = true;
    try {
      const result = await prober().probe({ registry: at(HUB), repository: 'library/nginx', tag: '1.26' });
      expect(result.cause).toBe('rate_limited');
      expect(result.retryAfterSeconds).toBeNull();
      expect(result.rateLimit).toMatchObject({ limit: 100, remaining: 0, source: '203.0.113.9' });
      expect(result.summary).not.toMatch(/retry after/);
    } finally {
      hub.exhausted = false;
    }
  });
});

describe('ECR', () => {
  it('no credentials: Basic challenge → unauthorized, fixed with the node role and the ECR credential provider', async () => {
    const image = `${at(ECR)}/team/api:v1`;
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('unauthorized', image, { evidence: 'no basic auth credentials' }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('unauthorized');
    expect(d.agreesWithNode).toBe(true);
    expect(d.evidence.find((e) => e.step === 'auth')?.summary).toMatch(/^Basic realm=/);
    expect(d.remediation[0]?.title).toMatch(/ECR credential provider/);
    expect(d.remediation[0]?.command).toContain('AmazonEC2ContainerRegistryReadOnly');
  });

  it('expired token: 403 DENIED "authorization token has expired" → unauthorized (expired), not forbidden', async () => {
    const result = await prober({
      credentials: { [at(ECR)]: { username: 'AWS', password: 'ecr-expired-token' } },
    }).probe({ registry: at(ECR), repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('unauthorized');
    expect(result.summary).toMatch(/have expired/);
    expect(step(result, 'manifest')).toMatchObject({ status: 403, code: 'DENIED' });
  });

  it('missing repository: 404 NAME_UNKNOWN with ECR’s message → repo_not_found', async () => {
    const result = await prober({
      credentials: { [at(ECR)]: { username: 'AWS', password: 'ecr-good-token' } },
    }).probe({ registry: at(ECR), repository: 'team/apii', tag: 'v1' });
    expect(result.cause).toBe('repo_not_found');
    expect(result.summary).toMatch(/does not exist in the registry with id '123456789012'/);
  });

  it('missing tag: MANIFEST_UNKNOWN, then the tag list → tag_not_found with the closest tag', async () => {
    const result = await prober({
      credentials: { [at(ECR)]: { username: 'AWS', password: 'ecr-good-token' } },
    }).probe({ registry: at(ECR), repository: 'team/api', tag: 'v1.4.2' });
    expect(result.cause).toBe('tag_not_found');
    expect(result.suggestions[0]).toBe('v1.4.1');
  });
});

describe('Artifact Registry', () => {
  const image = () => `${at(GAR)}/acme-prod/apps/api:2024.06.2`;
  const grant = `gcloud artifacts repositories add-iam-policy-binding apps --project=acme-prod --location=europe-west2 --member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader`;

  it('credentials without the reader role: 403 on the manifest naming the permission → forbidden, grant the role', async () => {
    const d = await checkImage({
      prober: prober({
        credentials: { [at(GAR)]: { username: 'oauth2accesstoken', password: 'outsider-token' } },
      }),
      classification: pullFailure('forbidden', image(), { evidence: '403 Forbidden' }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('forbidden');
    expect(d.agreesWithNode).toBe(true);
    expect(d.summary).toMatch(/artifactregistry\.repositories\.downloadArtifacts/);
    expect(d.evidence.find((e) => e.step === 'manifest')).toMatchObject({ status: 403, code: 'DENIED' });
    expect(d.remediation[0]?.command).toBe(grant);
  });

  it('anonymous check, node refused with its own identity: the token endpoint’s 403 keeps the node’s forbidden', async () => {
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('forbidden', image(), { evidence: '403 Forbidden' }),
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.cause).toBe('forbidden');
    expect(d.evidence.find((e) => e.step === 'token')).toMatchObject({
      ok: false,
      status: 403,
      code: 'DENIED',
    });
    expect(d.summary).toMatch(/Unauthenticated requests do not have permission/);
    expect(d.remediation[0]?.command).toBe(grant);
  });

  it('reader with a missing tag → tag_not_found', async () => {
    const result = await prober({
      credentials: { [at(GAR)]: { username: 'oauth2accesstoken', password: 'reader-token' } },
    }).probe({ registry: at(GAR), repository: 'acme-prod/apps/api', tag: '2024.06.3' });
    expect(result.cause).toBe('tag_not_found');
    expect(result.suggestions[0]).toBe('2024.06.2');
  });
});

describe('ACR', () => {
  it('anonymous pull disabled: the oauth2/token endpoint answers 401 → unauthorized, attach the registry to AKS', async () => {
    const image = `${at(ACR)}/team/api:v1`;
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('unauthorized', image, { evidence: '401 Unauthorized' }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('unauthorized');
    expect(d.evidence.find((e) => e.step === 'token')).toMatchObject({ ok: false, status: 401 });
    expect(d.remediation[0]?.command).toBe(
      'az aks update --name <cluster> --resource-group <resource-group> --attach-acr pwlab',
    );
  });

  it('node refused with its own identity (403), check refused anonymously (401): the node’s forbidden stands', async () => {
    const image = `${at(ACR)}/team/api:v1`;
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('forbidden', image, { evidence: '403 Forbidden' }),
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.cause).toBe('forbidden');
    expect(d.agreesWithNode).toBeNull();
    expect(d.summary).toMatch(/The node reached .* and reports forbidden/);
    expect(d.remediation[0]?.command).toContain('--attach-acr pwlab');
  });

  it('a token in access_token only is used; a missing repository is 404 NAME_UNKNOWN → repo_not_found', async () => {
    const result = await prober({
      credentials: { [at(ACR)]: { username: 'puller', password: 'acr-Secret-pw-3' } },
    }).probe({ registry: at(ACR), repository: 'team/nope', tag: 'v1' });
    expect(step(result, 'token')?.ok).toBe(true);
    expect(result.cause).toBe('repo_not_found');
    expect(result.summary).toMatch(/repository name not known to registry/);
  });
});

describe('GHCR', () => {
  it('public package, missing tag: opaque token without expires_in (60 s), relative Link pages followed', async () => {
    const result = await prober({ config: { tagPageSize: 2 } }).probe({
      registry: at(GHCR),
      repository: 'octo/app',
      tag: 'v2.2.0',
    });
    expect(result.cause).toBe('tag_not_found');
    expect(result.tags).toEqual({ listed: 5, complete: true, containsReference: false });
    expect(result.suggestions[0]).toBe('v2.1.0');
    expect(step(result, 'token')?.summary).toMatch(/valid (5\d|60) s more/);
    const paths = hosts.get(GHCR)?.requests.map((r) => r.path) ?? [];
    expect(paths).toContain('/v2/octo/app/tags/list?last=v1.1.0&n=2');
  });

  it('private package, anonymous: the token endpoint answers 401 → unauthorized, with GHCR’s token advice', async () => {
    const image = `${at(GHCR)}/octo/private:v1`;
    const d = await checkImage({
      prober: prober(),
      classification: pullFailure('unauthorized', image, { evidence: '401 Unauthorized' }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('unauthorized');
    expect(d.remediation[0]?.title).toMatch(/read:packages/);
  });

  it('credentials without package read: the token endpoint answers 403 denied → forbidden, not "bad password"', async () => {
    const result = await prober({
      credentials: { [at(GHCR)]: { username: 'octo', password: 'ghp_stand-in-no-read' } },
    }).probe({ registry: at(GHCR), repository: 'octo/private', tag: 'v1' });
    expect(result.cause).toBe('forbidden');
    expect(result.summary).toMatch(/permission_denied: read_package/);
  });
});

describe('registry.k8s.io (redirects to Artifact Registry)', () => {
  it('follows the 307 of every API request to the regional host: pullable, and a missing tag lists tags there too', async () => {
    const found = await prober().probe({ registry: at(K8S), repository: 'pause', tag: '3.10' });
    expect(found.pullable).toBe(true);
    expect(step(found, 'manifest')?.request).toContain(
      `${at(GAR)}/v2/k8s-artifacts-prod/images/pause/manifests/3.10`,
    );

    const missing = await prober().probe({ registry: at(K8S), repository: 'pause', tag: '3.11' });
    expect(missing.cause).toBe('tag_not_found');
    expect(missing.suggestions).toContain('3.10');
  });
});

describe('redirect to a registry that asks for a token', () => {
  it('answers the redirect target’s challenge and sends that token to the target only', async () => {
    const result = await prober().probe({ registry: at(VANITY), repository: 'octo/app', tag: 'v2.1.0' });
    expect(result.pullable).toBe(true);
    expect(result.auth.challenge).toBe('bearer');
    const vanity = hosts.get(VANITY)?.requests ?? [];
    expect(vanity.some((r) => r.headers.authorization !== undefined)).toBe(false);
  });
});

describe('pull-through mirror', () => {
  it('an HTML 502 from the proxy in front → registry_server_error, no HTML in the verdict', async () => {
    const result = await prober().probe({ registry: at(MIRROR), repository: 'library/nginx', tag: '1.26' });
    expect(result.cause).toBe('registry_server_error');
    expect(step(result, 'manifest')).toMatchObject({ status: 502 });
    expect(step(result, 'manifest')?.code).toBeUndefined();
    expect(result.summary).not.toMatch(/<html/i);
  });
});

describe('not a registry', () => {
  it('404 at /v2/, the manifest and the tag list, with no registry error code → registry_server_error, not a missing repository', async () => {
    const result = await prober().probe({ registry: at(WEB), repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('registry_server_error');
    expect(result.summary).toMatch(/does not answer as a registry/);
    expect(step(result, 'ping')).toMatchObject({ ok: false, status: 404 });
    expect(result.summary).not.toMatch(/<html/i);
    const image = `${at(WEB)}/team/api:v1`;
    // The node saw the same 404s as "not found": its cause stands, the summary says what answered.
    const seen = await checkImage({
      prober: prober(),
      classification: pullFailure('repo_not_found', image, { evidence: 'not found' }),
      checkedFrom: 'test',
    });
    expect(seen.cause).toBe('repo_not_found');
    expect(seen.summary).toMatch(/does not answer as a registry/);
    // Where the node's message decided nothing, the check's verdict and its advice lead.
    const unclear = await checkImage({
      prober: prober(),
      classification: pullFailure('unknown', image, { evidence: '' }),
      checkedFrom: 'test',
    });
    expect(unclear.cause).toBe('registry_server_error');
    expect(unclear.remediation[0]?.title).toMatch(/does not serve the registry API \(GET \/v2\/ → 404\)/);
  });

  it('a host whose /v2/ answers is believed: bare 404s for the manifest and tags → repository not found', async () => {
    const result = await prober().probe({ registry: at(TERSE), repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('repo_not_found');
    expect(step(result, 'ping')).toMatchObject({ ok: true, status: 200 });
  });
});
