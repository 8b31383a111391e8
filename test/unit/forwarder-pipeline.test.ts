import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseQueueMessage } from '../../lib/events/envelope.ts';
import { Checkpoint, isNewer } from '../../lib/forwarder/checkpoint.ts';
import { Enricher } from '../../lib/forwarder/enrich.ts';
import { createForwarderMetrics, type ForwarderMetrics } from '../../lib/forwarder/metrics.ts';
import { EventPipeline, type EventState, observationOf } from '../../lib/forwarder/pipeline.ts';
import { PullFailureMemory } from '../../lib/forwarder/resolutions.ts';
import { EnvelopeSender } from '../../lib/forwarder/sender.ts';
import { MemoryQueue } from '../../lib/queue/memory.ts';
import { metricValue, recordingLogger } from './forwarder-support.ts';

let now = Date.UTC(2026, 10, 1, 10, 0);
let queue: MemoryQueue;
let metrics: ForwarderMetrics;
let sender: EnvelopeSender;
let dir: string;

function event(reason: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name: `${reason}.1`, namespace: 'shop', uid: `uid-${reason}-${extra.container ?? 'app'}` },
    involvedObject: {
      kind: 'Pod',
      name: 'api-x',
      namespace: 'shop',
      uid: 'pod-1',
      fieldPath: `spec.containers{${extra.container ?? 'app'}}`,
    },
    reason,
    message,
    type: reason === 'Pulled' || reason === 'BackOff' ? 'Normal' : 'Warning',
    count: 1,
    lastTimestamp: new Date(now).toISOString(),
    ...extra,
  };
}

function pipeline(checkpoint = new Checkpoint({ path: null, logger: recordingLogger() })): EventPipeline {
  return new EventPipeline({
    cluster: 'test',
    filter: {
      excludeNamespaces: new Set(),
      includeReasons: new Set(),
      excludeReasons: new Set(),
      forwardAllWarnings: false,
    },
    enricher: new Enricher({ pod: () => undefined, node: () => undefined, now: () => now }),
    sender,
    checkpoint,
    failures: new PullFailureMemory({ windowMs: 3600_000 }),
    now: () => now,
    logger: recordingLogger(),
    metrics,
  });
}

/** Feeds an object the way the reflector does: project, compare with the cached state, deliver. */
function feed(p: EventPipeline, cache: Map<string, EventState>, object: Record<string, unknown>): void {
  const next = p.project(object);
  const key = p.key(object)!;
  if (next === null) return;
  const previous = cache.get(key);
  cache.set(key, next);
  if (previous === undefined || p.changed(previous, next)) p.upsert(object, next, previous);
}

async function sent(): Promise<Array<{ kind: string; reason: string; count: number }>> {
  await sender.waitIdle();
  const messages = await queue.receive({ maxMessages: 100 });
  await queue.delete(messages.map((m) => m.receiptHandle));
  return messages.flatMap((m) =>
    parseQueueMessage(m.body).map((r) => {
      if (!r.ok) throw r.error;
      const e = r.envelope.event as { reason?: string | null; count?: number | null };
      return { kind: r.envelope.kind, reason: e.reason ?? '', count: e.count ?? 0 };
    }),
  );
}

beforeEach(() => {
  queue = new MemoryQueue();
  metrics = createForwarderMetrics(new Registry());
  sender = new EnvelopeSender({
    queue,
    lingerMs: 0,
    maxEvents: 100,
    maxBytes: 1 << 20,
    concurrency: 1,
    retry: { baseMs: 1, maxMs: 1 },
    pack: 'never',
    packMaxBytes: 65536,
    now: () => now,
    random: () => 0,
    logger: recordingLogger(),
    metrics,
  });
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-ckpt-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('observations', () => {
  it('reads count from series first and the latest timestamp', () => {
    expect(
      observationOf({
        count: 2,
        series: { count: 7, lastObservedTime: '2026-11-01T10:00:05Z' },
        lastTimestamp: '2026-11-01T10:00:00Z',
      }),
    ).toEqual({
      count: 7,
      lastSeenMs: Date.parse('2026-11-01T10:00:05Z'),
    });
    expect(observationOf({})).toEqual({ count: 1, lastSeenMs: null });
  });

  it('treats a higher count, or a later time at the same count, as a new observation', () => {
    expect(isNewer({ count: 3, lastSeenMs: 1 }, { count: 2, lastSeenMs: 5 })).toBe(true);
    expect(isNewer({ count: 2, lastSeenMs: 6 }, { count: 2, lastSeenMs: 5 })).toBe(true);
    expect(isNewer({ count: 2, lastSeenMs: 5 }, { count: 2, lastSeenMs: 5 })).toBe(false);
    expect(isNewer({ count: 1, lastSeenMs: 9 }, { count: 2, lastSeenMs: 5 })).toBe(false);
  });
});

describe('EventPipeline', () => {
  it('forwards each growing count once, and not an unchanged re-delivery', async () => {
    const p = pipeline();
    const cache = new Map<string, EventState>();
    const failed = event('Failed', 'Failed to pull image "x:1": not found');
    feed(p, cache, failed);
    feed(p, cache, { ...failed, count: 2 });
    feed(p, cache, { ...failed, count: 2 });
    feed(p, cache, { ...failed, count: 3 });
    expect((await sent()).map((e) => e.count)).toEqual([1, 2, 3]);
    expect(await metricValue(metrics.eventsSkipped, { reason: 'unchanged' })).toBe(1);
  });

  it('turns a Pulled after a forwarded failure into one `resolved` envelope, and ignores ordinary Pulled', async () => {
    const p = pipeline();
    const cache = new Map<string, EventState>();
    feed(
      p,
      cache,
      event('Pulled', 'Successfully pulled image "x:1"', {
        metadata: { name: 'p0', namespace: 'shop', uid: 'pulled-before' },
      }),
    );
    feed(p, cache, event('BackOff', 'Back-off pulling image "x:1"'));
    now += 60_000;
    const pulled = event('Pulled', 'Successfully pulled image "x:2" in 1.1s');
    feed(p, cache, pulled);
    feed(p, cache, { ...pulled, count: 2, lastTimestamp: new Date(now + 1000).toISOString() });
    expect(await sent()).toEqual([
      { kind: 'event', reason: 'BackOff', count: 1 },
      { kind: 'resolved', reason: 'Pulled', count: 1 },
    ]);
    expect(await metricValue(metrics.eventsSkipped, { reason: 'pulled_without_failure' })).toBe(2);
  });

  it('resolves per container: a sidecar pulling fine does not resolve the failing container', async () => {
    const p = pipeline();
    const cache = new Map<string, EventState>();
    feed(p, cache, event('Failed', 'Failed to pull image "x:1": not found', { container: 'app' }));
    feed(
      p,
      cache,
      event('Pulled', 'Container image "envoy:1" already present on machine', { container: 'sidecar' }),
    );
    feed(p, cache, event('Pulled', 'Successfully pulled image "x:2"', { container: 'app' }));
    expect((await sent()).map((e) => e.kind)).toEqual(['event', 'resolved']);
  });

  it('does not resolve a failure older than the window', async () => {
    const p = pipeline();
    const cache = new Map<string, EventState>();
    feed(p, cache, event('Failed', 'Failed to pull image "x:1": not found'));
    now += 3600_000 + 1;
    feed(p, cache, event('Pulled', 'Successfully pulled image "x:2"'));
    expect((await sent()).map((e) => e.kind)).toEqual(['event']);
  });

  it('after a restart, forwards from the checkpoint only what the queue has not acknowledged', async () => {
    const path = join(dir, 'checkpoint.json');
    const first = new Checkpoint({ path, logger: recordingLogger() });
    const failed = event('Failed', 'Failed to pull image "x:1": not found', { count: 4 });
    first.acknowledged('uid-Failed-app', observationOf(failed));
    first.save();

    const restarted = new Checkpoint({ path, logger: recordingLogger(), now: () => now });
    restarted.load();
    const p = pipeline(restarted);
    const cache = new Map<string, EventState>();
    feed(p, cache, failed);
    feed(p, cache, event('BackOff', 'Back-off pulling image "x:1"'));
    feed(p, cache, { ...failed, count: 5 });
    expect(await sent()).toEqual([
      { kind: 'event', reason: 'BackOff', count: 1 },
      { kind: 'event', reason: 'Failed', count: 5 },
    ]);
    expect(await metricValue(metrics.eventsSkipped, { reason: 'already_forwarded' })).toBe(1);
  });

  it('forgets, on load, entries of events too old to be listed again', () => {
    const path = join(dir, 'aged.json');
    const writer = new Checkpoint({ path, logger: recordingLogger() });
    writer.acknowledged('old', { count: 1, lastSeenMs: now - 25 * 3600_000 });
    writer.acknowledged('recent', { count: 1, lastSeenMs: now - 3600_000 });
    writer.save();
    const reader = new Checkpoint({ path, logger: recordingLogger(), now: () => now });
    reader.load();
    expect(reader.get('old')).toBeUndefined();
    expect(reader.get('recent')).toEqual({ count: 1, lastSeenMs: now - 3600_000 });
  });

  it('starts without a checkpoint it cannot read, and says so', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{not json');
    const logger = recordingLogger();
    const checkpoint = new Checkpoint({ path, logger });
    checkpoint.load();
    expect(checkpoint.size).toBe(0);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('corrupt'))).toBe(true);
  });
});
