import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../lib/diagnose/index.ts';
import type { PodContext } from '../../lib/events/envelope.ts';
import { RegistryProber } from '../../lib/registry/index.ts';
import { pullFailure } from '../support/classification.ts';
import { type RegistryLab, startRegistryLab } from '../support/registry-lab.ts';

/** Alert-time diagnosis end to end: classification + pod/node context → probe of the real registry → verdict. */

let lab: RegistryLab;
let prober: RegistryProber;

beforeAll(async () => {
  lab = await startRegistryLab();
  prober = new RegistryProber({ config: { allowHosts: lab.allowHosts } });
});

afterAll(async () => {
  await lab?.stop();
});

function pod(image: string, overrides: Partial<PodContext> = {}): PodContext {
  return {
    name: 'api-5f7c-abcde',
    uid: 'u1',
    namespace: 'shop',
    serviceAccount: 'api-runner',
    nodeName: 'node-a',
    imagePullSecrets: [],
    containers: [{ name: 'api', image, imagePullPolicy: 'IfNotPresent' }],
    owner: { kind: 'ReplicaSet', name: 'api-5f7c' },
    workload: { kind: 'Deployment', name: 'api' },
    ...overrides,
  };
}

describe('checkImage', () => {
  it('splits Docker Hub-style "not found or denied" into a missing tag, with the fix for this deployment', async () => {
    const image = `${lab.plain.host}/team/api:v1.4.2`;
    const d = await checkImage({
      prober,
      classification: pullFailure('repo_not_found_or_denied', image, { confidence: 0.7 }),
      pod: pod(image),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('tag_not_found');
    expect(d.agreesWithNode).toBe(true);
    expect(d.suggestions[0]).toBe('v1.4.1');
    expect(d.remediation[0]?.command).toBe(
      `kubectl -n shop set image deployment/api api=${lab.plain.host}/team/api:v1.4.1`,
    );
    expect(d.evidence.map((e) => e.step)).toContain('tags');
  });

  it('checks the node’s platform against an index', async () => {
    const image = `${lab.plain.host}/team/multi:v2`;
    const d = await checkImage({
      prober,
      classification: pullFailure('platform_mismatch', image, {
        evidence: 'no match for platform in manifest',
        confidence: 0.7,
      }),
      pod: pod(image),
      node: { name: 'node-a', os: 'linux', arch: 's390x' },
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('platform_mismatch');
    expect(d.agreesWithNode).toBe(true);
    expect(d.remediation.map((r) => r.command ?? '').join('\n')).toContain('"kubernetes.io/arch":"amd64"');
  });

  it('uses the scheme the node used: "HTTP response to HTTPS client" makes a loopback HTTP registry http_vs_https', async () => {
    const image = `${lab.plain.host}/team/api:v1`;
    const d = await checkImage({
      prober,
      classification: pullFailure('http_vs_https', image, {
        evidence: 'http: server gave HTTP response to HTTPS client',
        confidence: 0.7,
      }),
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('http_vs_https');
    expect(d.agreesWithNode).toBe(true);
  });

  it('the registry serves the image fine while the node was refused → disagreement pointing at the node', async () => {
    const image = `${lab.plain.host}/team/api:v1`;
    const d = await checkImage({
      prober,
      classification: pullFailure('unauthorized', image, { evidence: '401 Unauthorized', confidence: 0.7 }),
      pod: pod('team/api:v1', { containers: [{ name: 'api', image, imagePullPolicy: 'Always' }] }),
      checkedFrom: 'lambda eu-west-1',
    });
    expect(d.pullable).toBe(true);
    expect(d.agreesWithNode).toBe(false);
    expect(d.cause).toBe('unauthorized');
    expect(d.summary).toMatch(/suspect the node's side/);
  });

  it('an image that does not parse is not probed', async () => {
    const d = await checkImage({
      prober,
      classification: {
        ...pullFailure('invalid_reference', 'x', { confidence: 0.7 }),
        image: null,
        imageText: 'Team/API:v1',
      },
      checkedFrom: 'test',
    });
    expect(d.cause).toBe('invalid_reference');
    expect(d.evidence.map((e) => e.step)).toEqual(['kubelet']);
  });
});
