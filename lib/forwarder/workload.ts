import type { OwnerRef, PodInfo } from './projections.ts';

/**
 * Pod → owner → workload, from caches when they hold the owner and from Kubernetes' naming rules when they
 * do not (the default RBAC has no access to ReplicaSets or Jobs):
 * - a Deployment names its ReplicaSets `<deployment>-<pod-template-hash>` and labels their pods with that
 *   hash (pkg/controller/deployment), so the Deployment is the ReplicaSet name minus `-<hash>`;
 * - a CronJob names its Jobs `<cronjob>-<scheduled time in minutes since the epoch>`
 *   (pkg/controller/cronjob `getJobName`), so a Job whose suffix is a plausible such time is a CronJob's.
 */
export interface OwnerLookups {
  /** undefined: not cached (unknown); { owner: null }: cached, without an owner. */
  replicaSet?(namespace: string, name: string): { owner: OwnerRef | null } | undefined;
  job?(namespace: string, name: string): { owner: OwnerRef | null } | undefined;
}

const EARLIEST_CRONJOB_MS = Date.UTC(2015, 0, 1);
const CRONJOB_SUFFIX = /^(.+)-(\d{8,10})$/;

export function resolveWorkload(
  pod: Pick<PodInfo, 'name' | 'namespace' | 'owner' | 'templateHash'>,
  lookups: OwnerLookups,
  nowMs: number,
): OwnerRef {
  const owner = pod.owner;
  if (owner === null) return { kind: 'Pod', name: pod.name };
  if (owner.kind === 'ReplicaSet') {
    const cached = lookups.replicaSet?.(pod.namespace, owner.name);
    if (cached !== undefined) return cached.owner ?? owner;
    const hash = pod.templateHash;
    if (hash && owner.name.length > hash.length + 1 && owner.name.endsWith(`-${hash}`)) {
      return { kind: 'Deployment', name: owner.name.slice(0, -(hash.length + 1)) };
    }
    return owner;
  }
  if (owner.kind === 'Job') {
    const cached = lookups.job?.(pod.namespace, owner.name);
    if (cached !== undefined) return cached.owner ?? owner;
    const match = CRONJOB_SUFFIX.exec(owner.name);
    if (match?.[1] && match[2]) {
      const scheduledMs = Number(match[2]) * 60_000;
      // Scheduled times are never in the future; a day of slack covers clock skew.
      if (scheduledMs >= EARLIEST_CRONJOB_MS && scheduledMs <= nowMs + 24 * 3600_000) {
        return { kind: 'CronJob', name: match[1] };
      }
    }
    return owner;
  }
  return owner;
}
