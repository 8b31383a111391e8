import { PullwatchError } from '../errors.ts';
import { DeliveryError } from '../notify/delivery-error.ts';
import { backoffDelay, sleep as realSleep } from '../runtime/backoff.ts';

/**
 * Retries of one Slack or SNS call inside a function's time budget:
 * - 429: wait out `Retry-After` here when it fits the time left, else hand the wait to the queue (`RetryLater`
 *   with the seconds, so the message's visibility can be set to exactly that);
 * - 5xx and network errors that never reached the service: jittered backoff, a few attempts, as long as one
 *   more call still fits;
 * - an ambiguous failure (timeout, reset after sending): the caller decides (`onAmbiguous`), because only it
 *   knows whether repeating is safe (an update is, a post must be reconciled first);
 * - anything else (4xx, invalid blocks, unknown channel): final, thrown as it is.
 */
export interface RetryBudget {
  /** Milliseconds left in this invocation (Lambda's getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Kept free for bookkeeping after the last call (store writes, the batch response). */
  reserveMs: number;
  /** What one call may take at most (the adapters' request timeout). */
  callMs: number;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export const DEFAULT_RETRY: Omit<RetryBudget, 'remainingMs'> = {
  reserveMs: 2_000,
  callMs: 3_000,
  maxAttempts: 4,
  backoff: { baseMs: 200, maxMs: 2_000 },
};

/** The call should be tried again later by the queue; `retryAfterSeconds` when the service said when. */
export class RetryLater extends PullwatchError {
  override readonly name: string = 'RetryLater';
  readonly retryAfterSeconds: number | null;

  constructor(message: string, retryAfterSeconds: number | null, options?: { cause?: unknown }) {
    super('delivery_retry_later', message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export type AmbiguousChoice = 'retry' | 'throw';

export interface RetryEvents {
  onRetry?: (error: DeliveryError, attempt: number, waitMs: number) => void;
}

export async function withDeliveryRetry<T>(
  call: () => Promise<T>,
  budget: RetryBudget,
  options: { onAmbiguous?: (error: DeliveryError) => AmbiguousChoice } & RetryEvents = {},
): Promise<T> {
  const sleep = budget.sleep ?? realSleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.failure === 'rejected') throw error;
      const ambiguous = error.ambiguous && error.failure !== 'rate_limited';
      if (ambiguous && (options.onAmbiguous?.(error) ?? 'throw') === 'throw') throw error;
      const waitMs =
        error.failure === 'rate_limited'
          ? Math.max(0, (error.retryAfterSeconds ?? 1) * 1000)
          : backoffDelay(attempt, budget.backoff, budget.random);
      const fits = budget.remainingMs() - waitMs - budget.callMs - budget.reserveMs > 0;
      if (attempt >= budget.maxAttempts || !fits) {
        throw new RetryLater(
          `${error.operation}: ${error.failure} after ${attempt} attempt${attempt === 1 ? '' : 's'}`,
          error.failure === 'rate_limited' ? (error.retryAfterSeconds ?? null) : null,
          { cause: error },
        );
      }
      options.onRetry?.(error, attempt, waitMs);
      await sleep(waitMs);
    }
  }
}
