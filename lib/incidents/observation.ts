import type { Category, Cause, WaitingReason } from '../classify/causes.ts';
import type { IncidentContext, IncidentKind, WorkloadRef } from './types.ts';

/**
 * What one batch learned about one incident key: the events of a batch are folded into one observation per
 * key before the store is touched, so a storm costs one write per key per batch, not one per event.
 */
export interface Observation {
  key: string;
  kind: IncidentKind;
  cluster: string;
  namespace: string | null;
  workload: WorkloadRef | null;
  image: string | null;
  registry: string | null;
  /** Pull failures seen; null when the observation only says the image was pulled. */
  failure: FailureObservation | null;
  /** Latest `Pulled` of this image by this workload (ISO), or null. */
  pulledAt: string | null;
}

export interface AffectedWorkload {
  namespace: string;
  workload: WorkloadRef;
  image: string;
}

export interface FailureObservation {
  cause: Cause;
  category: Category;
  reason: WaitingReason | null;
  evidence: string;
  message: string;
  /** Latest time of an event carrying `cause`; null when `cause` is `none`. */
  causeAt: string | null;
  /** Registry incident this workload rolls up into (infra causes), decided with the cause. */
  parentKey: string | null;
  firstSeen: string;
  lastSeen: string;
  /** Kubernetes event id → the highest `count` seen of it. */
  events: Map<string, number>;
  /** Most recent last, bounded. */
  pods: string[];
  nodes: string[];
  /** Registry incidents: the workloads behind it. */
  affected: AffectedWorkload[];
  /** Workload incidents: how the latest failing pod pulls (service account, secrets, policy, platform). */
  context?: IncidentContext | null;
}

export const MAX_PODS = 10;
export const MAX_NODES = 20;
export const MAX_AFFECTED = 25;

/** Milliseconds of an ISO time; unparseable text sorts first rather than throwing. */
export function timeOf(iso: string | null | undefined): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

export function laterOf(a: string, b: string): string {
  return timeOf(b) > timeOf(a) ? b : a;
}

export function earlierOf(a: string, b: string): string {
  return timeOf(b) < timeOf(a) ? b : a;
}

function laterOfNullable(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return laterOf(a, b);
}

/** `none` says nothing, `unknown` says "a failure we cannot name", anything else names it. */
export function causeRank(cause: Cause): number {
  if (cause === 'none') return 0;
  if (cause === 'unknown') return 1;
  return 2;
}

/**
 * Whether `candidate`'s cause should replace `current`'s. A weaker cause never replaces a stronger one
 * (BackOff's `none` never hides "tag not found"; an unrecognised text never hides a recognised one); between
 * equals, only a newer event changes the cause, so a late copy of an old failure cannot flip it back.
 */
export function causeReplaces(
  current: { cause: Cause; causeAt: string | null },
  candidate: { cause: Cause; causeAt: string | null },
): boolean {
  const rankCandidate = causeRank(candidate.cause);
  const rankCurrent = causeRank(current.cause);
  if (rankCandidate === 0 || candidate.cause === current.cause) return false;
  if (rankCandidate !== rankCurrent) return rankCandidate > rankCurrent;
  return timeOf(candidate.causeAt) > timeOf(current.causeAt);
}

/** Appends values, most recent last, dropping duplicates and the oldest beyond `max`. */
export function mergeRecent<T>(
  current: readonly T[],
  added: readonly T[],
  max: number,
  id: (value: T) => string,
) {
  const byId = new Map<string, T>();
  for (const value of current) byId.set(id(value), value);
  for (const value of added) {
    const key = id(value);
    byId.delete(key);
    byId.set(key, value);
  }
  const all = [...byId.values()];
  return all.length > max ? all.slice(all.length - max) : all;
}

const same = (value: string) => value;
export const affectedId = (a: AffectedWorkload) =>
  `${a.namespace}/${a.workload.kind}/${a.workload.name}/${a.image}`;

/** Folds two observations of the same key into one; order-independent for counts, causes and times. */
export function mergeObservations(a: Observation, b: Observation): Observation {
  if (a.key !== b.key) throw new Error(`cannot merge observations of different keys ${a.key} and ${b.key}`);
  return {
    ...a,
    failure: mergeFailures(a.failure, b.failure),
    pulledAt: laterOfNullable(a.pulledAt, b.pulledAt),
  };
}

function mergeFailures(
  a: FailureObservation | null,
  b: FailureObservation | null,
): FailureObservation | null {
  if (a === null) return b;
  if (b === null) return a;
  const events = new Map(a.events);
  for (const [id, count] of b.events) events.set(id, Math.max(events.get(id) ?? 0, count));
  const [base, other] = causeReplaces(a, b) ? [b, a] : [a, b];
  return {
    ...base,
    causeAt: base.cause === other.cause ? laterOfNullable(base.causeAt, other.causeAt) : base.causeAt,
    reason: laterOf(a.lastSeen, b.lastSeen) === b.lastSeen ? (b.reason ?? a.reason) : (a.reason ?? b.reason),
    firstSeen: earlierOf(a.firstSeen, b.firstSeen),
    lastSeen: laterOf(a.lastSeen, b.lastSeen),
    events,
    pods: mergeRecent(a.pods, b.pods, MAX_PODS, same),
    nodes: mergeRecent(a.nodes, b.nodes, MAX_NODES, same),
    affected: mergeRecent(a.affected, b.affected, MAX_AFFECTED, affectedId),
    context: laterContext(a, b),
  };
}

/** The context of the later failure, else whichever has one. */
export function laterContext(
  a: Pick<FailureObservation, 'lastSeen' | 'context'>,
  b: Pick<FailureObservation, 'lastSeen' | 'context'>,
): IncidentContext | null {
  const [late, early] = timeOf(b.lastSeen) >= timeOf(a.lastSeen) ? [b, a] : [a, b];
  return late.context ?? early.context ?? null;
}

/** Groups observations by key, merging each group; the result keeps first-seen key order. */
export function aggregate(observations: Iterable<Observation>): Observation[] {
  const byKey = new Map<string, Observation>();
  for (const observation of observations) {
    const known = byKey.get(observation.key);
    byKey.set(observation.key, known ? mergeObservations(known, observation) : observation);
  }
  return [...byKey.values()];
}
