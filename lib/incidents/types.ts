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
  /** Events observed (kubelet's count deltas summed); only grows. */
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
