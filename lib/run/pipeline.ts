import { errorMessage } from '../errors.ts';
import { createIngest, type IngestDependencies } from '../incidents/ingest.ts';
import type { IncidentStore } from '../incidents/store.ts';
import { MemoryQueue } from '../queue/memory.ts';
import type {
  OutgoingMessage,
  QueueReceiver,
  QueueSender,
  ReceivedMessage,
  SendResult,
} from '../queue/port.ts';
import type { Clock } from '../runtime/clock.ts';
import type { QueueRecord } from '../runtime/lambda.ts';

/**
 * The Lambda pipeline in one process: events queue → ingest (the Lambda's own core) → notices queue →
 * notify. Queues are in memory and at-least-once like SQS, so the same failure handling applies: a message
 * whose handler reports it failed comes back after the visibility timeout, and after `maxReceives`
 * attempts it is given up with an error line (the in-process stand-in for a dead-letter queue — there is no
 * one to read a real one here).
 */
export type NoticeHandler = (records: readonly NoticeMessage[]) => Promise<{ failed: string[] }>;

export interface NoticeMessage extends QueueRecord {
  receiptHandle: string;
}

export interface PipelineDeps {
  store: IncidentStore;
  /** Decision time: the wall clock when watching, the events' own time in a replay. */
  clock: Clock;
  logger: IngestDependencies['logger'];
  notify: NoticeHandler;
  /** How long a failed message stays invisible before it is tried again (wall clock). Default 1 s. */
  visibilityMs?: number;
  maxReceives?: number;
  /** Messages per ingest or notify call. */
  batchSize?: number;
}

export interface PipelineStats {
  events: number;
  ignored: number;
  decisions: Record<string, number>;
  notices: number;
  givenUp: number;
}

/** A queue that tells the pipeline when work arrives, so the watch loop sleeps instead of polling. */
class WakingQueue implements QueueSender, QueueReceiver {
  readonly inner: MemoryQueue;
  #listener: (() => void) | null = null;

  constructor(visibilityMs: number) {
    this.inner = new MemoryQueue({ visibilityMs });
  }

  onSend(listener: () => void): void {
    this.#listener = listener;
  }

  async send(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    const result = await this.inner.send(messages);
    this.#listener?.();
    return result;
  }

  receive(options?: { maxMessages?: number }): Promise<ReceivedMessage[]> {
    return this.inner.receive(options);
  }

  delete(receiptHandles: readonly string[]): Promise<void> {
    return this.inner.delete(receiptHandles);
  }
}

export class InProcessPipeline {
  readonly events: WakingQueue;
  readonly notices: MemoryQueue;
  readonly stats: PipelineStats = { events: 0, ignored: 0, decisions: {}, notices: 0, givenUp: 0 };
  readonly #deps: PipelineDeps;
  readonly #ingest: ReturnType<typeof createIngest>;
  readonly #maxReceives: number;
  readonly #batchSize: number;
  #chain: Promise<void> = Promise.resolve();

  constructor(deps: PipelineDeps) {
    this.#deps = deps;
    const visibilityMs = deps.visibilityMs ?? 1_000;
    this.events = new WakingQueue(visibilityMs);
    this.notices = new MemoryQueue({ visibilityMs });
    this.#maxReceives = deps.maxReceives ?? 5;
    this.#batchSize = deps.batchSize ?? 100;
    this.#ingest = createIngest({
      store: deps.store,
      notices: this.notices,
      deadLetters: null,
      clock: deps.clock,
      logger: deps.logger,
    });
  }

  /** Messages waiting in either queue, in flight or not. */
  get depth(): number {
    return this.events.inner.depth + this.notices.depth;
  }

  /**
   * Ingests every event message that is visible now, then delivers every notice that is visible now. Calls
   * are serialised: the watch loop and a shutdown never run ingest concurrently.
   */
  drain(): Promise<void> {
    const next = this.#chain.then(() => this.#drainOnce());
    this.#chain = next.catch(() => {});
    return next;
  }

  /** Drains until both queues are empty or `deadlineMs` (wall clock) has passed; true when empty. */
  async settle(deadlineMs: number, now: () => number = Date.now): Promise<boolean> {
    const end = now() + deadlineMs;
    for (;;) {
      await this.drain();
      if (this.depth === 0) return true;
      if (now() >= end) return false;
      // Only messages waiting out their visibility timeout are left: give them a moment.
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(0, end - now()))));
    }
  }

  async #drainOnce(): Promise<void> {
    await this.#pump(this.events, async (records) => {
      const report = await this.#ingest(records);
      this.stats.events += report.events;
      this.stats.ignored += report.ignored;
      for (const decision of report.decisions) {
        this.stats.decisions[decision.action] = (this.stats.decisions[decision.action] ?? 0) + 1;
      }
      return report.failed;
    });
    await this.#pump(this.notices, async (records) => {
      const report = await this.#deps.notify(records);
      this.stats.notices += records.length - report.failed.length;
      return report.failed;
    });
  }

  async #pump(
    queue: QueueReceiver,
    handle: (records: NoticeMessage[]) => Promise<readonly string[]>,
  ): Promise<void> {
    for (;;) {
      const messages = await queue.receive({ maxMessages: this.#batchSize });
      if (messages.length === 0) return;
      const records = messages.map((m) => ({
        messageId: m.messageId,
        body: m.body,
        receiveCount: m.receiveCount,
        receiptHandle: m.receiptHandle,
      }));
      let failed: Set<string>;
      try {
        failed = new Set(await handle(records));
      } catch (error) {
        this.#deps.logger.error('pipeline step failed', { error: errorMessage(error) });
        failed = new Set(records.map((r) => r.messageId));
      }
      const done: string[] = [];
      for (const message of messages) {
        if (!failed.has(message.messageId)) done.push(message.receiptHandle);
        else if (message.receiveCount >= this.#maxReceives) {
          this.stats.givenUp += 1;
          this.#deps.logger.error('giving up on a message after repeated failures', {
            attempts: message.receiveCount,
            body: message.body.slice(0, 300),
          });
          done.push(message.receiptHandle);
        }
      }
      await queue.delete(done);
      // What failed stays invisible for a while; stop instead of spinning on the rest of a full queue.
      if (messages.length < this.#batchSize) return;
    }
  }
}
