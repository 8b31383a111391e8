import type { Category, Cause, WaitingReason } from '../classify/causes.ts';

/**
 * The incident record (DESIGN.md §4): one per problem, not per event. This is the contract between ingest,
 * notify, slack-actions and sweep; fields may be added, never renamed or re-purposed.
 */
export type IncidentKind = 'workload' | 'registry';
export type IncidentState = 'open' | 'acknowledged' | 'snoozed' | 'resolved';

export interface WorkloadRef {
  kind: string;
  name: string;
}

export interface Incident {
  /** Stable fingerprint: workload = hash(cluster, namespace, workload, image); registry = hash(cluster, host, cause). */
  key: string;
  kind: IncidentKind;
  cluster: string;
  /** null for registry incidents. */
  namespace: string | null;
  workload: WorkloadRef | null;
  /** Canonical image reference; null for registry incidents. */
  image: string | null;
  registry: string | null;
  cause: Cause;
  category: Category;
  reason: WaitingReason | null;
  /** The substring of kubelet's text that decided the cause, and the first full message that carried it. */
  evidence: string;
  message: string;
  state: IncidentState;
  /**
   * Events observed (kubelet's count deltas summed); only grows. Counted are the failed pulls (events that
   * carry a failure text); BackOff and `Error: ErrImagePull` echo one and only move `lastSeen`.
   */
  count: number;
  /** Affected pods and nodes, bounded lists (most recent kept). */
  pods: string[];
  nodes: string[];
  /** ISO timestamps; firstSeen only moves earlier, lastSeen only later. */
  firstSeen: string;
  lastSeen: string;
  /** Workload incidents rolled up under a registry incident point at it; they never alert on their own. */
  parentKey: string | null;
  /** Registry incidents: the affected workloads (bounded) and how many there are in all. */
  affected: Array<{ namespace: string; workload: WorkloadRef; image: string }>;
  affectedTotal: number;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  snoozedUntil: string | null;
  resolvedAt: string | null;
  /** `pulled`, `quiet`, `button:<user>`. */
  resolvedBy: string | null;
  /** Where the alert lives, once posted: Slack channel + message ts. */
  slack: { channel: string; ts: string } | null;
  /** When the last notification of any kind went out (drives the update interval). */
  notifiedAt: string | null;
  /** Optimistic-concurrency version; every write increments it. */
  version: number;
}

/**
 * The incident as the store keeps it (issue 3): the contract above plus the bookkeeping that ingest, notify,
 * slack-actions and sweep share through the IncidentStore. Every IncidentRecord is an Incident, so code that
 * renders incidents takes either.
 */
export interface IncidentRecord extends Incident {
  /** When the current episode began (first open, reopen, or open after the reopen window). */
  openedAt: string;
  /** `count` when the current episode began: `count - countAtOpen` events belong to this episode. */
  countAtOpen: number;
  /** Latest event time that carried `cause`; a different cause replaces it only with a newer event. */
  causeSeenAt: string | null;
  /** The cause before the latest cause change (for the thread reply), null if it never changed. */
  previousCause: Cause | null;
  /** The cause the latest announced state change showed; a difference later yields `cause_changed`. */
  announcedCause: Cause | null;
  /** State changes so far (decisions other than `none`, and transitions); notices carry it. 0 = never announced. */
  seq: number;
  lastAction: NoticeAction | null;
  lastReason: string | null;
  /** When the latest state change was decided (wall clock; drives the update interval). */
  lastDecisionAt: string | null;
  /**
   * Outbox: the latest state change whose notice has not been handed to the notices queue yet. Set with the
   * change in the same write, cleared by `markNoticeSent`; a crash in between leaves it for redelivery/sweep.
   */
  pendingNotice: PendingNotice | null;
  /** Highest `seq` that notify has delivered (`recordNotification`). */
  notifiedSeq: number;
  /** A sender's lease on delivering a notification; a crashed sender's claim expires and can be reconciled. */
  notifyClaim: NotifyClaim | null;
  /** Who snoozed it and when (`snoozedUntil` says until when). */
  snoozedBy: string | null;
  snoozedAt: string | null;
  /** When the last unacknowledged-incident reminder went out. */
  remindedAt: string | null;
  /** Compact ledger of the Kubernetes events counted so far, `id:count` (lib/incidents/ledger.ts). */
  seen: string;
  /** Registry incidents: compact ledger of affected workload ids, for `affectedTotal`. */
  affectedIds: string;
  /** Epoch seconds after which the store may delete the record (DynamoDB TTL). */
  expiresAt: number;
  /**
   * What the latest failing pod said about how it pulls (workload incidents; absent on records written before
   * it existed): the real names remediation commands need. Small on purpose, it is part of every write.
   */
  context?: IncidentContext | null;
}

/**
 * The pull context of a workload's pods, from the forwarder's envelope (never credentials). Only what is
 * known is stored (every write pays for the record's size): an absent field means not reported.
 */
export interface IncidentContext {
  serviceAccount?: string;
  imagePullSecrets?: string[];
  /** The container that runs the failing image. */
  container?: { name: string; imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never' };
  node?: { os?: string; arch?: string; variant?: string };
  /** What the forwarder learned about the named pull secrets (opt-in there). */
  pullSecrets?: Array<{ name: string; exists: boolean; type?: string; registries: string[] }>;
}

/** What a state change says happened; every non-`none` decision and every transition is one of these. */
export type NoticeAction =
  | 'open'
  | 'update'
  | 'cause_changed'
  | 'reopen'
  | 'resolve'
  | 'acknowledge'
  | 'snooze'
  | 'wake'
  | 'remind';

export interface PendingNotice {
  seq: number;
  action: NoticeAction;
  reason: string;
  at: string;
}

export interface NotifyClaim {
  token: string;
  seq: number;
  claimedAt: string;
  until: string;
}
