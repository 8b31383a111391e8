import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProbeResult, RegistryProber, type RegistryProberOptions } from '../../lib/registry/index.ts';
import { LAB_USERS, type RegistryLab, startRegistryLab } from '../support/registry-lab.ts';
import { closedPort, paginateTags, type RunningServer, startBlackhole } from '../support/standins.ts';

/**
 * The scenario suite against the real registry (Debian's docker-registry, CNCF distribution 2.8) and the
 * lab's token server: each scenario asserts the probe's verdict and the evidence behind it.
 */

let lab: RegistryLab;
let blackhole: RunningServer & { connections: number };

beforeAll(async () => {
  lab = await startRegistryLab();
  blackhole = await startBlackhole();
});

afterAll(async () => {
  await lab?.stop();
  await blackhole?.stop();
});

function prober(options: RegistryProberOptions = {}): RegistryProber {
  return new RegistryProber({
    ...options,
    config: {
      ...options.config,
      allowHosts: [...lab.allowHosts, blackhole.host, ...(options.config?.allowHosts ?? [])],
    },
  });
}

function step(result: ProbeResult, name: string) {
  return result.steps.find((s) => s.step === name);
}

describe('availability', () => {
  it('tag exists: pullable, with the manifest type and digest', async () => {
    const result = await prober().probe({ registry: lab.plain.host, repository: 'team/api', tag: 'v1' });
    expect(result.pullable).toBe(true);
    expect(result.cause).toBeNull();
    expect(result.scheme).toBe('http');
    expect(result.manifest?.kind).toBe('manifest');
    expect(result.manifest?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(step(result, 'manifest')?.headers?.['content-type']).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    expect(result.steps.map((s) => s.step)).toEqual([
      'dns',
      'guard',
      'tcp',
      'tls',
      'tcp',
      'ping',
      'manifest',
    ]);
  });

  it('an OCI manifest is found because all four Accept types are sent', async () => {
    const result = await prober().probe({ registry: lab.plain.host, repository: 'team/api', tag: 'v1.5.0' });
    expect(result.pullable).toBe(true);
    expect(result.manifest?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  });

  it('a digest reference resolves, and the digest the registry reports is recorded', async () => {
    const byTag = await prober().probe({ registry: lab.plain.host, repository: 'team/api', tag: 'v1' });
    const digest = byTag.manifest?.digest ?? '';
    const result = await prober().probe({ registry: lab.plain.host, repository: 'team/api', digest });
    expect(result.pullable).toBe(true);
    expect(result.reference).toBe(digest);
    expect(result.manifest?.digest).toBe(digest);
  });

  it('tag missing: tag_not_found with the closest existing tags', async () => {
    const result = await prober().probe({ registry: lab.plain.host, repository: 'team/api', tag: 'v1.4.2' });
    expect(result.cause).toBe('tag_not_found');
    expect(result.pullable).toBe(false);
    expect(result.suggestions[0]).toBe('v1.4.1');
    expect(result.suggestions).toEqual(expect.arrayContaining(['v1', 'v1.5.0']));
    expect(step(result, 'manifest')).toMatchObject({ ok: false, status: 404, code: 'MANIFEST_UNKNOWN' });
    expect(step(result, 'tags')).toMatchObject({ ok: true, status: 200 });
    expect(result.tags).toEqual({ listed: 3, complete: true, containsReference: false });
  });

  it('repository missing: repo_not_found, told apart through the tags endpoint (NAME_UNKNOWN)', async () => {
    const result = await prober().probe({ registry: lab.plain.host, repository: 'team/nothing', tag: 'v1' });
    expect(result.cause).toBe('repo_not_found');
    expect(step(result, 'manifest')?.code).toBe('MANIFEST_UNKNOWN');
    expect(step(result, 'tags')).toMatchObject({ ok: false, status: 404, code: 'NAME_UNKNOWN' });
    expect(result.suggestions).toEqual([]);
  });

  it('platform present in an index: pullable; missing: platform_mismatch listing what exists', async () => {
    const good = await prober().probe(
      { registry: lab.plain.host, repository: 'team/multi', tag: 'v2' },
      { platform: { os: 'linux', architecture: 'arm64' } },
    );
    expect(good.pullable).toBe(true);
    expect(good.manifest?.kind).toBe('index');
    expect(good.platform?.matched).toBe(true);

    const bad = await prober().probe(
      { registry: lab.plain.host, repository: 'team/multi', tag: 'v2' },
      { platform: { os: 'linux', architecture: 's390x' } },
    );
    expect(bad.cause).toBe('platform_mismatch');
    expect(bad.platform?.available.map((p) => `${p.os}/${p.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    expect(step(bad, 'platform')?.ok).toBe(false);
  });

  it('a Docker manifest list is checked for the platform too (aliases normalised)', async () => {
    const result = await prober().probe(
      { registry: lab.plain.host, repository: 'team/multi', tag: 'v2-docker' },
      { platform: { os: 'linux', architecture: 'aarch64' } },
    );
    expect(result.cause).toBe('platform_mismatch');
    expect(result.manifest?.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
  });

  it('follows Link pagination of the tag list, bounded by maxTagPages', async () => {
    lab.setFault(paginateTags(2));
    try {
      const all = await prober({ config: { tagPageSize: 2 } }).probe({
        registry: lab.proxy.host,
        repository: 'team/paged',
        tag: 'b3',
      });
      expect(all.cause).toBe('tag_not_found');
      expect(all.tags).toEqual({ listed: 5, complete: true, containsReference: false });
      expect(all.suggestions.slice(0, 2)).toEqual(['b2', 'b1']);
      expect(lab.proxy.requests.filter((r) => r.path.includes('/tags/list')).map((r) => r.path)).toEqual(
        expect.arrayContaining(['/v2/team/paged/tags/list?n=2', '/v2/team/paged/tags/list?n=2&last=a2']),
      );

      const bounded = await prober({ config: { tagPageSize: 2, maxTagPages: 2 } }).probe({
        registry: lab.proxy.host,
        repository: 'team/paged',
        tag: 'b3',
      });
      expect(bounded.tags).toEqual({ listed: 4, complete: false, containsReference: false });
      expect(step(bounded, 'tags')?.summary).toMatch(/stopped early/);
    } finally {
      lab.setFault(null);
    }
  });
});

describe('authentication', () => {
  it('Bearer: anonymous token for a public repository is fetched once, then served from the cache', async () => {
    const shared = prober();
    const before = lab.tokens.requests.length;
    const first = await shared.probe({ registry: lab.token.host, repository: 'team/api', tag: 'v1' });
    const second = await shared.probe({ registry: lab.token.host, repository: 'team/api', tag: 'v1' });
    expect(first.pullable).toBe(true);
    expect(second.pullable).toBe(true);
    expect(first.auth).toEqual({ challenge: 'bearer', credentials: 'anonymous', tokenFromCache: false });
    expect(second.auth.tokenFromCache).toBe(true);
    expect(lab.tokens.requests.length - before).toBe(1);
    expect(step(first, 'token')?.summary).toMatch(/grants pull/);
  });

  it('auth required, no credentials: the token service refuses anonymous users → unauthorized', async () => {
    lab.tokens.setAnonymous('deny');
    try {
      const result = await prober().probe({ registry: lab.token.host, repository: 'team/api', tag: 'v1' });
      expect(result.cause).toBe('unauthorized');
      expect(step(result, 'token')).toMatchObject({ ok: false, status: 401 });
      expect(result.summary).toMatch(/requires credentials/);
    } finally {
      lab.tokens.setAnonymous({ 'team/api': ['pull'], 'team/multi': ['pull'] });
    }
  });

  it('anonymous token without pull on a repository: private or missing, which the registry will not say', async () => {
    const result = await prober().probe({ registry: lab.token.host, repository: 'team/secret', tag: 'v1' });
    expect(result.cause).toBe('repo_not_found_or_denied');
    expect(step(result, 'token')?.summary).toMatch(/grants no pull/);
    expect(step(result, 'manifest')).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('Basic auth required, no credentials → unauthorized', async () => {
    const result = await prober().probe({ registry: lab.basic.host, repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('unauthorized');
    expect(result.auth.challenge).toBe('basic');
    expect(result.summary).toMatch(/requires a user name and password/);
  });

  it('Basic auth with the right credentials from an environment variable → pullable', async () => {
    const result = await prober({
      config: { credentials: { [lab.basic.host]: { username: 'carol', passwordEnv: 'LAB_BASIC_PASSWORD' } } },
      env: { LAB_BASIC_PASSWORD: LAB_USERS.carol },
    }).probe({ registry: lab.basic.host, repository: 'team/api', tag: 'v1' });
    expect(result.pullable).toBe(true);
    expect(result.auth.credentials).toBe('config');
  });

  it('wrong credentials: Basic → unauthorized; Bearer (token service rejects them) → unauthorized', async () => {
    const basic = await prober({
      credentials: { [lab.basic.host]: { username: 'carol', password: 'wrong-password-1' } },
    }).probe({
      registry: lab.basic.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(basic.cause).toBe('unauthorized');
    expect(step(basic, 'manifest')).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });

    const bearer = await prober({
      credentials: { [lab.token.host]: { username: 'bob', password: 'wrong-password-2' } },
    }).probe({
      registry: lab.token.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(bearer.cause).toBe('unauthorized');
    expect(step(bearer, 'token')).toMatchObject({ ok: false, status: 401 });
  });

  it('forbidden: valid credentials without pull permission on the repository', async () => {
    const result = await prober({
      credentials: { [lab.token.host]: { username: 'bob', password: LAB_USERS.bob } },
    }).probe({
      registry: lab.token.host,
      repository: 'team/secret',
      tag: 'v1',
    });
    expect(result.cause).toBe('forbidden');
    expect(step(result, 'token')?.ok).toBe(true);
    expect(step(result, 'manifest')?.status).toBe(401);
  });

  it('credentials with permission pull a private repository', async () => {
    const result = await prober({
      credentials: { [lab.token.host]: { username: 'alice', password: LAB_USERS.alice } },
    }).probe({
      registry: lab.token.host,
      repository: 'team/secret',
      tag: 'v1',
    });
    expect(result.pullable).toBe(true);
    expect(result.auth.credentials).toBe('static');
  });

  it('never puts passwords, Basic encodings or tokens in evidence, results or logs', async () => {
    const logged: unknown[] = [];
    const log = (message: string, data: Record<string, unknown>) => logged.push({ message, data });
    const results = [
      await prober({
        log,
        credentials: { [lab.token.host]: { username: 'alice', password: LAB_USERS.alice } },
      }).probe({
        registry: lab.token.host,
        repository: 'team/secret',
        tag: 'v1',
      }),
      await prober({
        log,
        credentials: { [lab.token.host]: { username: 'bob', password: LAB_USERS.bob } },
      }).probe({
        registry: lab.token.host,
        repository: 'team/secret',
        tag: 'v9',
      }),
      await prober({
        log,
        credentials: { [lab.basic.host]: { username: 'carol', password: LAB_USERS.carol } },
      }).probe({
        registry: lab.basic.host,
        repository: 'team/api',
        tag: 'nope',
      }),
      await prober({
        log,
        credentials: { [lab.basic.host]: { username: 'carol', password: 'Wrong-Secret-99' } },
      }).probe({
        registry: lab.basic.host,
        repository: 'team/api',
        tag: 'v1',
      }),
    ];
    const text = JSON.stringify({ results, logged });
    const secrets = [
      LAB_USERS.alice,
      LAB_USERS.bob,
      LAB_USERS.carol,
      'Wrong-Secret-99',
      Buffer.from(`carol:${LAB_USERS.carol}`).toString('base64'),
      Buffer.from(`alice:${LAB_USERS.alice}`).toString('base64'),
      ...lab.tokens.issued,
    ];
    expect(logged.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('transport', () => {
  it('TLS with a trusted CA (--insecure-ca) → pullable over HTTPS', async () => {
    const result = await prober({ extraCa: [lab.ca.cert] }).probe({
      registry: lab.tls.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.pullable).toBe(true);
    expect(result.scheme).toBe('https');
    expect(step(result, 'tls')?.summary).toMatch(/TLSv1\.[23]/);
  });

  it('TLS untrusted → tls, naming the unknown authority', async () => {
    const result = await prober().probe({ registry: lab.tls.host, repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('tls');
    expect(result.summary).toMatch(/unknown authority/);
    expect(step(result, 'tls')?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(step(result, 'ping')).toBeUndefined();
  });

  it('TLS expired → tls, with the expiry date', async () => {
    const result = await prober({ extraCa: [lab.ca.cert] }).probe({
      registry: lab.expired.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.cause).toBe('tls');
    expect(result.summary).toMatch(/expired on 2020-02-01/);
    expect(step(result, 'tls')?.code).toBe('CERT_HAS_EXPIRED');
  });

  it('TLS certificate for another name → tls (hostname mismatch)', async () => {
    const host = `other.lab.test:${lab.tls.port}`;
    const result = await prober({
      extraCa: [lab.ca.cert],
      config: { allowHosts: [host] },
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    }).probe({ registry: host, repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('tls');
    expect(result.summary).toMatch(/not other\.lab\.test/);
    expect(step(result, 'tls')?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('HTTP-only registry when the node expects HTTPS → http_vs_https', async () => {
    const result = await prober().probe(
      { registry: lab.plain.host, repository: 'team/api', tag: 'v1' },
      { scheme: 'https' },
    );
    expect(result.cause).toBe('http_vs_https');
    expect(step(result, 'tls')?.summary).toMatch(/answers plain HTTP/);
  });

  it('HTTP-only registry on a non-loopback name → http_vs_https (no plain-HTTP fallback outside loopback)', async () => {
    const port = lab.plain.port;
    const result = await prober({
      config: { allowHosts: [`registry.lab.test:${port}`] },
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    }).probe({ registry: `registry.lab.test:${port}`, repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('http_vs_https');
  });

  it('…unless the host is configured as a plain-HTTP registry', async () => {
    const port = lab.plain.port;
    const result = await prober({
      config: { allowHosts: [`registry.lab.test:${port}`], plainHttpHosts: [`registry.lab.test:${port}`] },
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    }).probe({ registry: `registry.lab.test:${port}`, repository: 'team/api', tag: 'v1' });
    expect(result.pullable).toBe(true);
    expect(result.scheme).toBe('http');
  });

  it('HTTPS-only registry when the node speaks plain HTTP → http_vs_https (the reverse)', async () => {
    const result = await prober({ extraCa: [lab.ca.cert] }).probe(
      { registry: lab.tls.host, repository: 'team/api', tag: 'v1' },
      { scheme: 'http' },
    );
    expect(result.cause).toBe('http_vs_https');
    expect(step(result, 'http')?.summary).toMatch(/HTTP request to an HTTPS server/);
  });

  it('an HTTPS server that drops plain-HTTP requests without answering → http_vs_https, not a network fault', async () => {
    const server = https.createServer(
      { cert: readFileSync(lab.leaf.certPath), key: readFileSync(lab.leaf.keyPath) },
      (_req, res) => {
        res.writeHead(200);
        res.end('{}');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const result = await prober({ config: { allowHosts: [`127.0.0.1:${port}`] } }).probe(
        { registry: `127.0.0.1:${port}`, repository: 'team/api', tag: 'v1' },
        { scheme: 'http' },
      );
      expect(result.cause).toBe('http_vs_https');
      expect(step(result, 'http')?.summary).toMatch(/a TLS handshake succeeds/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('DNS failure (.invalid) → dns', async () => {
    const result = await prober().probe({
      registry: 'registry.pullwatch.invalid',
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.cause).toBe('dns');
    expect(step(result, 'dns')?.ok).toBe(false);
    expect(step(result, 'tcp')).toBeUndefined();
  });

  it('connection refused → connection_refused', async () => {
    const port = await closedPort();
    const result = await prober({ config: { allowHosts: [`127.0.0.1:${port}`] } }).probe(
      { registry: `127.0.0.1:${port}`, repository: 'team/api', tag: 'v1' },
      { scheme: 'http' },
    );
    expect(result.cause).toBe('connection_refused');
    expect(step(result, 'tcp')).toMatchObject({ ok: false });
    expect(step(result, 'tcp')?.error).toMatch(/ECONNREFUSED/);
  });

  it('timeout: a socket that accepts and never answers → timeout within the deadline', async () => {
    const before = blackhole.connections;
    const result = await prober({
      config: { deadlineMs: 1500, timeouts: { tlsMs: 600, requestMs: 600 } },
    }).probe({
      registry: blackhole.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.cause).toBe('timeout');
    expect(step(result, 'tcp')?.ok).toBe(true);
    expect(step(result, 'tls')?.error).toMatch(/no answer within 600 ms/);
    expect(blackhole.connections).toBeGreaterThan(before);
  });

  it('the whole-probe deadline stops a probe whose steps each fit their own timeout', async () => {
    const result = await prober({ config: { deadlineMs: 400, timeouts: { requestMs: 5000 } } }).probe(
      { registry: blackhole.host, repository: 'team/api', tag: 'v1' },
      { scheme: 'http' },
    );
    expect(result.cause).toBe('timeout');
    expect(result.steps.some((s) => s.error?.includes('no answer within'))).toBe(true);
  });
});

describe('registry errors', () => {
  it('5xx → registry_server_error with the status and code', async () => {
    lab.setFault((request) =>
      request.path.includes('/manifests/')
        ? {
            status: 503,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'maintenance' }] }),
          }
        : null,
    );
    try {
      const result = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(result.cause).toBe('registry_server_error');
      expect(step(result, 'manifest')).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    } finally {
      lab.setFault(null);
    }
  });

  it('429 with Retry-After → rate_limited, keeping Retry-After and the rate-limit headers', async () => {
    lab.setFault((request) =>
      request.path.includes('/manifests/')
        ? {
            status: 429,
            headers: {
              'content-type': 'application/json',
              'retry-after': '120',
              'ratelimit-limit': '100;w=21600',
              'ratelimit-remaining': '0;w=21600',
            },
            body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }),
          }
        : null,
    );
    try {
      const result = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(result.cause).toBe('rate_limited');
      expect(result.retryAfterSeconds).toBe(120);
      expect(result.rateLimit).toMatchObject({ limit: 100, remaining: 0, windowSeconds: 21600 });
      expect(result.summary).toMatch(/retry after 120 s/);
      expect(step(result, 'manifest')?.headers?.['retry-after']).toBe('120');
    } finally {
      lab.setFault(null);
    }
  });

  it('Docker Hub rate-limit headers on the HEAD are reported; none left → rate_limited', async () => {
    let remaining = '76;w=21600';
    lab.setFault(async (request, upstream) => {
      if (request.method !== 'HEAD' || !request.path.includes('/manifests/')) return null;
      const answer = await upstream.get(request.path, { accept: String(request.headers.accept) });
      return {
        status: answer.status,
        headers: {
          'content-type': String(answer.headers['content-type']),
          'docker-content-digest': String(answer.headers['docker-content-digest']),
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': remaining,
          'docker-ratelimit-source': '203.0.113.9',
        },
      };
    });
    try {
      const fine = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(fine.pullable).toBe(true);
      expect(fine.rateLimit).toEqual({
        limit: 100,
        remaining: 76,
        windowSeconds: 21600,
        source: '203.0.113.9',
      });
      expect(step(fine, 'ratelimit')).toMatchObject({ ok: true });
      expect(step(fine, 'ratelimit')?.summary).toMatch(/76 of 100 pulls left per 6 h/);

      remaining = '0;w=21600';
      const empty = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(empty.cause).toBe('rate_limited');
      expect(step(empty, 'ratelimit')?.ok).toBe(false);
    } finally {
      lab.setFault(null);
    }
  });

  it('caps response bodies: an oversized tag list is cut at maxBodyBytes and reported as incomplete', async () => {
    const huge = JSON.stringify({
      name: 'team/api',
      tags: Array.from({ length: 20_000 }, (_, i) => `build-${i}`),
    });
    lab.setFault((request) =>
      request.path.includes('/tags/list')
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: huge }
        : null,
    );
    try {
      const result = await prober({ config: { maxBodyBytes: 4096 } }).probe({
        registry: lab.proxy.host,
        repository: 'team/api',
        tag: 'v9',
      });
      expect(huge.length).toBeGreaterThan(100_000);
      expect(result.cause).toBe('tag_not_found');
      expect(result.tags?.complete).toBe(false);
      expect(result.tags?.listed).toBe(0);
    } finally {
      lab.setFault(null);
    }
  });

  it('follows a redirect to an allowed host, connecting through the guard', async () => {
    lab.setFault((request) =>
      request.path.startsWith('/v2/team/api/manifests/')
        ? { status: 307, headers: { location: `${lab.plain.url}${request.path}` } }
        : null,
    );
    try {
      const result = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(result.pullable).toBe(true);
    } finally {
      lab.setFault(null);
    }
  });
});

describe('SSRF guard', () => {
  const unlisted = () => new RegistryProber();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.0.0.1', 'private'],
    ['[::1]', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['[::ffff:a9fe:a9fe]', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['[fd00::1]', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
  ])('refuses %s (%s) before connecting', async (host, range) => {
    const result = await unlisted().probe({ registry: `${host}:5000`, repository: 'team/api', tag: 'v1' });
    expect(result.blocked).toBe(true);
    expect(result.pullable).toBe(false);
    expect(step(result, 'guard')).toMatchObject({ ok: false });
    expect(step(result, 'guard')?.error).toContain(range);
    expect(step(result, 'tcp')).toBeUndefined();
  });

  it('refuses a name resolving to 127.0.0.1 (localhost) and never connects to it', async () => {
    const before = blackhole.connections;
    const result = await unlisted().probe({
      registry: `localhost:${blackhole.port}`,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.blocked).toBe(true);
    expect(step(result, 'dns')?.summary).toMatch(/localhost → 127\.0\.0\.1/);
    expect(step(result, 'tcp')).toBeUndefined();
    expect(blackhole.connections).toBe(before);
  });

  it('refuses the decimal form of 127.0.0.1 that getaddrinfo accepts', async () => {
    const before = blackhole.connections;
    const result = await unlisted().probe({
      registry: `2130706433:${blackhole.port}`,
      repository: 'a',
      tag: 'v1',
    });
    expect(result.blocked).toBe(true);
    expect(blackhole.connections).toBe(before);
  });

  it('refuses every resolved address when any is internal (mixed answers)', async () => {
    const result = await new RegistryProber({
      resolver: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '169.254.169.254', family: 4 },
      ],
    }).probe({ registry: 'mixed.example.com', repository: 'a', tag: 'v1' });
    expect(result.blocked).toBe(true);
    expect(step(result, 'tcp')).toBeUndefined();
  });

  it('an allow-listed name does not open link-local addresses (metadata stays shut)', async () => {
    const result = await new RegistryProber({
      config: { allowHosts: ['registry.internal'] },
      resolver: async () => [{ address: '169.254.169.254', family: 4 }],
    }).probe({ registry: 'registry.internal', repository: 'a', tag: 'v1' });
    expect(result.blocked).toBe(true);
  });

  it('refuses a redirect to the metadata address', async () => {
    lab.setFault((request) =>
      request.path.includes('/manifests/')
        ? { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }
        : null,
    );
    try {
      const result = await prober().probe({ registry: lab.proxy.host, repository: 'team/api', tag: 'v1' });
      expect(result.blocked).toBe(true);
      expect(result.steps.find((s) => s.step === 'guard' && !s.ok)?.summary).toMatch(/169\.254\.169\.254/);
    } finally {
      lab.setFault(null);
    }
  });

  it('refuses a token realm on a loopback port that is not allow-listed', async () => {
    const result = await new RegistryProber({ config: { allowHosts: [lab.token.host] } }).probe({
      registry: lab.token.host,
      repository: 'team/api',
      tag: 'v1',
    });
    expect(result.blocked).toBe(true);
    expect(step(result, 'token')?.ok).toBe(false);
  });

  it('connects to the address it checked: a second DNS answer (rebinding) is never used', async () => {
    const port = lab.plain.port;
    let calls = 0;
    const result = await new RegistryProber({
      config: { allowHosts: ['127.0.0.1/32'] },
      resolver: async () => {
        calls++;
        return [{ address: calls === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
      },
    }).probe({ registry: `rebind.lab.test:${port}`, repository: 'team/api', tag: 'v9' }, { scheme: 'http' });
    // Several requests (ping, HEAD, GET, tags) over possibly several connections: one lookup.
    expect(result.cause).toBe('tag_not_found');
    expect(calls).toBe(1);
  });
});
