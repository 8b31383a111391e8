import type { Policy } from './policy.ts';
import type { IncidentRecord, IncidentState, NoticeAction } from './types.ts';

/**
 * The incident state machine: open → acknowledged | snoozed(until) → resolved, and resolved → open on
 * recurrence. Pure: callers pass `now`; the store applies the result with a conditional write.
 */
export type Transition =
  /** Someone took it (Slack button). */
  | { type: 'acknowledge'; by: string }
  /** Silence it until `until` (ISO). */
  | { type: 'snooze'; by: string; until: string }
  /** The snooze ran out (sweep). */
  | { type: 'wake' }
  /** `button:<user>`, `quiet` (sweep), `pulled`. */
  | { type: 'resolve'; by: string }
  | { type: 'reopen'; reason: string }
  /** Still open and nobody acknowledged it (sweep). */
  | { type: 'remind' }
  /** Repeats arrived that no update announced yet (sweep's catch-up). */
  | { type: 'update'; reason: string };

export type TransitionOutcome =
  | { outcome: 'applied'; action: NoticeAction; reason: string; notice: boolean; next: IncidentRecord }
  | { outcome: 'unchanged'; reason: string }
  | { outcome: 'rejected'; reason: string };

export const ACTIVE_STATES: ReadonlySet<IncidentState> = new Set(['open', 'acknowledged', 'snoozed']);

export function isActive(incident: Pick<IncidentRecord, 'state'>): boolean {
  return incident.state !== 'resolved';
}

/** A workload incident recorded under a registry incident: it changes state, but never notifies itself. */
export function isRolledUp(incident: Pick<IncidentRecord, 'kind' | 'parentKey'>): boolean {
  return incident.kind === 'workload' && incident.parentKey !== null;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function ms(value: string | null): number {
  return value === null ? Number.NaN : Date.parse(value);
}

export function applyTransition(incident: IncidentRecord, t: Transition, now: number): TransitionOutcome {
  const at = iso(now);
  const state = incident.state;
  switch (t.type) {
    case 'acknowledge': {
      if (state === 'resolved') return { outcome: 'rejected', reason: 'resolved' };
      if (state === 'acknowledged') return { outcome: 'unchanged', reason: 'already_acknowledged' };
      return applied(incident, 'acknowledge', 'acknowledged', now, {
        state: 'acknowledged',
        acknowledgedBy: t.by,
        acknowledgedAt: at,
        snoozedUntil: null,
      });
    }
    case 'snooze': {
      if (state === 'resolved') return { outcome: 'rejected', reason: 'resolved' };
      const until = ms(t.until);
      if (!Number.isFinite(until) || until <= now)
        return { outcome: 'rejected', reason: 'snooze_not_in_future' };
      if (state === 'snoozed' && ms(incident.snoozedUntil) === until) {
        return { outcome: 'unchanged', reason: 'already_snoozed' };
      }
      return applied(incident, 'snooze', 'snoozed', now, {
        state: 'snoozed',
        snoozedUntil: iso(until),
        snoozedBy: t.by,
        snoozedAt: at,
      });
    }
    case 'wake': {
      if (state !== 'snoozed') return { outcome: 'unchanged', reason: 'not_snoozed' };
      if (ms(incident.snoozedUntil) > now) return { outcome: 'unchanged', reason: 'snooze_not_over' };
      return applied(incident, 'wake', 'snooze_expired', now, wokenState(incident));
    }
    case 'resolve': {
      if (state === 'resolved') return { outcome: 'unchanged', reason: 'already_resolved' };
      return applied(incident, 'resolve', t.by.startsWith('button:') ? 'button' : t.by, now, {
        state: 'resolved',
        resolvedAt: at,
        resolvedBy: t.by,
        snoozedUntil: null,
      });
    }
    case 'reopen': {
      if (state !== 'resolved') return { outcome: 'unchanged', reason: 'not_resolved' };
      return applied(incident, 'reopen', t.reason, now, reopenedState(incident, at));
    }
    case 'remind': {
      if (state !== 'open') return { outcome: 'unchanged', reason: 'not_open' };
      return applied(incident, 'remind', 'unacknowledged', now, { remindedAt: at });
    }
    case 'update': {
      if (state === 'resolved' || state === 'snoozed') return { outcome: 'unchanged', reason: `is_${state}` };
      return applied(incident, 'update', t.reason, now, {});
    }
  }
}

/** After a snooze: back to acknowledged when someone had taken it, else open. */
export function wokenState(incident: IncidentRecord): Partial<IncidentRecord> {
  return { state: incident.acknowledgedBy ? 'acknowledged' : 'open', snoozedUntil: null };
}

/** A recurrence: a new episode on the same record; counts keep growing, acknowledgement starts over. */
export function reopenedState(incident: IncidentRecord, at: string): Partial<IncidentRecord> {
  return {
    state: 'open',
    openedAt: at,
    countAtOpen: incident.count,
    acknowledgedBy: null,
    acknowledgedAt: null,
    snoozedUntil: null,
    resolvedAt: null,
    resolvedBy: null,
    remindedAt: null,
  };
}

function applied(
  incident: IncidentRecord,
  action: NoticeAction,
  reason: string,
  now: number,
  changes: Partial<IncidentRecord>,
): TransitionOutcome {
  const changed = { ...incident, ...changes };
  const notice = !isRolledUp(changed);
  return {
    outcome: 'applied',
    action,
    reason,
    notice,
    next: notice ? announce(changed, action, reason, now) : changed,
  };
}

/**
 * Records a state change that must be told: the next `seq`, and the outbox entry the sender clears once the
 * notice is on the notices queue.
 */
export function announce(
  incident: IncidentRecord,
  action: NoticeAction,
  reason: string,
  now: number,
): IncidentRecord {
  const at = iso(now);
  const seq = incident.seq + 1;
  return {
    ...incident,
    seq,
    lastAction: action,
    lastReason: reason,
    lastDecisionAt: at,
    announcedCause: incident.cause,
    pendingNotice: { seq, action, reason, at },
  };
}

/** TTL: a record lives `retention` past its latest activity; later activity pushes it out again. */
export function expiryOf(incident: IncidentRecord, policy: Pick<Policy, 'retentionMs'>): number {
  const latest = Math.max(
    ms(incident.lastSeen) || 0,
    ms(incident.resolvedAt) || 0,
    ms(incident.lastDecisionAt) || 0,
    ms(incident.snoozedUntil) || 0,
  );
  return Math.ceil((latest + policy.retentionMs) / 1000);
}
