import { describe, expect, it } from 'vitest';
import { parseChallenges, pickChallenge } from '../../lib/registry/challenge.ts';
import { closestTags, tagSimilarity } from '../../lib/registry/closest-tags.ts';
import { parseRegistryError } from '../../lib/registry/error-body.ts';
import { nextLink } from '../../lib/registry/link.ts';
import { MANIFEST_ACCEPT, manifestKind } from '../../lib/registry/media-types.ts';
import { indexPlatforms, parsePlatform, platformMatches } from '../../lib/registry/platform.ts';
import { parseRateLimit, parseRetryAfter } from '../../lib/registry/ratelimit.ts';
import { Secret } from '../../lib/registry/secret.ts';
import { jwtGrantsPull, TokenCache, tokenExpiry } from '../../lib/registry/token-cache.ts';

describe('WWW-Authenticate', () => {
  it('reads Docker Hub’s Bearer challenge', () => {
    const [challenge] = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
    );
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    });
  });

  it('reads several challenges, escapes, unquoted values and an insufficient_scope error', () => {
    const challenges = parseChallenges([
      'Basic realm="a \\"quoted\\" realm"',
      'Bearer realm="https://r/token",error="insufficient_scope", scope=repository:x:pull',
    ]);
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(challenges[0]?.params.realm).toBe('a "quoted" realm');
    expect(challenges[1]?.params).toMatchObject({ error: 'insufficient_scope', scope: 'repository:x:pull' });
    expect(pickChallenge(challenges)?.scheme).toBe('bearer');
  });

  it('reads two challenges in one header value', () => {
    const challenges = parseChallenges('Basic realm="x", Bearer realm="https://r/t",service="s"');
    expect(challenges).toEqual([
      { scheme: 'basic', params: { realm: 'x' } },
      { scheme: 'bearer', params: { realm: 'https://r/t', service: 's' } },
    ]);
  });

  it('returns nothing for garbage instead of throwing', () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(parseChallenges('=== ,,,')).toEqual([]);
    expect(pickChallenge([])).toBeNull();
  });
});

describe('registry error bodies', () => {
  it('reads the first error code', () => {
    expect(
      parseRegistryError(
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}}]}',
      ),
    ).toEqual({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' });
  });

  it('reads token-server style details and tolerates junk', () => {
    expect(parseRegistryError('{"details":"incorrect username or password"}')).toEqual({
      code: '',
      message: 'incorrect username or password',
    });
    expect(parseRegistryError('<html>502</html>')).toBeNull();
    expect(parseRegistryError('')).toBeNull();
    expect(parseRegistryError('null')).toBeNull();
  });
});

describe('Link pagination', () => {
  it('resolves a relative next link against the page URL', () => {
    expect(
      nextLink(
        '</v2/team/api/tags/list?n=2&last=v2>; rel="next"',
        'https://r.example:5000/v2/team/api/tags/list?n=2',
      ),
    ).toBe('https://r.example:5000/v2/team/api/tags/list?n=2&last=v2');
  });

  it('ignores other relations and finds next among several links', () => {
    expect(nextLink('<https://x/a>; rel="prev", <https://x/b>; rel=next', 'https://x/')).toBe('https://x/b');
    expect(nextLink('<https://x/a>; rel="prev"', 'https://x/')).toBeNull();
    expect(nextLink(undefined, 'https://x/')).toBeNull();
  });
});

describe('rate limits', () => {
  it('reads Docker Hub’s headers', () => {
    expect(
      parseRateLimit({
        'ratelimit-limit': '100;w=21600',
        'ratelimit-remaining': '76;w=21600',
        'docker-ratelimit-source': '203.0.113.9',
      }),
    ).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600, source: '203.0.113.9' });
    expect(parseRateLimit({ 'content-type': 'x' })).toBeNull();
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('media types', () => {
  it('asks for all four manifest types', () => {
    for (const type of [
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.oci.image.index.v1+json',
    ]) {
      expect(MANIFEST_ACCEPT).toContain(type);
    }
  });

  it('classifies what came back', () => {
    expect(manifestKind('application/vnd.oci.image.index.v1+json; charset=utf-8')).toBe('index');
    expect(manifestKind('application/vnd.docker.distribution.manifest.v1+prettyjws')).toBe('schema1');
    expect(manifestKind('text/html')).toBe('unknown');
    expect(manifestKind(undefined)).toBe('unknown');
  });
});

describe('platforms', () => {
  it('parses os/arch[/variant] and normalises aliases', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux')).toBeNull();
    expect(parsePlatform('linux/amd64/v2/x')).toBeNull();
  });

  it('matches like containerd: arm variants are backward compatible, others exact', () => {
    const arm7 = { os: 'linux', architecture: 'arm', variant: 'v7' };
    expect(platformMatches(arm7, { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, arm7)).toBe(false);
    expect(
      platformMatches(
        { os: 'linux', architecture: 'aarch64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ),
    ).toBe(true);
    expect(
      platformMatches({ os: 'linux', architecture: 'amd64' }, { os: 'windows', architecture: 'amd64' }),
    ).toBe(false);
  });

  it('lists an index’s platforms without attestation entries', () => {
    expect(
      indexPlatforms({
        manifests: [
          { platform: { os: 'linux', architecture: 'arm64' } },
          { platform: { os: 'unknown', architecture: 'unknown' } },
          { digest: 'x' },
          { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        ],
      }),
    ).toEqual([
      { os: 'linux', architecture: 'arm64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
    expect(indexPlatforms(null)).toEqual([]);
  });
});

describe('closest tags', () => {
  it('prefers the same version shape, then shared leading numbers, then numeric distance', () => {
    expect(closestTags('v1.4.2', ['latest', 'v1.3.9', 'v1.4.1', 'v2.0.0', 'v1.4.3', 'v1.4.2-rc1'])).toEqual([
      'v1.4.3',
      'v1.4.1',
      'v1.3.9',
      'v2.0.0',
      'v1.4.2-rc1',
    ]);
  });

  it('suggests v1 for a missing v9 when v1 is the only tag', () => {
    expect(closestTags('v9', ['v1'])).toEqual(['v1']);
  });

  it('for a missing latest, offers the newest versions', () => {
    expect(closestTags('latest', ['1.2.0', '1.10.0', '1.9.0'], 2)).toEqual(['1.10.0', '1.9.0']);
  });

  it('ranks by spelling for non-version tags and never suggests signature tags', () => {
    const signature = `sha256-${'a'.repeat(64)}.sig`;
    expect(closestTags('mian', ['main', 'develop', signature])).toEqual(['main', 'develop']);
    expect(tagSimilarity('1.4', '1.4.1')).toBeGreaterThan(tagSimilarity('1.4', 'latest'));
  });

  it('returns nothing when there are no other tags', () => {
    expect(closestTags('v1', [])).toEqual([]);
    expect(closestTags('v1', ['v1'])).toEqual([]);
  });
});

describe('token cache', () => {
  function jwt(payload: object): string {
    return ['e30', Buffer.from(JSON.stringify(payload)).toString('base64url'), 'sig'].join('.');
  }

  it('keeps a token until shortly before it expires', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(tokenExpiry({ expires_in: 300 }, now)).toBe(now + 270_000);
    expect(tokenExpiry({}, now)).toBe(now + 54_000);
    // A server clock ahead of ours does not extend the lifetime.
    expect(tokenExpiry({ expires_in: 300, issued_at: '2026-01-01T00:10:00Z' }, now)).toBe(now + 270_000);
    expect(tokenExpiry({ expires_in: 300, issued_at: '2025-12-31T23:59:00Z' }, now)).toBe(now + 210_000);
  });

  it('shares one fetch between concurrent callers and serves later ones from the cache', async () => {
    const cache = new TokenCache();
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { token: new Secret('t'), expiresAt: 10_000, grantsPull: true };
    };
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrFetch('k', 0, fetch)));
    expect(fetches).toBe(1);
    expect(results.filter((r) => !r.fromCache)).toHaveLength(1);
    expect((await cache.getOrFetch('k', 5_000, fetch)).fromCache).toBe(true);
    expect((await cache.getOrFetch('k', 10_000, fetch)).fromCache).toBe(false);
    expect(fetches).toBe(2);
  });

  it('stays bounded', () => {
    const cache = new TokenCache(2);
    for (const key of ['a', 'b', 'c'])
      cache.set(key, { token: new Secret(key), expiresAt: 100, grantsPull: null });
    expect(cache.size).toBe(2);
    expect(cache.get('a', 0)).toBeNull();
  });

  it('reads the JWT access claim', () => {
    const token = jwt({ access: [{ type: 'repository', name: 'team/api', actions: ['pull'] }] });
    expect(jwtGrantsPull(token, 'team/api')).toBe(true);
    expect(jwtGrantsPull(token, 'team/other')).toBe(false);
    expect(jwtGrantsPull(jwt({ access: [] }), 'team/api')).toBe(false);
    expect(jwtGrantsPull('opaque-token', 'team/api')).toBeNull();
  });
});
