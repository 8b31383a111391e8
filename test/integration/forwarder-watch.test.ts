import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FauxqsService, startFauxqs } from '../support/fauxqs.ts';
import {
  eventObject,
  type KubeApiStandIn,
  nodeObject,
  podObject,
  startKubeApi,
} from '../support/kube-api.ts';
import { metricValue } from '../unit/forwarder-support.ts';
import { type Harness, observed, startHarness } from './forwarder-harness.ts';

let sqs: FauxqsService;
let api: KubeApiStandIn;
let harness: Harness | null = null;

const failure = (pod: string, count = 1, extra: Partial<Parameters<typeof eventObject>[0]> = {}) =>
  eventObject({
    namespace: 'shop',
    pod,
    reason: 'Failed',
    message: `Failed to pull image "shop/${pod}:1": not found`,
    count,
    name: `${pod}.fail`,
    ...extra,
  });

beforeAll(async () => {
  sqs = await startFauxqs();
});

afterAll(async () => {
  await sqs.stop();
});

beforeEach(async () => {
  api = await startKubeApi({ bookmarkIntervalMs: 200 });
  api.upsert('nodes', nodeObject('node-a', 'linux', 'arm64'));
});

afterEach(async () => {
  await harness?.stop();
  harness = null;
  await api.close();
});

describe('forwarder watch (Kubernetes API stand-in → SQS emulator)', () => {
  it('forwards every repeat with a growing count exactly once, and not a change that keeps the count', async () => {
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    let event = api.upsert('events', failure('api'));
    for (let count = 2; count <= 5; count += 1) event = api.upsert('events', { ...event, count });
    // A metadata-only update (same count): MODIFIED on the wire, but no new observation.
    api.upsert('events', { ...event, metadata: { ...event.metadata, labels: { touched: 'yes' } } });
    await harness.settle();
    expect(observed(harness.received)).toEqual([1, 2, 3, 4, 5].map((n) => `event:api.fail:Failed#${n}`));
    const watches = api.requests.filter((r) => r.resource === 'events' && r.watch);
    expect(watches.every((r) => r.query.allowWatchBookmarks === 'true')).toBe(true);
  });

  it('forwards what the first list finds, then what the watch brings, and drops events that are not about pulls', async () => {
    api.upsert('events', failure('early'));
    api.upsert(
      'events',
      eventObject({
        namespace: 'shop',
        pod: 'x',
        type: 'Normal',
        reason: 'Scheduled',
        message: 'Successfully assigned',
      }),
    );
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    api.upsert(
      'events',
      eventObject({
        namespace: 'shop',
        pod: 'y',
        reason: 'FailedMount',
        message: 'MountVolume.SetUp failed',
      }),
    );
    api.upsert(
      'events',
      eventObject({
        namespace: 'shop',
        pod: 'late',
        type: 'Normal',
        reason: 'BackOff',
        message: 'Back-off pulling image "a:1"',
        name: 'late.backoff',
      }),
    );
    await harness.settle();
    expect(observed(harness.received)).toEqual(['event:early.fail:Failed#1', 'event:late.backoff:BackOff#1']);
    expect(await metricValue(harness.forwarder.metrics.eventsSkipped, { reason: 'not_pull_related' })).toBe(
      2,
    );
  });

  it('loses and duplicates nothing when the connection drops abruptly, even in the middle of a line', async () => {
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    const first = api.upsert('events', failure('a'));
    await harness.settle();
    // The next line each watch sends is cut in half and the socket destroyed.
    await api.disconnectWatches({ midLine: true });
    api.upsert('events', { ...first, count: 2 });
    api.upsert('events', failure('b'));
    await harness.settle();
    await api.disconnectWatches();
    api.upsert('events', failure('c'));
    await harness.settle();
    expect(observed(harness.received)).toEqual([
      'event:a.fail:Failed#1',
      'event:a.fail:Failed#2',
      'event:b.fail:Failed#1',
      'event:c.fail:Failed#1',
    ]);
    // Two reconnects, each resuming from a resourceVersion instead of re-listing.
    const watches = api.requests.filter((r) => r.resource === 'events' && r.watch);
    expect(watches.length).toBeGreaterThanOrEqual(3);
    expect(watches.every((r) => Number(r.query.resourceVersion) > 0)).toBe(true);
    const lists = api.requests.filter((r) => r.resource === 'events' && !r.watch);
    expect(lists).toHaveLength(1);
  });

  for (const goneAs of ['stream', 'http'] as const) {
    it(`re-lists on 410 Gone (${goneAs === 'stream' ? 'ERROR inside a 200 stream' : 'HTTP status'}) and forwards only what changed`, async () => {
      api.options.goneAs = goneAs;
      harness = await startHarness(api, sqs);
      await harness.forwarder.ready;
      const a = api.upsert('events', failure('a'));
      const b = api.upsert('events', failure('b'));
      await harness.settle();
      // While the forwarder is disconnected: b repeats, d appears, a is deleted, and history is compacted.
      await api.disconnectWatches();
      api.upsert('events', { ...b, count: 2 });
      api.upsert('events', failure('d'));
      api.remove('events', 'shop', a.metadata.name);
      api.compact();
      await harness.settle();
      expect(observed(harness.received)).toEqual([
        'event:a.fail:Failed#1',
        'event:b.fail:Failed#1',
        'event:b.fail:Failed#2',
        'event:d.fail:Failed#1',
      ]);
      expect(
        await metricValue(harness.forwarder.metrics.relists, { resource: 'events', reason: 'gone' }),
      ).toBeGreaterThanOrEqual(1);
    });
  }

  it('resumes from the latest BOOKMARK, not from the last object it saw', async () => {
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    api.upsert('events', failure('a'));
    await harness.settle();
    // Other resources move the global resourceVersion; bookmarks carry it to the events watch.
    for (let i = 0; i < 5; i += 1) api.upsert('pods', podObject({ namespace: 'other', name: `p${i}` }));
    const target = api.resourceVersion;
    const before = await metricValue(harness.forwarder.metrics.watchBookmarks, { resource: 'events' });
    while (
      (await metricValue(harness.forwarder.metrics.watchBookmarks, { resource: 'events' })) <
      before + 2
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await api.disconnectWatches();
    await harness.settle();
    const resumed = api.requests.filter((r) => r.resource === 'events' && r.watch).at(-1)!;
    expect(Number(resumed.query.resourceVersion)).toBeGreaterThanOrEqual(target);
  });

  it('restarts a watch that has gone silent and then forwards what it missed', async () => {
    harness = await startHarness(api, sqs, { watchSilenceSeconds: 5 });
    await harness.forwarder.ready;
    api.options.silent = true;
    await api.disconnectWatches();
    while (api.openWatches('events') === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    api.options.silent = false;
    api.upsert('events', failure('missed'));
    await harness.waitFor((all) => observed(all).includes('event:missed.fail:Failed#1'));
    expect(
      await metricValue(harness.forwarder.metrics.watchRestarts, { resource: 'events', reason: 'silent' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      harness.logger.lines.some((line) => line.level === 'warn' && line.message.includes('silent')),
    ).toBe(true);
  });

  it('reads slow streams whose lines arrive in small delayed chunks', async () => {
    api.options.slow = { chunkBytes: 7, delayMs: 1 };
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    const event = api.upsert('events', failure('slow'));
    api.upsert('events', { ...event, count: 2 });
    await harness.waitFor((all) => observed(all).length >= 2);
    expect(observed(harness.received)).toEqual(['event:slow.fail:Failed#1', 'event:slow.fail:Failed#2']);
  });

  it('keeps retrying a 403 with backoff, logs it as an RBAC problem, and becomes ready once access is granted', async () => {
    api.forbid('events', true);
    api.upsert('events', failure('waiting'));
    harness = await startHarness(api, sqs);
    while (api.requests.filter((r) => r.resource === 'events').length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(harness.forwarder.isReady()).toBe(false);
    const denied = harness.logger.lines.find((line) => line.level === 'error' && line.extra.status === 403);
    expect(denied?.message).toMatch(/ClusterRole/);
    api.forbid('events', false);
    await harness.forwarder.ready;
    await harness.settle();
    expect(observed(harness.received)).toEqual(['event:waiting.fail:Failed#1']);
  });

  it('stops promptly even while the API server leaves a list unanswered', async () => {
    api.options.hang = true;
    harness = await startHarness(api, sqs);
    while (!api.requests.some((r) => r.resource === 'pods' && !r.watch))
      await new Promise((r) => setTimeout(r, 10));
    // The list would wait for its 30 s request timeout; stopping aborts it instead.
    const report = await harness.forwarder.stop(1000);
    expect(report).toEqual({ drained: true, abandoned: 0, forwarded: 0 });
    expect(harness.forwarder.isReady()).toBe(false);
  });

  it('recovers from server errors on the watch (the client informer would stop for good)', async () => {
    harness = await startHarness(api, sqs);
    await harness.forwarder.ready;
    api.failNext('events', 500, 3);
    await api.disconnectWatches();
    api.upsert('events', failure('after-500'));
    await harness.settle();
    expect(observed(harness.received)).toEqual(['event:after-500.fail:Failed#1']);
    expect(
      await metricValue(harness.forwarder.metrics.watchRestarts, { resource: 'events', reason: 'error' }),
    ).toBeGreaterThanOrEqual(1);
  });
});
