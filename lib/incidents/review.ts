import { timeOf } from './observation.ts';
import type { Policy } from './policy.ts';
import { isActive, isRolledUp, type Transition } from './state.ts';
import type { IncidentRecord } from './types.ts';

/**
 * What sweep should do with one listed incident, pure (sweep runs on a schedule and applies the result with
 * `IncidentStore.transition`, then sends the notice when the result says so):
 * - an incident quiet for the quiet period resolves (also when its snooze just ran out);
 * - a snooze that ran out on a still-failing incident wakes it;
 * - a notice that was never handed over (crash between write and send) is sent again;
 * - an open incident nobody acknowledged gets a reminder every reminder interval;
 * - repeats that arrived inside the update interval and were never followed by another get their update.
 */
export type Review =
  | { action: 'transition'; transition: Transition; reason: string }
  | { action: 'resend'; reason: 'pending_notice' }
  | { action: 'none'; reason: string };

export function reviewIncident(incident: IncidentRecord, now: number, policy: Policy): Review {
  const pending = incident.pendingNotice;
  if (pending !== null && now - timeOf(pending.at) >= policy.noticeGraceMs) {
    return { action: 'resend', reason: 'pending_notice' };
  }
  if (!isActive(incident)) return { action: 'none', reason: 'resolved' };
  // Quiet first: a snooze that ends on an incident that stopped failing long ago resolves it, rather than
  // telling the channel it is "still failing".
  if (now - timeOf(incident.lastSeen) >= policy.quietPeriodMs) {
    return { action: 'transition', transition: { type: 'resolve', by: 'quiet' }, reason: 'quiet' };
  }
  if (incident.state === 'snoozed' && timeOf(incident.snoozedUntil) <= now) {
    return { action: 'transition', transition: { type: 'wake' }, reason: 'snooze_expired' };
  }
  if (isRolledUp(incident) || incident.seq === 0) return { action: 'none', reason: 'not_announced' };
  if (incident.state === 'snoozed') return { action: 'none', reason: 'snoozed' };
  const lastTold = Math.max(timeOf(incident.lastDecisionAt), timeOf(incident.notifiedAt));
  if (
    incident.state === 'open' &&
    now - Math.max(timeOf(incident.openedAt), timeOf(incident.remindedAt)) >= policy.reminderIntervalMs
  ) {
    return { action: 'transition', transition: { type: 'remind' }, reason: 'unacknowledged' };
  }
  const untold = timeOf(incident.lastSeen) > lastTold || incident.cause !== incident.announcedCause;
  if (untold && now - lastTold >= policy.updateIntervalMs) {
    return { action: 'transition', transition: { type: 'update', reason: 'catch_up' }, reason: 'catch_up' };
  }
  return { action: 'none', reason: 'nothing_due' };
}
