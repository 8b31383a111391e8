import { describe, expect, it } from 'vitest';
import { DeliveryError, type DeliveryFailure } from '../../lib/notify/delivery-error.ts';
import { type RetryBudget, RetryLater, withDeliveryRetry } from '../../lib/pipeline/delivery-retry.ts';

/** The retry policy of one Slack/SNS call inside a Lambda's remaining time (sleeps recorded, not waited). */
function budget(remainingMs: number, overrides: Partial<RetryBudget> = {}) {
  const waits: number[] = [];
  let left = remainingMs;
  const value: RetryBudget = {
    remainingMs: () => left,
    reserveMs: 1_000,
    callMs: 1_000,
    maxAttempts: 4,
    backoff: { baseMs: 100, maxMs: 1_000 },
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      left -= ms;
    },
    ...overrides,
  };
  return { value, waits };
}

function failing(
  failures: Array<DeliveryFailure | { failure: DeliveryFailure; retryAfterSeconds?: number }>,
) {
  const calls: number[] = [];
  return {
    calls,
    call: async () => {
      calls.push(calls.length + 1);
      const next = failures.shift();
      if (next === undefined) return 'ok';
      const spec = typeof next === 'string' ? { failure: next } : next;
      throw new DeliveryError({
        service: 'slack',
        operation: 'chat.postMessage',
        message: spec.failure,
        failure: spec.failure,
        retryAfterSeconds: spec.retryAfterSeconds ?? null,
      });
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('delivery retry', () => {
  it('waits out a 429 Retry-After in-process when it fits, then succeeds', async () => {
    const { value, waits } = budget(30_000);
    const op = failing([{ failure: 'rate_limited', retryAfterSeconds: 2 }]);
    await expect(withDeliveryRetry(op.call, value)).resolves.toBe('ok');
    expect(waits).toEqual([2_000]);
    expect(op.calls).toHaveLength(2);
  });

  it('hands a Retry-After that does not fit back to the queue, with its seconds', async () => {
    const { value, waits } = budget(10_000);
    const op = failing([{ failure: 'rate_limited', retryAfterSeconds: 30 }]);
    const error = await rejection(withDeliveryRetry(op.call, value));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).retryAfterSeconds).toBe(30);
    expect(waits).toEqual([]);
  });

  it('retries 5xx and network errors with backoff, a bounded number of times', async () => {
    const { value, waits } = budget(60_000);
    const op = failing(['server_error', 'network', 'server_error', 'server_error', 'server_error']);
    const error = await rejection(withDeliveryRetry(op.call, value));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).retryAfterSeconds).toBeNull();
    expect(op.calls).toHaveLength(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('stops retrying when one more call would not fit the time left', async () => {
    const { value } = budget(2_050);
    const op = failing(['server_error', 'server_error']);
    expect(await rejection(withDeliveryRetry(op.call, value))).toBeInstanceOf(RetryLater);
    expect(op.calls).toHaveLength(1);
  });

  it('never retries a rejection (4xx, invalid blocks, unknown channel)', async () => {
    const { value } = budget(60_000);
    const op = failing(['rejected']);
    const error = await rejection(withDeliveryRetry(op.call, value));
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).code).toBe('slack_rejected');
    expect(op.calls).toHaveLength(1);
  });

  it('lets the caller choose for ambiguous failures: throw (a post) or retry (an update)', async () => {
    const post = failing(['timeout']);
    const thrown = await rejection(
      withDeliveryRetry(post.call, budget(60_000).value, { onAmbiguous: () => 'throw' }),
    );
    expect((thrown as DeliveryError).code).toBe('slack_timeout');
    const update = failing(['timeout']);
    await expect(
      withDeliveryRetry(update.call, budget(60_000).value, { onAmbiguous: () => 'retry' }),
    ).resolves.toBe('ok');
    expect(update.calls).toHaveLength(2);
  });
});
