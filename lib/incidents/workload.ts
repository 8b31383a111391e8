import type { WorkloadRef } from './types.ts';

/**
 * Which workload a failing pod belongs to, so 50 replicas make one incident instead of 50. Kubernetes names
 * generated objects by appending suffixes from a vowel-free alphabet (apimachinery's rand.SafeEncodeString):
 * a Deployment's ReplicaSet is `<deployment>-<pod-template-hash>`, its pods `<replicaset>-<5 chars>`; a
 * CronJob's Job is `<cronjob>-<scheduled time in minutes>`.
 */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const REPLICASET_NAME = new RegExp(`^(.+)-${SAFE}{4,10}$`);
const CRONJOB_JOB_NAME = /^(.+)-\d{8,}$/;
const DEPLOYMENT_POD_NAME = new RegExp(`^(.+)-${SAFE}{4,10}-${SAFE}{5}$`);
const CRONJOB_POD_NAME = new RegExp(`^(.+)-\\d{8,}-${SAFE}{5}$`);
const STATEFULSET_POD_NAME = /^(.+)-(?:0|[1-9]\d{0,4})$/;

export interface WorkloadInput {
  /** What the forwarder resolved through the API (already the top-level controller); trusted as is. */
  workload?: WorkloadRef | null;
  /** The pod's controlling owner reference. */
  owner?: WorkloadRef | null;
  podName: string | null;
}

export function resolveWorkload(input: WorkloadInput): WorkloadRef | null {
  if (input.workload?.kind && input.workload.name) return { ...input.workload };
  if (input.owner?.kind && input.owner.name) return fromOwner(input.owner);
  if (input.podName) return fromPodName(input.podName);
  return null;
}

/** ReplicaSet → Deployment, Job → CronJob when the names say so; any other owner is the workload itself. */
export function fromOwner(owner: WorkloadRef): WorkloadRef {
  if (owner.kind === 'ReplicaSet') {
    const match = REPLICASET_NAME.exec(owner.name);
    if (match?.[1]) return { kind: 'Deployment', name: match[1] };
  }
  if (owner.kind === 'Job') {
    const match = CRONJOB_JOB_NAME.exec(owner.name);
    if (match?.[1]) return { kind: 'CronJob', name: match[1] };
  }
  return { kind: owner.kind, name: owner.name };
}

/**
 * Without owner information (a bare Event, as `pullwatch replay` reads them) the pod's generated name is the
 * only clue: the Deployment and CronJob shapes are specific enough to trust; StatefulSet ordinals too. Anything else stays
 * the pod, which at worst splits one problem into several incidents but never merges unrelated ones.
 */
export function fromPodName(podName: string): WorkloadRef {
  const cronJob = CRONJOB_POD_NAME.exec(podName);
  if (cronJob?.[1]) return { kind: 'CronJob', name: cronJob[1] };
  const deployment = DEPLOYMENT_POD_NAME.exec(podName);
  if (deployment?.[1]) return { kind: 'Deployment', name: deployment[1] };
  const statefulSet = STATEFULSET_POD_NAME.exec(podName);
  if (statefulSet?.[1]) return { kind: 'StatefulSet', name: statefulSet[1] };
  return { kind: 'Pod', name: podName };
}

export function formatWorkload(workload: WorkloadRef | null): string | null {
  return workload ? `${workload.kind}/${workload.name}` : null;
}
