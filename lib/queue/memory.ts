import { randomUUID } from 'node:crypto';
import type { OutgoingMessage, QueueReceiver, QueueSender, ReceivedMessage, SendResult } from './port.ts';

/**
 * The in-process queue of `pullwatch run` and of unit tests: FIFO, at-least-once like SQS (a received
 * message comes back unless deleted before `visibilityMs` runs out).
 */
export class MemoryQueue implements QueueSender, QueueReceiver {
  readonly #visibilityMs: number;
  readonly #now: () => number;
  #entries: Array<{
    messageId: string;
    body: string;
    attributes: Record<string, string>;
    receiveCount: number;
    visibleAt: number;
    handle: string | null;
  }> = [];

  constructor(options: { visibilityMs?: number; now?: () => number } = {}) {
    this.#visibilityMs = options.visibilityMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  get depth(): number {
    return this.#entries.length;
  }

  async send(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    for (const message of messages) {
      this.#entries.push({
        messageId: randomUUID(),
        body: message.body,
        attributes: { ...message.attributes },
        receiveCount: 0,
        visibleAt: 0,
        handle: null,
      });
    }
    return { sent: messages.map((message) => message.id), failed: [] };
  }

  async receive(options: { maxMessages?: number } = {}): Promise<ReceivedMessage[]> {
    const max = options.maxMessages ?? 10;
    const now = this.#now();
    const out: ReceivedMessage[] = [];
    for (const entry of this.#entries) {
      if (out.length >= max) break;
      if (entry.visibleAt > now) continue;
      entry.receiveCount += 1;
      entry.visibleAt = now + this.#visibilityMs;
      entry.handle = randomUUID();
      out.push({
        messageId: entry.messageId,
        body: entry.body,
        receiptHandle: entry.handle,
        attributes: entry.attributes,
        receiveCount: entry.receiveCount,
      });
    }
    return out;
  }

  async delete(receiptHandles: readonly string[]): Promise<void> {
    const handles = new Set(receiptHandles);
    this.#entries = this.#entries.filter((entry) => entry.handle === null || !handles.has(entry.handle));
  }
}
