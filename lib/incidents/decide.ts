import { shortId } from './fingerprint.ts';
import { formatLedger, parseLedger, recordCount } from './ledger.ts';
import {
  affectedId,
  causeReplaces,
  earlierOf,
  type FailureObservation,
  laterContext,
  laterOf,
  MAX_AFFECTED,
  MAX_NODES,
  MAX_PODS,
  mergeRecent,
  type Observation,
  timeOf,
} from './observation.ts';
import type { Policy } from './policy.ts';
import { announce, expiryOf, iso, isRolledUp, reopenedState, wokenState } from './state.ts';
import type { IncidentRecord } from './types.ts';

/**
 * The notification policy as one pure decision (DESIGN.md §4): given what the store holds and what a batch
 * observed, what should users be told? The reason is logged and becomes a metric label, so every branch
 * names why it chose what it chose.
 */
export type Action = 'open' | 'update' | 'cause_changed' | 'reopen' | 'resolve' | 'none';

export interface Decision {
  action: Action;
  reason: string;
}

export interface Evaluation {
  decision: Decision;
  /** What to store: null when nothing changed (a pure duplicate costs no write). */
  next: IncidentRecord | null;
}

/** Affected-workload ids kept for `affectedTotal`; beyond this an evicted workload seen again counts twice. */
const MAX_AFFECTED_IDS = 500;

export function decide(
  previous: IncidentRecord | null,
  observation: Observation,
  now: number,
  policy: Policy,
): Decision {
  return evaluate(previous, observation, now, policy).decision;
}

export function evaluate(
  previous: IncidentRecord | null,
  observation: Observation,
  now: number,
  policy: Policy,
): Evaluation {
  const failure = observation.failure;
  if (previous === null) {
    if (failure === null) return { decision: none('no_incident'), next: null };
    const created = createIncident(observation, failure);
    if (created.parentKey !== null) return finish(null, created, none('rolled_up'), policy);
    if (created.cause === 'none' && !causeWaitOver(created, now, policy)) {
      return finish(null, created, none('awaiting_cause'), policy);
    }
    const reason = created.cause === 'none' ? 'cause_not_reported' : 'new_incident';
    return finish(null, announce(created, 'open', reason, now), { action: 'open', reason }, policy);
  }

  const merged = failure ? mergeFailure(previous, failure) : { incident: { ...previous }, material: false };
  let next = merged.incident;

  if (observation.pulledAt !== null && timeOf(observation.pulledAt) >= timeOf(next.lastSeen)) {
    // The image was pulled after every failure we know of: the problem is over for this workload.
    if (previous.state === 'resolved') return finish(previous, next, none('already_resolved'), policy);
    next = {
      ...next,
      state: 'resolved',
      resolvedAt: observation.pulledAt,
      resolvedBy: 'pulled',
      snoozedUntil: null,
    };
    if (isRolledUp(next)) return finish(previous, next, none('rolled_up'), policy);
    if (previous.seq === 0) return finish(previous, next, none('resolved_unannounced'), policy);
    return finish(
      previous,
      announce(next, 'resolve', 'pulled', now),
      { action: 'resolve', reason: 'pulled' },
      policy,
    );
  }
  if (failure === null) return finish(previous, next, none('still_failing'), policy);

  if (previous.state === 'resolved') return recurrence(previous, next, failure, now, policy);

  const snoozed = previous.state === 'snoozed' && timeOf(previous.snoozedUntil) > now;
  if (isRolledUp(next)) {
    if (!isRolledUp(previous) && previous.seq > 0) {
      // Its own alert is out there: say once that it now lives under the registry incident.
      return emit(previous, next, 'cause_changed', 'rolled_up_under_registry', now, policy);
    }
    return finish(previous, next, none('rolled_up'), policy);
  }
  if (previous.seq === 0) {
    if (next.cause === 'none' && !causeWaitOver(next, now, policy)) {
      return finish(previous, next, none('awaiting_cause'), policy);
    }
    const reason = isRolledUp(previous)
      ? 'left_registry_rollup'
      : next.cause === 'none'
        ? 'cause_not_reported'
        : 'new_incident';
    return emit(previous, next, 'open', reason, now, policy);
  }
  if (snoozed) return finish(previous, next, none('snoozed'), policy);
  if (timeOf(failure.lastSeen) - timeOf(previous.lastSeen) >= policy.quietPeriodMs) {
    // Silent for a whole quiet period and failing again: a new episode even if no sweep resolved it.
    next = { ...next, ...reopenedState(next, iso(now)), countAtOpen: previous.count };
    return emit(previous, next, 'reopen', 'recurred_after_quiet', now, policy);
  }
  if (!merged.material) return finish(previous, next, none('duplicate'), policy);
  const causeDiffers = next.cause !== (previous.announcedCause ?? previous.cause);
  if (now - lastToldAt(previous) < policy.updateIntervalMs) {
    return finish(
      previous,
      next,
      none(causeDiffers ? 'cause_change_deferred' : 'within_update_interval'),
      policy,
    );
  }
  if (previous.state === 'snoozed') next = { ...next, ...wokenState(next) };
  if (causeDiffers) return emit(previous, next, 'cause_changed', 'cause_changed', now, policy);
  return emit(
    previous,
    next,
    'update',
    previous.state === 'snoozed' ? 'snooze_expired' : 'repeat',
    now,
    policy,
  );
}

/** A failure on a resolved incident: late news, a lingering back-off, or the problem is back. */
function recurrence(
  previous: IncidentRecord,
  merged: IncidentRecord,
  failure: FailureObservation,
  now: number,
  policy: Policy,
): Evaluation {
  // Back-offs of pods that have just pulled linger for a while; only a failure with a cause proves a relapse.
  if (failure.cause === 'none' && previous.resolvedBy === 'pulled') {
    return finish(previous, merged, none('backoff_after_pulled'), policy);
  }
  if (timeOf(failure.lastSeen) <= timeOf(previous.resolvedAt)) {
    return finish(previous, merged, none('late_event'), policy);
  }
  const reopened = { ...merged, ...reopenedState(merged, iso(now)), countAtOpen: previous.count };
  if (isRolledUp(reopened)) return finish(previous, reopened, none('rolled_up'), policy);
  if (previous.seq === 0) return emit(previous, reopened, 'open', 'new_incident', now, policy);
  if (now - timeOf(previous.resolvedAt) <= policy.reopenWindowMs) {
    return emit(previous, reopened, 'reopen', 'recurred', now, policy);
  }
  // Long after: a new alert (new message) on the same record; the old one stays resolved in the channel.
  return emit(previous, { ...reopened, slack: null }, 'open', 'recurred_after_window', now, policy);
}

function none(reason: string): Decision {
  return { action: 'none', reason };
}

function emit(
  previous: IncidentRecord,
  next: IncidentRecord,
  action: Exclude<Action, 'none'>,
  reason: string,
  now: number,
  policy: Policy,
): Evaluation {
  return finish(previous, announce(next, action, reason, now), { action, reason }, policy);
}

function finish(
  previous: IncidentRecord | null,
  next: IncidentRecord,
  decision: Decision,
  policy: Policy,
): Evaluation {
  const stamped = { ...next, expiresAt: expiryOf(next, policy) };
  if (previous !== null && decision.action === 'none' && sameRecord(previous, stamped)) {
    return { decision, next: null };
  }
  return { decision, next: { ...stamped, version: (previous?.version ?? 0) + 1 } };
}

function sameRecord(a: IncidentRecord, b: IncidentRecord): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}

function lastToldAt(incident: IncidentRecord): number {
  return Math.max(timeOf(incident.lastDecisionAt), timeOf(incident.notifiedAt));
}

function causeWaitOver(incident: IncidentRecord, now: number, policy: Policy): boolean {
  return now - timeOf(incident.firstSeen) >= policy.causeWaitMs;
}

function createIncident(observation: Observation, failure: FailureObservation): IncidentRecord {
  const ledger = parseLedger('');
  let count = 0;
  for (const [id, n] of failure.events) count += recordCount(ledger, id, n);
  const affectedIds = parseLedger('');
  for (const a of failure.affected) recordCount(affectedIds, shortId(affectedId(a)), 1);
  return {
    key: observation.key,
    kind: observation.kind,
    cluster: observation.cluster,
    namespace: observation.namespace,
    workload: observation.workload,
    image: observation.image,
    registry: observation.registry,
    cause: failure.cause,
    category: failure.category,
    reason: failure.reason,
    evidence: failure.evidence,
    message: failure.message,
    state: 'open',
    count,
    pods: failure.pods.slice(-MAX_PODS),
    nodes: failure.nodes.slice(-MAX_NODES),
    firstSeen: failure.firstSeen,
    lastSeen: failure.lastSeen,
    parentKey: failure.parentKey,
    affected: failure.affected.slice(-MAX_AFFECTED),
    affectedTotal: affectedIds.size,
    acknowledgedBy: null,
    acknowledgedAt: null,
    snoozedUntil: null,
    resolvedAt: null,
    resolvedBy: null,
    slack: null,
    notifiedAt: null,
    version: 0,
    openedAt: failure.firstSeen,
    countAtOpen: 0,
    causeSeenAt: failure.causeAt,
    previousCause: null,
    announcedCause: null,
    seq: 0,
    lastAction: null,
    lastReason: null,
    lastDecisionAt: null,
    pendingNotice: null,
    notifiedSeq: 0,
    notifyClaim: null,
    snoozedBy: null,
    snoozedAt: null,
    remindedAt: null,
    seen: formatLedger(ledger),
    affectedIds: formatLedger(affectedIds, MAX_AFFECTED_IDS),
    expiresAt: 0,
    context: failure.context ?? null,
  };
}

/**
 * Folds a failure observation into the record. Counts add only the growth of each event's count;
 * firstSeen moves only earlier and lastSeen only later; the cause follows `causeReplaces`. `material` says
 * whether users would see a difference (more events, another cause, new pods, nodes or workloads).
 */
function mergeFailure(
  previous: IncidentRecord,
  failure: FailureObservation,
): { incident: IncidentRecord; material: boolean } {
  const ledger = parseLedger(previous.seen);
  let added = 0;
  for (const [id, n] of failure.events) added += recordCount(ledger, id, n);

  const affectedIds = parseLedger(previous.affectedIds);
  let newWorkloads = 0;
  for (const a of failure.affected) newWorkloads += recordCount(affectedIds, shortId(affectedId(a)), 1);

  let next: IncidentRecord = {
    ...previous,
    count: previous.count + added,
    firstSeen: earlierOf(previous.firstSeen, failure.firstSeen),
    lastSeen: laterOf(previous.lastSeen, failure.lastSeen),
    pods: mergeRecent(previous.pods, failure.pods, MAX_PODS, (p) => p),
    nodes: mergeRecent(previous.nodes, failure.nodes, MAX_NODES, (n) => n),
    affected: mergeRecent(previous.affected, failure.affected, MAX_AFFECTED, affectedId),
    affectedTotal: previous.affectedTotal + newWorkloads,
    seen: formatLedger(ledger),
    affectedIds: formatLedger(affectedIds, MAX_AFFECTED_IDS),
    context: laterContext({ lastSeen: previous.lastSeen, context: previous.context }, failure),
  };
  if (failure.reason !== null && timeOf(failure.lastSeen) >= timeOf(previous.lastSeen)) {
    next.reason = failure.reason;
  }
  const current = { cause: previous.cause, causeAt: previous.causeSeenAt };
  let causeChanged = false;
  if (causeReplaces(current, failure)) {
    causeChanged = true;
    next = {
      ...next,
      previousCause: previous.cause === 'none' ? previous.previousCause : previous.cause,
      cause: failure.cause,
      category: failure.category,
      evidence: failure.evidence,
      message: failure.message,
      causeSeenAt: failure.causeAt,
      parentKey: failure.parentKey,
    };
  } else if (failure.cause === previous.cause && failure.causeAt !== null) {
    next.causeSeenAt =
      previous.causeSeenAt === null ? failure.causeAt : laterOf(previous.causeSeenAt, failure.causeAt);
    next.parentKey = failure.parentKey;
  }
  const newMembers =
    failure.pods.some((p) => !previous.pods.includes(p)) ||
    failure.nodes.some((n) => !previous.nodes.includes(n)) ||
    newWorkloads > 0;
  return { incident: next, material: added > 0 || causeChanged || newMembers };
}
