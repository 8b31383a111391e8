import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEnvelope, parseQueueMessage } from '../../lib/events/envelope.ts';
import { buildEnvelope, serializeEnvelope } from '../../lib/forwarder/envelope-builder.ts';
import { createForwarderMetrics, type ForwarderMetrics } from '../../lib/forwarder/metrics.ts';
import {
  EnvelopeSender,
  type EnvelopeSenderOptions,
  type PendingEnvelope,
} from '../../lib/forwarder/sender.ts';
import { MemoryQueue } from '../../lib/queue/memory.ts';
import type { OutgoingMessage, QueueSender, SendResult } from '../../lib/queue/port.ts';
import { metricValue, recordingLogger } from './forwarder-support.ts';

function envelope(n: number, messageBytes = 50): PendingEnvelope {
  const built = buildEnvelope({
    cluster: 'test',
    kind: 'event',
    forwardedAt: '2026-11-01T10:00:00.000Z',
    event: {
      metadata: { name: `ev-${n}`, namespace: 'shop', uid: `uid-${n}` },
      involvedObject: { kind: 'Pod', name: 'api', namespace: 'shop' },
      reason: 'Failed',
      type: 'Warning',
      message: `Failed to pull image "x:${n}" ${'.'.repeat(messageBytes)}`,
      count: 1,
    },
  });
  const { body, bytes } = serializeEnvelope(built);
  return {
    body,
    bytes,
    kind: 'event',
    receivedAt: Date.now(),
    uid: `uid-${n}`,
    observation: { count: 1, lastSeenMs: null },
  };
}

/** The sender does not look inside bodies; a padded body stands for a large envelope. */
function largeEntry(n: number, bytes: number): PendingEnvelope {
  const body = JSON.stringify({ uid: `uid-${n}`, pad: 'x'.repeat(bytes) });
  return {
    body,
    bytes: Buffer.byteLength(body),
    kind: 'event',
    receivedAt: Date.now(),
    uid: `uid-${n}`,
    observation: null,
  };
}

/** A queue that records calls and answers with a scripted result per call. */
class ScriptedQueue implements QueueSender {
  calls: OutgoingMessage[][] = [];
  delivered: string[] = [];
  script: Array<(messages: readonly OutgoingMessage[]) => SendResult | Error> = [];

  async send(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    this.calls.push([...messages]);
    const step = this.script.shift();
    const result = step ? step(messages) : { sent: messages.map((m) => m.id), failed: [] };
    if (result instanceof Error) throw result;
    for (const id of result.sent) this.delivered.push(messages.find((m) => m.id === id)!.body);
    return result;
  }
}

let metrics: ForwarderMetrics;
let logger: ReturnType<typeof recordingLogger>;

function makeSender(queue: QueueSender, overrides: Partial<EnvelopeSenderOptions> = {}): EnvelopeSender {
  return new EnvelopeSender({
    queue,
    lingerMs: 250,
    maxEvents: 1000,
    maxBytes: 10 * 1024 * 1024,
    concurrency: 1,
    retry: { baseMs: 100, maxMs: 1000 },
    pack: 'never',
    packMaxBytes: 64 * 1024,
    now: () => Date.now(),
    random: () => 0.5,
    logger,
    metrics,
    ...overrides,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  metrics = createForwarderMetrics(new Registry());
  logger = recordingLogger();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('EnvelopeSender batching and linger', () => {
  it('waits up to the linger time for a partial batch, then sends it', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue);
    sender.enqueue(envelope(1));
    sender.enqueue(envelope(2));
    await vi.advanceTimersByTimeAsync(249);
    expect(queue.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.calls).toHaveLength(1);
    expect(queue.calls[0]).toHaveLength(2);
    await sender.waitIdle();
    expect(sender.held).toBe(0);
  });

  it('sends a full batch of 10 at once without lingering, the rest later', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue, { concurrency: 4 });
    for (let i = 0; i < 13; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.calls.map((call) => call.length)).toEqual([10]);
    await vi.advanceTimersByTimeAsync(250);
    expect(queue.calls.map((call) => call.length)).toEqual([10, 3]);
    expect(await metricValue(metrics.eventsForwarded, { kind: 'event' })).toBe(13);
  });

  it('counts acknowledged envelopes by kind, packed or not, and releases every byte it held', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue, { pack: 'always', concurrency: 2 });
    for (let i = 0; i < 25; i += 1) {
      sender.enqueue(i % 5 === 0 ? { ...envelope(i), kind: 'resolved' } : envelope(i));
    }
    expect(sender.held).toBe(25);
    expect(sender.heldBytes).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(250);
    await sender.waitIdle();
    expect(await metricValue(metrics.eventsForwarded, { kind: 'event' })).toBe(20);
    expect(await metricValue(metrics.eventsForwarded, { kind: 'resolved' })).toBe(5);
    expect(sender.held).toBe(0);
    expect(sender.heldBytes).toBe(0);
  });

  it('keeps every batch within the 256 KiB SendMessageBatch limit', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue, { concurrency: 1 });
    // ~60 KiB each: only four fit in one batch.
    for (let i = 0; i < 9; i += 1) sender.enqueue(largeEntry(i, 60 * 1024));
    await vi.advanceTimersByTimeAsync(1000);
    await sender.waitIdle();
    for (const call of queue.calls) {
      const bytes = call.reduce((sum, m) => sum + Buffer.byteLength(m.body), 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(queue.calls.map((call) => call.length)).toEqual([4, 4, 1]);
    expect(queue.delivered).toHaveLength(9);
  });

  it('packs envelopes into `{v:1, pack:[…]}` messages that ingest can read one by one', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue, { pack: 'always', packMaxBytes: 8 * 1024 });
    const sent = Array.from({ length: 40 }, (_, i) => envelope(i, 200));
    for (const entry of sent) sender.enqueue(entry);
    await vi.advanceTimersByTimeAsync(300);
    await sender.waitIdle();
    const envelopes = queue.delivered.flatMap((body) => {
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(8 * 1024);
      return parseQueueMessage(body).map((result) => {
        expect(result.ok).toBe(true);
        return result.ok ? result.envelope.event : null;
      });
    });
    expect(queue.delivered.length).toBeLessThan(40);
    expect(envelopes.map((event) => event && 'metadata' in event && event.metadata?.uid)).toEqual(
      sent.map((entry) => entry.uid),
    );
  });
});

describe('EnvelopeSender automatic packing', () => {
  it('sends single envelopes while traffic is light and packs only while more than one batch waits', async () => {
    const queue = new ScriptedQueue();
    const sender = makeSender(queue, { pack: 'auto', concurrency: 1 });
    for (let i = 0; i < 3; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(250);
    await sender.waitIdle();
    expect(queue.calls.map((call) => call.length)).toEqual([3]);
    expect(queue.delivered.every((body) => !body.includes('"pack":['))).toBe(true);

    // A storm: 10 leave at once as single messages; the 25 that pile up behind them leave packed.
    for (let i = 3; i < 38; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(0);
    await sender.waitIdle();
    expect(queue.calls.map((call) => call.length)).toEqual([3, 10, 1]);
    expect(queue.calls[2]![0]!.body.startsWith('{"v":1,"pack":[')).toBe(true);
    const uids = queue.delivered.flatMap((body) =>
      parseQueueMessage(body).map((r) =>
        r.ok && 'metadata' in r.envelope.event ? r.envelope.event.metadata?.uid : null,
      ),
    );
    expect(uids).toEqual(Array.from({ length: 38 }, (_, i) => `uid-${i}`));
    expect(await metricValue(metrics.eventsForwarded, { kind: 'event' })).toBe(38);
  });
});

describe('EnvelopeSender retries', () => {
  it('retries only the failed entries of a partially failed batch', async () => {
    const queue = new ScriptedQueue();
    queue.script.push((messages) => ({
      sent: messages.slice(0, 3).map((m) => m.id),
      failed: messages
        .slice(3)
        .map((m) => ({ id: m.id, code: 'ServiceUnavailable', message: '503', retryable: true })),
    }));
    const sender = makeSender(queue);
    for (let i = 0; i < 5; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(250);
    expect(queue.calls.map((call) => call.length)).toEqual([5]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(queue.calls.map((call) => call.length)).toEqual([5, 2]);
    expect(queue.calls[1]!.map((m) => m.id)).toEqual(queue.calls[0]!.slice(3).map((m) => m.id));
    await sender.waitIdle();
    expect(queue.delivered.map((body) => parseEnvelope(JSON.parse(body)).event)).toHaveLength(5);
    expect(await metricValue(metrics.sendFailures, { code: 'ServiceUnavailable', retryable: 'true' })).toBe(
      2,
    );
    expect(await metricValue(metrics.eventsDropped, { reason: 'rejected' })).toBe(0);
  });

  it('retries a thrown send (network error) with growing, jittered delays until it succeeds', async () => {
    const queue = new ScriptedQueue();
    for (let i = 0; i < 4; i += 1) queue.script.push(() => new Error('connect ECONNREFUSED 127.0.0.1:1'));
    const sender = makeSender(queue, { random: () => 0.99 });
    sender.enqueue(envelope(1));
    await vi.advanceTimersByTimeAsync(250);
    const callTimes: number[] = [];
    const start = Date.now();
    while (queue.delivered.length === 0) {
      const before = queue.calls.length;
      await vi.advanceTimersByTimeAsync(10);
      if (queue.calls.length > before) callTimes.push(Date.now() - start);
    }
    // Full jitter with random 0.99: ~99, ~198, ~396, ~792 ms after each failure.
    const gaps = callTimes.map((t, i) => t - (callTimes[i - 1] ?? 0));
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(queue.delivered).toHaveLength(1);
    const warns = logger.lines.filter((line) => line.level === 'warn');
    expect(warns.length).toBe(4);
    expect(warns[0]!.extra.codes).toEqual(['send_error']);
  });

  it('drops entries the queue rejects for good, counts and logs them, and keeps sending the rest', async () => {
    const queue = new ScriptedQueue();
    queue.script.push((messages) => ({
      sent: messages.slice(1).map((m) => m.id),
      failed: [
        { id: messages[0]!.id, code: 'InvalidMessageContents', message: 'bad char', retryable: false },
      ],
    }));
    const sender = makeSender(queue);
    for (let i = 0; i < 3; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(250);
    await sender.waitIdle();
    expect(queue.calls).toHaveLength(1);
    expect(await metricValue(metrics.eventsDropped, { reason: 'rejected' })).toBe(1);
    expect(await metricValue(metrics.eventsForwarded, { kind: 'event' })).toBe(2);
    expect(
      logger.lines.some((line) => line.level === 'error' && line.extra.code === 'InvalidMessageContents'),
    ).toBe(true);
  });

  it('sends again an entry the queue neither confirmed nor failed', async () => {
    const queue = new ScriptedQueue();
    queue.script.push((messages) => ({ sent: messages.slice(1).map((m) => m.id), failed: [] }));
    const sender = makeSender(queue);
    sender.enqueue(envelope(1));
    sender.enqueue(envelope(2));
    await vi.advanceTimersByTimeAsync(2000);
    await sender.waitIdle();
    expect(queue.calls.map((call) => call.length)).toEqual([2, 1]);
    expect(queue.delivered).toHaveLength(2);
  });

  it('reports acknowledgements for the checkpoint, only after the queue accepted the entry', async () => {
    const queue = new ScriptedQueue();
    queue.script.push(() => new Error('throttled'));
    const acked: string[] = [];
    const sender = makeSender(queue, { onAcknowledged: (entry) => acked.push(entry.uid ?? '') });
    sender.enqueue(envelope(7));
    await vi.advanceTimersByTimeAsync(250);
    expect(acked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    await sender.waitIdle();
    expect(acked).toEqual(['uid-7']);
  });
});

describe('EnvelopeSender bounded buffer', () => {
  it('drops what does not fit by count, counts it by reason, logs one warning, and sends the rest', async () => {
    const queue = new ScriptedQueue();
    // The queue is down: nothing leaves the buffer.
    for (let i = 0; i < 100; i += 1) queue.script.push(() => new Error('ECONNREFUSED'));
    const sender = makeSender(queue, { maxEvents: 5 });
    const accepted = Array.from({ length: 8 }, (_, i) => sender.enqueue(envelope(i)));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect(sender.held).toBe(5);
    expect(await metricValue(metrics.eventsDropped, { reason: 'buffer_full_count' })).toBe(3);
    expect(await metricValue(metrics.bufferEvents)).toBe(5);
    const warns = logger.lines.filter((line) => line.message.includes('buffer full'));
    expect(warns).toHaveLength(1);
    expect(warns[0]!.level).toBe('warn');
  });

  it('bounds the buffer by bytes as well, in-flight entries included', async () => {
    const queue = new ScriptedQueue();
    for (let i = 0; i < 100; i += 1) queue.script.push(() => new Error('ECONNREFUSED'));
    const one = envelope(0, 1000);
    const sender = makeSender(queue, { maxBytes: one.bytes * 3 + 10 });
    for (let i = 0; i < 3; i += 1) expect(sender.enqueue(envelope(i, 1000))).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    // All three are in flight (retrying) now; the buffer is still full.
    expect(sender.enqueue(envelope(3, 1000))).toBe(false);
    expect(await metricValue(metrics.eventsDropped, { reason: 'buffer_full_bytes' })).toBe(1);
    expect(sender.heldBytes).toBeLessThanOrEqual(one.bytes * 3 + 10);
  });

  it('delivers everything buffered once an unavailable queue comes back', async () => {
    const queue = new ScriptedQueue();
    for (let i = 0; i < 6; i += 1) queue.script.push(() => new Error('503 Service Unavailable'));
    const sender = makeSender(queue, { concurrency: 2 });
    for (let i = 0; i < 25; i += 1) sender.enqueue(envelope(i));
    await vi.advanceTimersByTimeAsync(60_000);
    await sender.waitIdle();
    const uids = queue.delivered.map((body) => JSON.parse(body).event.metadata.uid).sort();
    expect(uids).toEqual(Array.from({ length: 25 }, (_, i) => `uid-${i}`).sort());
  });
});

describe('EnvelopeSender.stop', () => {
  it('flushes without waiting for the linger time', async () => {
    vi.useRealTimers();
    const queue = new MemoryQueue();
    const sender = makeSender(queue, { lingerMs: 60_000 });
    for (let i = 0; i < 3; i += 1) sender.enqueue(envelope(i));
    const report = await sender.stop(5000);
    expect(report).toEqual({ drained: true, abandoned: 0 });
    expect(queue.depth).toBe(3);
  });

  it('gives up at the deadline, counting what was left as dropped, and refuses new envelopes', async () => {
    const queue = new ScriptedQueue();
    for (let i = 0; i < 100; i += 1) queue.script.push(() => new Error('ECONNREFUSED'));
    const sender = makeSender(queue);
    for (let i = 0; i < 4; i += 1) sender.enqueue(envelope(i));
    const stopped = sender.stop(2000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await stopped).toEqual({ drained: false, abandoned: 4 });
    expect(await metricValue(metrics.eventsDropped, { reason: 'shutdown' })).toBe(4);
    expect(sender.enqueue(envelope(9))).toBe(false);
    expect(logger.lines.some((line) => line.level === 'error' && line.extra.abandoned === 4)).toBe(true);
  });
});
