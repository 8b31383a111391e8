import { PullwatchError } from '../errors.ts';
import { backoffDelay, sleep } from '../runtime/backoff.ts';
import { claim, noticeSent, record, release } from './claims.ts';
import { type Decision, evaluate } from './decide.ts';
import type { Observation } from './observation.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';
import { applyTransition, expiryOf, isActive, type Transition } from './state.ts';
import type { IncidentRecord, NoticeAction, NotifyClaim } from './types.ts';

/**
 * The IncidentStore port: everything ingest, notify, slack-actions and sweep do to incidents. Every
 * operation is a read, a pure decision, and a conditional write of one record (version check), retried on
 * conflict: no lost update under any number of concurrent writers, and no multi-item transactions (which
 * neither dynalite nor a plain SQLite row lock would give us).
 */
export interface ObserveResult {
  decision: Decision;
  /** The record after the observation (null when there is none, e.g. a `Pulled` with no incident). */
  incident: IncidentRecord | null;
  previous: IncidentRecord | null;
  written: boolean;
  attempts: number;
}

export type TransitionResult =
  | { outcome: 'applied'; action: NoticeAction; reason: string; notice: boolean; incident: IncidentRecord }
  | { outcome: 'unchanged' | 'rejected'; reason: string; incident: IncidentRecord }
  | { outcome: 'missing'; reason: 'missing'; incident: null };

export type ClaimResult =
  | { claimed: true; incident: IncidentRecord; takeover: NotifyClaim | null }
  | {
      claimed: false;
      reason: 'missing' | 'already_notified' | 'claimed';
      incident: IncidentRecord | null;
      holder: NotifyClaim | null;
    };

export interface RecordResult {
  recorded: boolean;
  reason: 'recorded' | 'claim_lost' | 'already_recorded' | 'missing';
  incident: IncidentRecord | null;
}

export interface ActivePage {
  incidents: IncidentRecord[];
  /** Pass back for the next page; null at the end. */
  cursor: string | null;
}

export interface IncidentStore {
  readonly policy: Policy;
  get(key: string): Promise<IncidentRecord | null>;
  /** Folds an observation into its incident and decides what to tell (see decide.ts). */
  observe(observation: Observation, now: number): Promise<ObserveResult>;
  /** Acknowledge, snooze, wake, resolve, reopen, remind, update (state.ts). */
  transition(key: string, transition: Transition, now: number): Promise<TransitionResult>;
  /** The notice for `seq` is on the notices queue: clear the outbox entry. */
  markNoticeSent(key: string, seq: number): Promise<boolean>;
  /**
   * notify, before posting or updating the alert for notice `seq`: refused when that seq (or a later one) was
   * already delivered, or while another sender's lease is live. `takeover` names an expired claim whose
   * sender may have posted before dying: look for that post before posting again.
   */
  claimNotification(key: string, request: { seq: number; token: string }, now: number): Promise<ClaimResult>;
  /**
   * After delivering: record the seq that was rendered (the incident's `seq` when it was read, so older
   * notices still queued are skipped) and where the alert lives. Also what slack-actions calls after
   * updating the message itself for a button's transition (no claim needed).
   */
  recordNotification(
    key: string,
    request: { seq: number; token: string; slack: { channel: string; ts: string } | null },
    now: number,
  ): Promise<RecordResult>;
  releaseNotification(key: string, token: string): Promise<boolean>;
  /** Incidents that are not resolved, or whose last notice is still undelivered; ordered by key. */
  listActive(page?: { limit?: number; cursor?: string | null }): Promise<ActivePage>;
  close(): Promise<void>;
}

export class IncidentStoreError extends PullwatchError {
  override readonly name: string = 'IncidentStoreError';
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/** Whether the record should be visible to sweep (and in the DynamoDB `active` index). */
export function needsSweep(incident: IncidentRecord): boolean {
  return isActive(incident) || incident.pendingNotice !== null;
}

export interface VersionedStoreOptions {
  policy?: Policy;
  /** Attempts per operation when concurrent writers keep winning; each retry waits a jittered backoff. */
  maxAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
}

/**
 * The operations of the port, written once over two primitives each adapter provides: `load` (a strongly
 * consistent read) and `save` (write `next` only if the stored version is still `previous.version`, or only
 * if absent when `previous` is null). Both adapters therefore share the exact semantics the contract suite
 * checks.
 */
export abstract class VersionedIncidentStore implements IncidentStore {
  readonly policy: Policy;
  readonly #maxAttempts: number;
  readonly #backoff: { baseMs: number; maxMs: number };
  readonly #random: () => number;

  constructor(options: VersionedStoreOptions = {}) {
    this.policy = options.policy ?? DEFAULT_POLICY;
    // Two or three Lambdas racing on one key settle within a few 10 ms steps; a pile-up (the contract
    // suite's 200 clients) needs the ceiling to spread retries wider than one write round-trip per writer.
    this.#maxAttempts = options.maxAttempts ?? 50;
    this.#backoff = options.backoff ?? { baseMs: 20, maxMs: 5000 };
    this.#random = options.random ?? Math.random;
  }

  protected abstract load(key: string): Promise<IncidentRecord | null>;
  /** Returns false when the version check fails (someone else wrote first). */
  protected abstract save(next: IncidentRecord, previous: IncidentRecord | null): Promise<boolean>;
  abstract listActive(page?: { limit?: number; cursor?: string | null }): Promise<ActivePage>;
  abstract close(): Promise<void>;

  get(key: string): Promise<IncidentRecord | null> {
    return this.load(key);
  }

  /**
   * Read, decide, conditionally write; on a lost race read again and decide again against what the winner
   * wrote. That re-decision is what makes 200 concurrent first observations produce exactly one `open`.
   * `step` returns the record to write (null: nothing to write) and how to describe the outcome given the
   * record as it now stands (the written one, with its new version, or the unchanged current one).
   */
  protected async update<T>(
    key: string,
    step: (current: IncidentRecord | null) => {
      next: IncidentRecord | null;
      outcome: (stored: IncidentRecord | null) => T;
    },
  ): Promise<{ value: T; attempts: number; written: boolean; previous: IncidentRecord | null }> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.load(key);
      const { next, outcome } = step(current);
      if (next === null)
        return { value: outcome(current), attempts: attempt, written: false, previous: current };
      const stamped: IncidentRecord = {
        ...next,
        version: (current?.version ?? 0) + 1,
        expiresAt: expiryOf(next, this.policy),
      };
      if (await this.save(stamped, current)) {
        return { value: outcome(stamped), attempts: attempt, written: true, previous: current };
      }
      if (attempt >= this.#maxAttempts) {
        throw new IncidentStoreError(
          'store_conflict',
          `incident ${key}: still conflicting after ${attempt} attempts (too many concurrent writers)`,
          { retryable: true },
        );
      }
      await sleep(backoffDelay(attempt, this.#backoff, this.#random));
    }
  }

  async observe(observation: Observation, now: number): Promise<ObserveResult> {
    const out = await this.update(observation.key, (current) => {
      const { decision, next } = evaluate(current, observation, now, this.policy);
      return { next, outcome: (stored: IncidentRecord | null) => ({ decision, incident: stored }) };
    });
    return { ...out.value, previous: out.previous, written: out.written, attempts: out.attempts };
  }

  async transition(key: string, transition: Transition, now: number): Promise<TransitionResult> {
    const out = await this.update(
      key,
      (current): { next: IncidentRecord | null; outcome: (s: IncidentRecord | null) => TransitionResult } => {
        if (current === null)
          return { next: null, outcome: () => ({ outcome: 'missing', reason: 'missing', incident: null }) };
        const t = applyTransition(current, transition, now);
        if (t.outcome !== 'applied') {
          return { next: null, outcome: () => ({ outcome: t.outcome, reason: t.reason, incident: current }) };
        }
        return {
          next: t.next,
          outcome: (stored) => ({
            outcome: 'applied',
            action: t.action,
            reason: t.reason,
            notice: t.notice,
            incident: stored ?? t.next,
          }),
        };
      },
    );
    return out.value;
  }

  async markNoticeSent(key: string, seq: number): Promise<boolean> {
    const out = await this.update(key, (current) => ({
      next: current === null ? null : noticeSent(current, seq),
      outcome: () => undefined,
    }));
    return out.written;
  }

  async claimNotification(
    key: string,
    request: { seq: number; token: string },
    now: number,
  ): Promise<ClaimResult> {
    const out = await this.update(
      key,
      (current): { next: IncidentRecord | null; outcome: (s: IncidentRecord | null) => ClaimResult } => {
        if (current === null) {
          return {
            next: null,
            outcome: () => ({ claimed: false, reason: 'missing', incident: null, holder: null }),
          };
        }
        const c = claim(current, request.seq, request.token, now, this.policy.notifyLeaseMs);
        if (!c.claimed) {
          return {
            next: null,
            outcome: () => ({ claimed: false, reason: c.reason, incident: current, holder: c.holder }),
          };
        }
        return {
          next: c.next,
          outcome: (stored) => ({ claimed: true, incident: stored ?? c.next, takeover: c.takeover }),
        };
      },
    );
    return out.value;
  }

  async recordNotification(
    key: string,
    request: { seq: number; token: string; slack: { channel: string; ts: string } | null },
    now: number,
  ): Promise<RecordResult> {
    const out = await this.update(
      key,
      (current): { next: IncidentRecord | null; outcome: (s: IncidentRecord | null) => RecordResult } => {
        if (current === null)
          return { next: null, outcome: () => ({ recorded: false, reason: 'missing', incident: null }) };
        const r = record(current, request.seq, request.token, request.slack, now);
        return {
          next: r.next,
          outcome: (stored) => ({ recorded: r.recorded, reason: r.reason, incident: stored }),
        };
      },
    );
    return out.value;
  }

  async releaseNotification(key: string, token: string): Promise<boolean> {
    const out = await this.update(key, (current) => ({
      next: current === null ? null : release(current, token),
      outcome: () => undefined,
    }));
    return out.written;
  }
}
