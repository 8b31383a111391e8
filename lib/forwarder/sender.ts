import { errorMessage, PullwatchError } from '../errors.ts';
import { ENVELOPE_VERSION } from '../events/envelope.ts';
import { SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES } from '../queue/batches.ts';
import type { OutgoingMessage, QueueSender, SendResult } from '../queue/port.ts';
import { type BackoffPolicy, backoffDelay, sleep } from '../runtime/backoff.ts';
import type { Observation } from './checkpoint.ts';
import type { ForwarderLogger } from './logger.ts';
import type { ForwarderMetrics } from './metrics.ts';

/**
 * The send side: a bounded buffer (by count and bytes, in-flight entries included, so memory is capped
 * whatever the queue does) drained in SendMessageBatch-sized groups. A group leaves when it is full or when
 * its oldest entry has waited `lingerMs`; failed entries — and only those — are retried with full-jitter
 * backoff for as long as the forwarder runs; entries the queue rejects for good, or that do not fit in the
 * buffer, are dropped, counted by reason and logged.
 */
export interface PendingEnvelope {
  body: string;
  bytes: number;
  kind: 'event' | 'resolved';
  /** When the event reached the forwarder (for the event → acknowledgement delay). */
  receivedAt: number;
  /** What the checkpoint records once the queue acknowledged it. */
  uid: string | null;
  observation: Observation | null;
}

export interface EnvelopeSenderOptions {
  queue: QueueSender;
  lingerMs: number;
  maxEvents: number;
  maxBytes: number;
  concurrency: number;
  retry: BackoffPolicy;
  /** auto: pack only while more than one batch is waiting. */
  pack: 'auto' | 'always' | 'never';
  packMaxBytes: number;
  now: () => number;
  random: () => number;
  logger: ForwarderLogger;
  metrics: ForwarderMetrics;
  onAcknowledged?(entry: PendingEnvelope): void;
}

export interface FlushReport {
  /** Everything buffered was acknowledged or dropped before the deadline. */
  drained: boolean;
  /** Envelopes given up at the deadline (counted as dropped, reason `shutdown`). */
  abandoned: number;
}

type DropReason = 'buffer_full_count' | 'buffer_full_bytes' | 'rejected' | 'too_large' | 'shutdown';

interface Entry extends PendingEnvelope {
  enqueuedAt: number;
}

const PACK_PREFIX = `{"v":${ENVELOPE_VERSION},"pack":[`;
const PACK_SUFFIX = ']}';
const PACK_OVERHEAD = PACK_PREFIX.length + PACK_SUFFIX.length;
/** At most one drop warning per this interval, carrying the count since the last one. */
const DROP_LOG_INTERVAL_MS = 10_000;

export class EnvelopeSender {
  readonly #o: EnvelopeSenderOptions;
  #queue: Entry[] = [];
  #head = 0;
  #queuedBytes = 0;
  #heldCount = 0;
  #heldBytes = 0;
  #active = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing = false;
  #closed = false;
  readonly #abandon = new AbortController();
  #idleWaiters: Array<() => void> = [];
  #seq = 0;
  #unloggedDrops = 0;
  #lastDropLogAt = Number.NEGATIVE_INFINITY;

  constructor(options: EnvelopeSenderOptions) {
    this.#o = options;
    options.metrics.observeBuffer(() => ({ events: this.#heldCount, bytes: this.#heldBytes }));
  }

  /** Envelopes buffered or in flight. */
  get held(): number {
    return this.#heldCount;
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Takes an envelope, or drops it (counted, logged) when the buffer is full or closed. */
  enqueue(envelope: PendingEnvelope): boolean {
    if (this.#closed) {
      this.#drop(1, 'shutdown');
      return false;
    }
    if (this.#heldCount + 1 > this.#o.maxEvents) {
      this.#drop(1, 'buffer_full_count');
      return false;
    }
    if (this.#heldBytes + envelope.bytes > this.#o.maxBytes) {
      this.#drop(1, 'buffer_full_bytes');
      return false;
    }
    this.#queue.push({ ...envelope, enqueuedAt: this.#o.now() });
    this.#queuedBytes += envelope.bytes;
    this.#heldCount += 1;
    this.#heldBytes += envelope.bytes;
    this.#o.metrics.eventsEnqueued.inc({ kind: envelope.kind });
    this.#dispatch();
    return true;
  }

  /** Resolves when nothing is buffered or in flight. */
  waitIdle(): Promise<void> {
    if (this.#heldCount === 0 && this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Sends what is buffered without lingering, until it is all acknowledged or the deadline passes; what is
   * left then is dropped (reason `shutdown`) and reported. Later enqueues are dropped.
   */
  async stop(deadlineMs: number): Promise<FlushReport> {
    this.#closed = true;
    this.#flushing = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#dispatch();
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.waitIdle().then(() => false),
      new Promise<boolean>((resolve) => {
        deadline = setTimeout(() => resolve(true), deadlineMs);
      }),
    ]);
    clearTimeout(deadline);
    if (!timedOut) return { drained: true, abandoned: 0 };
    const abandoned = this.#heldCount;
    this.#abandon.abort(new PullwatchError('shutdown', 'shutdown deadline reached'));
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#heldCount = 0;
    this.#heldBytes = 0;
    // Entries inside a SendMessageBatch call that has not answered yet are counted now; if the call still
    // succeeds they were delivered after all, which at-least-once tolerates.
    this.#drop(abandoned, 'shutdown');
    this.#o.logger.error('shutdown deadline reached; envelopes not confirmed by the queue', {
      abandoned,
      deadlineMs,
    });
    return { drained: false, abandoned };
  }

  #queuedCount(): number {
    return this.#queue.length - this.#head;
  }

  #release(entry: Entry): void {
    this.#heldCount = Math.max(0, this.#heldCount - 1);
    this.#heldBytes = Math.max(0, this.#heldBytes - entry.bytes);
  }

  #checkIdle(): void {
    if (this.#heldCount !== 0 || this.#active !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #drop(count: number, reason: DropReason, detail: Record<string, unknown> = {}): void {
    if (count <= 0) return;
    this.#o.metrics.eventsDropped.inc({ reason }, count);
    if (reason === 'rejected' || reason === 'too_large') {
      this.#o.logger.error('envelopes dropped', { reason, dropped: count, ...detail });
      return;
    }
    if (reason === 'shutdown') return;
    this.#unloggedDrops += count;
    const now = this.#o.now();
    if (now - this.#lastDropLogAt < DROP_LOG_INTERVAL_MS) return;
    this.#o.logger.warn('send buffer full; envelopes dropped', {
      reason,
      dropped: this.#unloggedDrops,
      bufferedEvents: this.#heldCount,
      bufferedBytes: this.#heldBytes,
      maxEvents: this.#o.maxEvents,
      maxBytes: this.#o.maxBytes,
    });
    this.#unloggedDrops = 0;
    this.#lastDropLogAt = now;
  }

  #full(): boolean {
    const queued = this.#queuedCount();
    // Packing for good waits for bytes, not entries: ten small envelopes make one small pack.
    if (this.#o.pack !== 'always' && queued >= SQS_MAX_BATCH_ENTRIES) return true;
    const capacity =
      this.#o.pack === 'always'
        ? Math.min(SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES * this.#o.packMaxBytes)
        : SQS_MAX_BATCH_BYTES;
    return this.#queuedBytes >= capacity;
  }

  #dispatch(): void {
    while (this.#active < this.#o.concurrency && this.#queuedCount() > 0) {
      if (!this.#flushing && !this.#full()) {
        const oldest = this.#queue[this.#head]!;
        const wait = oldest.enqueuedAt + this.#o.lingerMs - this.#o.now();
        if (wait > 0) {
          this.#arm(wait);
          return;
        }
      }
      const batch = this.#take();
      if (batch.messages.length === 0) continue;
      this.#active += 1;
      void this.#send(batch.messages, batch.groups).finally(() => {
        this.#active -= 1;
        this.#dispatch();
        this.#checkIdle();
      });
    }
    this.#checkIdle();
  }

  #arm(waitMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#dispatch();
    }, waitMs);
  }

  #shift(): Entry {
    const entry = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined as unknown as Entry;
    this.#head += 1;
    this.#queuedBytes -= entry.bytes;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  /** The next SendMessageBatch: ≤ 10 entries within the batch byte limit, each one envelope or a pack. */
  #take(): { messages: OutgoingMessage[]; groups: Map<string, Entry[]> } {
    const messages: OutgoingMessage[] = [];
    const groups = new Map<string, Entry[]>();
    let batchBytes = 0;
    const pack =
      this.#o.pack === 'always' || (this.#o.pack === 'auto' && this.#queuedCount() > SQS_MAX_BATCH_ENTRIES);
    while (messages.length < SQS_MAX_BATCH_ENTRIES && this.#queuedCount() > 0) {
      const first = this.#queue[this.#head]!;
      if (first.bytes > SQS_MAX_BATCH_BYTES) {
        this.#release(this.#shift());
        this.#drop(1, 'too_large', { bytes: first.bytes });
        continue;
      }
      if (batchBytes + first.bytes > SQS_MAX_BATCH_BYTES) break;
      const group: Entry[] = [this.#shift()];
      let messageBytes = first.bytes;
      if (pack) {
        let packBytes = PACK_OVERHEAD + first.bytes;
        while (this.#queuedCount() > 0) {
          const next = this.#queue[this.#head]!;
          const grown = packBytes + 1 + next.bytes;
          if (grown > this.#o.packMaxBytes || batchBytes + grown > SQS_MAX_BATCH_BYTES) break;
          group.push(this.#shift());
          packBytes = grown;
        }
        if (group.length > 1) messageBytes = packBytes;
      }
      const id = `m${(this.#seq++).toString(36)}`;
      const body =
        group.length === 1
          ? first.body
          : `${PACK_PREFIX}${group.map((entry) => entry.body).join(',')}${PACK_SUFFIX}`;
      messages.push({ id, body });
      groups.set(id, group);
      batchBytes += messageBytes;
    }
    return { messages, groups };
  }

  async #send(messages: OutgoingMessage[], groups: Map<string, Entry[]>): Promise<void> {
    const { queue, metrics, logger } = this.#o;
    let pending = messages;
    let attempt = 0;
    while (pending.length > 0) {
      const started = this.#o.now();
      let result: SendResult;
      try {
        result = await queue.send(pending);
      } catch (error) {
        // A thrown send (network, credentials, endpoint down) says nothing per entry: all of them retry.
        const code = error instanceof PullwatchError ? error.code : 'send_error';
        result = {
          sent: [],
          failed: pending.map((m) => ({ id: m.id, code, message: errorMessage(error), retryable: true })),
        };
      }
      if (this.#abandon.signal.aborted) return;
      const finished = this.#o.now();
      const outcome = result.failed.length === 0 ? 'ok' : result.sent.length === 0 ? 'failed' : 'partial';
      metrics.sendDuration.observe({ outcome }, (finished - started) / 1000);
      metrics.batchEntries.observe(pending.length);

      const open = new Set(pending.map((m) => m.id));
      // Counted once per call, not per envelope: a labelled inc costs a label hash each time.
      let events = 0;
      let resolved = 0;
      for (const id of result.sent) {
        const group = groups.get(id);
        if (!group || !open.delete(id)) continue;
        metrics.envelopesPerMessage.observe(group.length);
        for (const entry of group) {
          if (entry.kind === 'event') events += 1;
          else resolved += 1;
          metrics.ackDelay.observe(Math.max(0, finished - entry.receivedAt) / 1000);
          this.#release(entry);
          this.#o.onAcknowledged?.(entry);
        }
      }
      if (events > 0) metrics.eventsForwarded.inc({ kind: 'event' }, events);
      if (resolved > 0) metrics.eventsForwarded.inc({ kind: 'resolved' }, resolved);
      const retry: OutgoingMessage[] = [];
      const codes = new Set<string>();
      for (const failure of result.failed) {
        const group = groups.get(failure.id);
        if (!group || !open.delete(failure.id)) continue;
        metrics.sendFailures.inc({ code: failure.code, retryable: String(failure.retryable) });
        if (failure.retryable) {
          codes.add(failure.code);
          retry.push(pending.find((m) => m.id === failure.id)!);
        } else {
          for (const entry of group) this.#release(entry);
          this.#drop(group.length, 'rejected', { code: failure.code, error: failure.message });
        }
      }
      // An entry the queue neither confirmed nor failed is unconfirmed: send it again.
      for (const id of open) {
        codes.add('unconfirmed');
        retry.push(pending.find((m) => m.id === id)!);
      }
      if (retry.length === 0) return;
      const delayMs = backoffDelay(attempt, this.#o.retry, this.#o.random);
      attempt += 1;
      logger.warn('queue send failed; retrying the failed entries', {
        entries: retry.length,
        codes: [...codes],
        attempt,
        retryInMs: delayMs,
      });
      try {
        await sleep(delayMs, this.#abandon.signal);
      } catch {
        return;
      }
      pending = retry;
    }
  }
}
