import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FauxqsService, startFauxqs } from '../support/fauxqs.ts';
import {
  eventObject,
  type KubeApiStandIn,
  nodeObject,
  podObject,
  secretObject,
  startKubeApi,
} from '../support/kube-api.ts';
import { metricValue } from '../unit/forwarder-support.ts';
import { type Harness, isSentinel, observed, startHarness } from './forwarder-harness.ts';

let sqs: FauxqsService;
let api: KubeApiStandIn;
let harness: Harness | null = null;
let dir: string;

const failure = (pod: string, count = 1) =>
  eventObject({
    namespace: 'shop',
    pod,
    reason: 'Failed',
    message: `Failed to pull image "shop/${pod}:1": not found`,
    count,
    name: `${pod}.fail`,
  });

beforeAll(async () => {
  sqs = await startFauxqs();
});

afterAll(async () => {
  await sqs.stop();
});

beforeEach(async () => {
  api = await startKubeApi({ bookmarkIntervalMs: 500 });
  api.upsert('nodes', nodeObject('node-a', 'linux', 'arm64'));
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-fwd-'));
});

afterEach(async () => {
  await harness?.stop();
  harness = null;
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('forwarder delivery (SQS emulator)', () => {
  it('enriches from the caches and turns a Pulled after failures into a `resolved` envelope', async () => {
    api.upsert(
      'pods',
      podObject({
        namespace: 'shop',
        name: 'api-5f7c9d-x2',
        uid: 'pod-1',
        serviceAccount: 'api-sa',
        pullSecrets: ['regcred'],
        owner: { kind: 'ReplicaSet', name: 'api-5f7c9d' },
        labels: { 'pod-template-hash': '5f7c9d' },
        containers: [{ name: 'app', image: 'registry.example.com/shop/api:1.4', imagePullPolicy: 'Always' }],
      }),
    );
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    const base = { namespace: 'shop', pod: 'api-5f7c9d-x2', podUid: 'pod-1' };
    api.upsert(
      'events',
      eventObject({
        ...base,
        reason: 'Failed',
        message: 'Failed to pull image "registry.example.com/shop/api:1.4": 401 Unauthorized',
      }),
    );
    api.upsert(
      'events',
      eventObject({
        ...base,
        type: 'Normal',
        reason: 'BackOff',
        message: 'Back-off pulling image "registry.example.com/shop/api:1.4"',
      }),
    );
    api.upsert(
      'events',
      eventObject({
        ...base,
        type: 'Normal',
        reason: 'Pulled',
        message: 'Successfully pulled image "registry.example.com/shop/api:1.4" in 2.1s',
      }),
    );
    await harness.settle();
    const envelopes = harness.received.filter((e) => !isSentinel(e));
    expect(envelopes.map((e) => e.kind)).toEqual(['event', 'event', 'resolved']);
    for (const envelope of envelopes) {
      expect(envelope.cluster).toBe('it-cluster');
      expect(envelope.pod).toMatchObject({
        name: 'api-5f7c9d-x2',
        serviceAccount: 'api-sa',
        imagePullSecrets: ['regcred'],
        containers: [{ name: 'app', image: 'registry.example.com/shop/api:1.4', imagePullPolicy: 'Always' }],
        owner: { kind: 'ReplicaSet', name: 'api-5f7c9d' },
        workload: { kind: 'Deployment', name: 'api' },
      });
      expect(envelope.node).toEqual({ name: 'node-a', os: 'linux', arch: 'arm64' });
      // Pull-secret inspection is opt-in.
      expect(envelope.pullSecrets ?? undefined).toBeUndefined();
    }
    expect(api.requests.some((r) => r.resource === 'secrets')).toBe(false);
  });

  it('inspects pull secrets when asked, sending registry hosts and never a credential', async () => {
    const password = 'S3cr3t-registry-Pa55word';
    const auth = Buffer.from(`robot:${password}`).toString('base64');
    api.upsert(
      'secrets',
      secretObject('shop', 'regcred', 'kubernetes.io/dockerconfigjson', {
        '.dockerconfigjson': JSON.stringify({
          auths: {
            'https://registry.example.com/v1/': {
              username: 'robot',
              password,
              auth,
              email: 'ops@example.com',
            },
            [`robot:${password}@mirror.example.com:5000`]: { auth },
          },
        }),
      }),
    );
    api.upsert('secrets', secretObject('shop', 'opaque', 'Opaque', { token: password }));
    api.upsert(
      'pods',
      podObject({ namespace: 'shop', name: 'api', uid: 'pod-1', pullSecrets: ['regcred', 'opaque', 'gone'] }),
    );
    harness = await startHarness(api, sqs, { inspectPullSecrets: true });
    await harness.forwarder.ready;
    api.upsert(
      'events',
      eventObject({
        namespace: 'shop',
        pod: 'api',
        podUid: 'pod-1',
        reason: 'Failed',
        message: 'Failed to pull image "registry.example.com/api:1": 401 Unauthorized',
      }),
    );
    await harness.settle();
    const envelope = harness.received.find((e) => !isSentinel(e))!;
    expect(envelope.pullSecrets).toEqual([
      {
        name: 'regcred',
        exists: true,
        type: 'kubernetes.io/dockerconfigjson',
        registries: ['mirror.example.com:5000', 'registry.example.com'],
      },
      { name: 'opaque', exists: true, type: 'Opaque', registries: [] },
      { name: 'gone', exists: false, type: null, registries: [] },
    ]);
    const everything = harness.bodies.join('\n') + harness.logger.text();
    for (const secret of [
      password,
      auth,
      'robot',
      'ops@example.com',
      Buffer.from(password).toString('base64'),
    ]) {
      expect(everything).not.toContain(secret);
    }
    // get only, by name: no list or watch of secrets.
    const secretRequests = api.requests.filter((r) => r.resource === 'secrets');
    expect(secretRequests.every((r) => r.name !== null && !r.watch)).toBe(true);
  });

  it('buffers while SQS is unavailable and delivers everything once it is back', async () => {
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    harness.proxy.down();
    for (let i = 0; i < 12; i += 1) api.upsert('events', failure(`outage-${i}`));
    while (
      (await metricValue(harness.forwarder.metrics.sendFailures, { code: 'ECONNRESET', retryable: 'true' })) +
        (await metricValue(harness.forwarder.metrics.sendFailures, {
          code: 'ECONNREFUSED',
          retryable: 'true',
        })) <
      2
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(harness.forwarder.buffered()).toBe(12);
    harness.proxy.up();
    await harness.settle();
    expect(observed(harness.received).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `event:outage-${i}.fail:Failed#1`).sort(),
    );
    expect(await metricValue(harness.forwarder.metrics.eventsDropped, { reason: 'buffer_full_count' })).toBe(
      0,
    );
  });

  it('drops what overflows the bounded buffer during an outage, counts and logs it, and delivers the rest', async () => {
    harness = await startHarness(api, sqs, { bufferMaxEvents: 5 });
    await harness.forwarder.ready;
    harness.proxy.down();
    for (let i = 0; i < 8; i += 1) api.upsert('events', failure(`storm-${i}`));
    while (
      (await metricValue(harness.forwarder.metrics.eventsDropped, { reason: 'buffer_full_count' })) < 3
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(harness.forwarder.buffered()).toBe(5);
    expect(
      harness.logger.lines.some((line) => line.level === 'warn' && line.message.includes('buffer full')),
    ).toBe(true);
    harness.proxy.up();
    await harness.waitFor((all) => observed(all).length >= 5);
    await harness.settle();
    expect(observed(harness.received)).toHaveLength(5);
    expect(await metricValue(harness.forwarder.metrics.eventsDropped, { reason: 'buffer_full_count' })).toBe(
      3,
    );
  });

  it('after a restart with its checkpoint, forwards only what the queue had not acknowledged', async () => {
    const checkpointPath = join(dir, 'checkpoint.json');
    harness = await startHarness(api, sqs, { checkpointPath });
    await harness.forwarder.ready;
    const a = api.upsert('events', failure('a'));
    api.upsert('events', failure('b'));
    await harness.settle();
    const queue = harness.queue;
    await harness.stop();
    api.upsert('events', { ...a, count: 2 });
    api.upsert('events', failure('c'));

    harness = await startHarness(api, sqs, { checkpointPath });
    await harness.forwarder.ready;
    await harness.settle();
    expect(observed(harness.received)).toEqual(['event:a.fail:Failed#2', 'event:c.fail:Failed#1']);
    expect(queue.url).not.toBe(harness.queue.url);
  });

  it('packs envelopes into fewer messages when asked, each readable by the ingest', async () => {
    harness = await startHarness(api, sqs, { pack: 'always', lingerMs: 200 });
    await harness.forwarder.ready;
    for (let i = 0; i < 30; i += 1) api.upsert('events', failure(`packed-${i}`));
    await harness.settle();
    expect(observed(harness.received)).toHaveLength(30);
    expect(harness.bodies.length).toBeLessThan(30);
    expect(harness.bodies.some((body) => body.startsWith('{"v":1,"pack":['))).toBe(true);
  });
});
