import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupIntoBatches, messageBytes } from '../../lib/queue/batches.ts';
import { MemoryQueue } from '../../lib/queue/memory.ts';
import type { OutgoingMessage } from '../../lib/queue/port.ts';

const message = (id: string, bytes: number): OutgoingMessage => ({ id, body: 'x'.repeat(bytes) });

describe('groupIntoBatches', () => {
  it('keeps order and respects both the entry and the byte limit', () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(`m${i}`, 100));
    const { batches } = groupIntoBatches(messages);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat().map((m) => m.id)).toEqual(messages.map((m) => m.id));

    const big = Array.from({ length: 5 }, (_, i) => message(`b${i}`, 100 * 1024));
    expect(groupIntoBatches(big).batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('returns a message too large to ever send as a non-retryable failure', () => {
    const { batches, oversized } = groupIntoBatches([message('ok', 10), message('huge', 300 * 1024)]);
    expect(batches).toEqual([[message('ok', 10)]]);
    expect(oversized).toMatchObject([{ id: 'huge', code: 'message_too_large', retryable: false }]);
  });

  it('counts attributes toward the size', () => {
    const m: OutgoingMessage = { id: 'a', body: 'abc', attributes: { cluster: 'prod' } };
    expect(messageBytes(m)).toBe(3 + 'cluster'.length + 6 + 'prod'.length);
  });

  it('never builds a batch over the limits, and loses no message (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 120 * 1024 }), { maxLength: 60 }), (sizes) => {
        const messages = sizes.map((size, i) => message(`m${i}`, size));
        const { batches, oversized } = groupIntoBatches(messages);
        for (const batch of batches) {
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, m) => sum + messageBytes(m), 0)).toBeLessThanOrEqual(256 * 1024);
        }
        expect(batches.flat().length + oversized.length).toBe(messages.length);
      }),
    );
  });
});

describe('MemoryQueue', () => {
  it('redelivers a received message that was not deleted once the visibility timeout passes', async () => {
    let now = 0;
    const queue = new MemoryQueue({ visibilityMs: 1000, now: () => now });
    await queue.send([{ id: 'a', body: 'one' }]);
    const [first] = await queue.receive();
    expect(first).toMatchObject({ body: 'one', receiveCount: 1 });
    expect(await queue.receive()).toEqual([]);
    now = 1001;
    const [again] = await queue.receive();
    expect(again).toMatchObject({ body: 'one', receiveCount: 2 });
    await queue.delete([again!.receiptHandle]);
    now = 5000;
    expect(await queue.receive()).toEqual([]);
    expect(queue.depth).toBe(0);
  });
});
