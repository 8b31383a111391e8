import { describe, expect, it } from 'vitest';
import type { Cause } from '../../lib/classify/causes.ts';
import type { Classification } from '../../lib/classify/types.ts';
import { causesAgree, diagnose, nodePlatform, nodeScheme } from '../../lib/diagnose/index.ts';
import type { PodContext, PullSecretInfo } from '../../lib/events/envelope.ts';
import type { ProbeResult } from '../../lib/registry/types.ts';
import { pullFailure } from '../support/classification.ts';

/** The node's view of a failed pull of the image every case here is about. */
function classification(cause: Cause, overrides: Partial<Classification> = {}): Classification {
  return pullFailure(cause, 'registry.example.com/team/api:v1.4.2', overrides);
}

function probe(overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    image: 'registry.example.com/team/api:v1.4.2',
    registry: 'registry.example.com',
    apiHost: 'registry.example.com',
    repository: 'team/api',
    reference: 'v1.4.2',
    pullable: false,
    cause: 'tag_not_found',
    confidence: 0.95,
    summary:
      'tag v1.4.2 does not exist in registry.example.com/team/api, which has 3 tags; closest: v1.4.1, v1.4.0',
    steps: [
      {
        step: 'manifest',
        ok: false,
        summary: 'HEAD /v2/team/api/manifests/v1.4.2 → 404 MANIFEST_UNKNOWN',
        status: 404,
        code: 'MANIFEST_UNKNOWN',
      },
    ],
    blocked: false,
    scheme: 'https',
    address: '203.0.113.10',
    auth: { challenge: 'bearer', credentials: 'anonymous', tokenFromCache: false },
    manifest: null,
    platform: null,
    tags: { listed: 3, complete: true, containsReference: false },
    suggestions: ['v1.4.1', 'v1.4.0'],
    rateLimit: null,
    retryAfterSeconds: null,
    checkedAt: '2026-11-29T00:00:00.000Z',
    durationMs: 120,
    ...overrides,
  };
}

const pullable = (overrides: Partial<ProbeResult> = {}) =>
  probe({
    pullable: true,
    cause: null,
    confidence: 0.9,
    summary: 'registry.example.com/team/api:v1.4.2 is pullable from here (manifest sha256:abc…)',
    suggestions: [],
    tags: null,
    manifest: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      kind: 'manifest',
      digest: `sha256:${'a'.repeat(64)}`,
      platforms: [],
    },
    ...overrides,
  });

const pod: PodContext = {
  name: 'api-7d9f-x2',
  uid: 'p-1',
  namespace: 'shop',
  serviceAccount: 'builder',
  nodeName: 'ip-10-0-1-5',
  imagePullSecrets: [],
  containers: [
    { name: 'api', image: 'registry.example.com/team/api:v1.4.2', imagePullPolicy: 'IfNotPresent' },
    { name: 'sidecar', image: 'envoy:1.30', imagePullPolicy: 'IfNotPresent' },
  ],
  owner: { kind: 'ReplicaSet', name: 'api-7d9f' },
  workload: { kind: 'Deployment', name: 'api' },
};

const commands = (d: { remediation: { command?: string }[] }) =>
  d.remediation.map((r) => r.command ?? '').join('\n');
const titles = (d: { remediation: { title: string }[] }) => d.remediation.map((r) => r.title).join('\n');

describe('refining the node’s view', () => {
  it('repo_not_found_or_denied + tag missing → tag_not_found, agreeing, with the closest tag in the fix', () => {
    const d = diagnose({
      classification: classification('repo_not_found_or_denied'),
      probe: probe(),
      pod,
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.cause).toBe('tag_not_found');
    expect(d.category).toBe('availability');
    expect(d.agreesWithNode).toBe(true);
    expect(d.pullable).toBe(false);
    expect(d.suggestions).toEqual(['v1.4.1', 'v1.4.0']);
    expect(commands(d)).toContain(
      'kubectl -n shop set image deployment/api api=registry.example.com/team/api:v1.4.1',
    );
    expect(d.checkedFrom).toBe('lambda eu-west-1');
    expect(d.evidence.map((e) => e.step)).toEqual(['kubelet', 'pod', 'manifest']);
  });

  it('repo_not_found_or_denied + NAME_UNKNOWN → repo_not_found', () => {
    const d = diagnose({
      classification: classification('repo_not_found_or_denied'),
      probe: probe({
        cause: 'repo_not_found',
        summary: 'repository team/api does not exist',
        suggestions: [],
      }),
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('repo_not_found');
    expect(d.agreesWithNode).toBe(true);
    expect(titles(d)).toMatch(/Check the repository name/);
  });

  it('network causes from different vantage points agree as a family', () => {
    expect(causesAgree('timeout', 'connection_refused')).toBe(true);
    expect(causesAgree('tag_not_found', 'repo_not_found')).toBe(true);
    expect(causesAgree('tls', 'timeout')).toBe(false);
    expect(causesAgree('unauthorized', 'rate_limited')).toBe(false);
  });
});

describe('disagreement between the node and the checker', () => {
  it('registry fine from here, node unauthorized → says so and points at the node and the pod’s credentials', () => {
    const d = diagnose({
      classification: classification('unauthorized'),
      probe: pullable(),
      pod,
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.cause).toBe('unauthorized');
    expect(d.agreesWithNode).toBe(false);
    expect(d.pullable).toBe(true);
    expect(d.summary).toMatch(/pullable from lambda eu-west-1 \(anonymously\): suspect the node's side/);
    expect(commands(d)).toContain('kubectl debug node/ip-10-0-1-5');
    expect(commands(d)).toContain('kubectl -n shop patch serviceaccount builder');
  });

  it('the node reached the registry (tag missing) but the checker cannot (DNS) → keeps the node’s cause', () => {
    const d = diagnose({
      classification: classification('tag_not_found'),
      probe: probe({
        cause: 'dns',
        summary: 'resolving registry.internal: no such host (ENOTFOUND)',
        suggestions: [],
      }),
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.cause).toBe('tag_not_found');
    expect(d.agreesWithNode).toBeNull();
    expect(d.summary).toMatch(/the check stopped earlier: resolving registry.internal/);
    // Without a tag list there is no "use this tag instead" step for the publish step to be the "or" of.
    expect(d.remediation[0]?.title).toMatch(/^Publish .*or deploy a tag the registry has/);
  });

  it('the node got as far as TLS but the checker cannot resolve the host → keeps the node’s cause', () => {
    const d = diagnose({
      classification: classification('tls'),
      probe: probe({
        cause: 'dns',
        summary: 'resolving harbor.internal: no such host (ENOTFOUND)',
        suggestions: [],
      }),
      checkedFrom: 'pullwatch run on laptop',
    });
    expect(d.cause).toBe('tls');
    expect(d.agreesWithNode).toBeNull();
    expect(d.summary).toMatch(/reports tls; from pullwatch run on laptop the check stopped earlier/);
  });

  it('without its own TLS step the fix follows the node’s x509 text: expired → renew, wrong name → reissue', () => {
    const unreachable = probe({
      cause: 'dns',
      summary: 'resolving harbor.internal: no such host',
      suggestions: [],
    });
    const withText = (evidence: string) =>
      diagnose({
        classification: { ...classification('tls'), evidence },
        probe: unreachable,
        checkedFrom: 'x',
      }).remediation[0]?.title;
    expect(withText('x509: certificate has expired or is not yet valid: current time … is after …')).toMatch(
      /^Renew the TLS certificate of .*: the node reports "x509: certificate has expired/,
    );
    expect(withText('x509: certificate is valid for other.example, not harbor.internal')).toMatch(/^Reissue/);
    expect(withText('x509: certificate signed by unknown authority')).toMatch(/^Make the nodes trust the CA/);
  });

  it('an anonymous checker refused where the node saw a missing tag keeps the node’s cause', () => {
    const d = diagnose({
      classification: classification('tag_not_found'),
      probe: probe({ cause: 'unauthorized', summary: 'credentials needed', suggestions: [] }),
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('tag_not_found');
  });

  it('a real disagreement on a failure is flagged', () => {
    const d = diagnose({
      classification: classification('tls'),
      probe: probe({ cause: 'tag_not_found' }),
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('tag_not_found');
    expect(d.agreesWithNode).toBe(false);
    expect(d.summary).toMatch(/The node reported tls/);
  });

  it('node-side causes are not contradicted by a healthy registry', () => {
    const d = diagnose({
      classification: classification('disk_full'),
      probe: pullable(),
      pod,
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('disk_full');
    expect(d.agreesWithNode).toBeNull();
    expect(commands(d)).toContain('kubectl describe node ip-10-0-1-5');
  });
});

describe('credentials advice uses the pod’s names', () => {
  const secrets = (list: PullSecretInfo[]) => list;

  it('no imagePullSecrets → create regcred and attach it to the pod’s service account', () => {
    const d = diagnose({ probe: probe({ cause: 'unauthorized', suggestions: [] }), pod, checkedFrom: 'x' });
    expect(commands(d)).toContain(
      'kubectl -n shop create secret docker-registry regcred --docker-server=registry.example.com --docker-username=<user> --docker-password=<password-or-token>',
    );
    expect(commands(d)).toContain(
      `kubectl -n shop patch serviceaccount builder -p '{"imagePullSecrets":[{"name":"regcred"}]}'`,
    );
    expect(commands(d)).toContain('kubectl -n shop rollout restart deployment/api');
  });

  it('a referenced secret that does not exist → create it under that name', () => {
    const d = diagnose({
      probe: probe({ cause: 'unauthorized', suggestions: [] }),
      pod: { ...pod, imagePullSecrets: ['team-pull'] },
      pullSecrets: secrets([{ name: 'team-pull', exists: false, type: null, registries: [] }]),
      checkedFrom: 'x',
    });
    expect(titles(d)).toMatch(/team-pull, which does not exist in shop/);
    expect(commands(d)).toContain(
      'create secret docker-registry team-pull --docker-server=registry.example.com',
    );
  });

  it('a secret for other registries → recreate it for this one', () => {
    const d = diagnose({
      probe: probe({ cause: 'unauthorized', suggestions: [] }),
      pod: { ...pod, imagePullSecrets: ['team-pull'] },
      pullSecrets: secrets([
        { name: 'team-pull', exists: true, type: 'kubernetes.io/dockerconfigjson', registries: ['ghcr.io'] },
      ]),
      checkedFrom: 'x',
    });
    expect(titles(d)).toMatch(/team-pull has no entry for registry.example.com \(it covers ghcr.io\)/);
  });

  it('ECR: the secret command fetches a password with the aws CLI and warns about expiry', () => {
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    const d = diagnose({
      probe: probe({
        cause: 'unauthorized',
        registry: host,
        apiHost: host,
        image: `${host}/team/api:v1`,
        reference: 'v1',
        suggestions: [],
      }),
      pod,
      checkedFrom: 'x',
    });
    expect(commands(d)).toContain(
      '--docker-username=AWS --docker-password="$(aws ecr get-login-password --region eu-west-1)"',
    );
    expect(titles(d)).toMatch(/expire after 12 hours/);
  });
});

describe('advice by cause', () => {
  it('rate limited on Docker Hub with imagePullPolicy Always → IfNotPresent, authenticate, mirror, retry-after', () => {
    const d = diagnose({
      classification: classification('rate_limited', {
        image: 'docker.io/library/nginx:latest',
        registry: 'docker.io',
      }),
      probe: probe({
        registry: 'docker.io',
        apiHost: 'registry-1.docker.io',
        repository: 'library/nginx',
        reference: 'latest',
        image: 'docker.io/library/nginx:latest',
        cause: 'rate_limited',
        retryAfterSeconds: 3600,
        rateLimit: { limit: 100, remaining: 0, windowSeconds: 21600, source: '203.0.113.9' },
        suggestions: [],
      }),
      pod: { ...pod, containers: [{ name: 'web', image: 'nginx', imagePullPolicy: 'Always' }] },
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('rate_limited');
    expect(commands(d)).toContain(
      `kubectl -n shop patch deployment api -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","imagePullPolicy":"IfNotPresent"}]}}}}'`,
    );
    expect(commands(d)).toContain('--docker-server=https://index.docker.io/v1/');
    expect(titles(d)).toMatch(/pull-through cache/);
    expect(titles(d)).toMatch(/retry after 3600 s/);
    expect(titles(d)).toMatch(/:latest is mutable/);
  });

  it('platform missing → buildx for all platforms and a nodeSelector', () => {
    const d = diagnose({
      probe: probe({
        cause: 'platform_mismatch',
        suggestions: [],
        platform: {
          wanted: { os: 'linux', architecture: 'arm64' },
          available: [{ os: 'linux', architecture: 'amd64' }],
          matched: false,
        },
      }),
      pod,
      checkedFrom: 'x',
    });
    expect(commands(d)).toContain(
      'docker buildx build --platform linux/amd64,linux/arm64 -t registry.example.com/team/api:v1.4.2 --push .',
    );
    expect(commands(d)).toContain(`{"nodeSelector":{"kubernetes.io/arch":"amd64"}}`);
  });

  it('expired TLS → renew, naming the date', () => {
    const d = diagnose({
      probe: probe({
        cause: 'tls',
        suggestions: [],
        steps: [
          {
            step: 'tls',
            ok: false,
            code: 'CERT_HAS_EXPIRED',
            summary: 'certificate expired on 2020-02-01T00:00:00.000Z (certificate …)',
          },
        ],
      }),
      checkedFrom: 'x',
    });
    expect(titles(d)).toMatch(
      /Renew the TLS certificate of registry.example.com: certificate expired on 2020-02-01/,
    );
  });

  it('HTTP-only registry → hosts.toml for plain HTTP', () => {
    const d = diagnose({
      probe: probe({
        cause: 'http_vs_https',
        suggestions: [],
        steps: [
          {
            step: 'tls',
            ok: false,
            summary: 'HTTPS expected, but registry.example.com answers plain HTTP on port 443',
          },
        ],
      }),
      checkedFrom: 'x',
    });
    expect(commands(d)).toContain('/etc/containerd/certs.d/registry.example.com/hosts.toml');
  });

  it('never pull policy → preload or IfNotPresent', () => {
    const d = diagnose({
      classification: classification('never_pull_policy'),
      probe: null,
      pod,
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('never_pull_policy');
    expect(titles(d)).toMatch(/imagePullPolicy is Never.*ip-10-0-1-5/);
    expect(commands(d)).toContain('"imagePullPolicy":"IfNotPresent"');
  });

  it('the CLI without a pod: --namespace fills the commands, placeholders otherwise', () => {
    const withNs = diagnose({
      probe: probe({ cause: 'unauthorized', suggestions: [] }),
      namespace: 'payments',
      checkedFrom: 'cli',
    });
    expect(commands(withNs)).toContain('kubectl -n payments create secret docker-registry regcred');
    const without = diagnose({
      probe: probe({ cause: 'unauthorized', suggestions: [] }),
      checkedFrom: 'cli',
    });
    expect(commands(without)).toContain('kubectl -n <namespace> create secret');
  });
});

describe('no problem, or no check', () => {
  it('pullable with no node failure → none, pullable', () => {
    const d = diagnose({ probe: pullable(), checkedFrom: 'cli' });
    expect(d.cause).toBe('none');
    expect(d.pullable).toBe(true);
    expect(d.remediation).toEqual([]);
    expect(d.summary).toMatch(/is pullable from here/);
  });

  it('a pulled event with a pullable registry agrees', () => {
    const d = diagnose({
      classification: classification('none', { kind: 'pulled' }),
      probe: pullable(),
      checkedFrom: 'x',
    });
    expect(d.agreesWithNode).toBe(true);
  });

  it('SSRF-blocked probe → keeps the node’s cause and says how to allow the registry', () => {
    const d = diagnose({
      classification: classification('tag_not_found'),
      probe: probe({
        blocked: true,
        cause: 'unknown',
        summary: 'not checked: 10.0.0.5 is private (RFC 1918); …',
        suggestions: [],
      }),
      checkedFrom: 'x',
    });
    expect(d.cause).toBe('tag_not_found');
    expect(d.agreesWithNode).toBeNull();
    expect(d.summary).toMatch(/registry was not checked: 10.0.0.5 is private/);
    expect(titles(d)).toMatch(/allow registry.example.com in registry.allowHosts/);
  });

  it('a :latest image that is pullable gets no pinning nag', () => {
    const d = diagnose({
      probe: pullable({ reference: 'latest', image: 'registry.example.com/team/api:latest' }),
      checkedFrom: 'x',
    });
    expect(d.remediation).toEqual([]);
  });
});

describe('context helpers', () => {
  it('reads the node platform and the scheme the node used', () => {
    expect(nodePlatform({ name: 'n', os: 'linux', arch: 'aarch64' })).toEqual({
      os: 'linux',
      architecture: 'arm64',
    });
    expect(nodePlatform({ name: 'n', os: null, arch: 'amd64' })).toBeNull();
    expect(
      nodeScheme(
        classification('http_vs_https', { evidence: 'http: server gave HTTP response to HTTPS client' }),
      ),
    ).toBe('https');
    expect(
      nodeScheme(
        classification('http_vs_https', { evidence: 'Client sent an HTTP request to an HTTPS server' }),
      ),
    ).toBe('http');
    expect(nodeScheme(classification('tls'))).toBeNull();
  });
});
