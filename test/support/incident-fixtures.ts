import { type Cause, categoryOf } from '../../lib/classify/causes.ts';
import { registryKey, workloadKey } from '../../lib/incidents/fingerprint.ts';
import type { AffectedWorkload, Observation } from '../../lib/incidents/observation.ts';
import type { WorkloadRef } from '../../lib/incidents/types.ts';

/** Builders for observations in tests of the pure model and the stores (what ingest would derive). */
export interface FailureSpec {
  cluster?: string;
  namespace?: string;
  workload?: WorkloadRef;
  image?: string;
  registry?: string;
  cause?: Cause;
  /** Event time (ISO); firstSeen defaults to it. */
  at: string;
  firstSeen?: string;
  /** Kubernetes event id → count; defaults to one event `e-<at>` seen once. */
  events?: Array<[string, number]>;
  pods?: string[];
  nodes?: string[];
  /** Roll up under the registry incident of this cause (the caller decides, as ingest does). */
  rolledUp?: boolean;
}

export const DEFAULTS = {
  cluster: 'prod',
  namespace: 'shop',
  workload: { kind: 'Deployment', name: 'api' },
  image: 'registry.example.com/team/api:v2',
  registry: 'registry.example.com',
};

export function workloadFailure(spec: FailureSpec): Observation {
  const cluster = spec.cluster ?? DEFAULTS.cluster;
  const namespace = spec.namespace ?? DEFAULTS.namespace;
  const workload = spec.workload ?? DEFAULTS.workload;
  const image = spec.image ?? DEFAULTS.image;
  const registry = spec.registry ?? DEFAULTS.registry;
  const cause = spec.cause ?? 'tag_not_found';
  return {
    key: workloadKey({ cluster, namespace, workload, image }),
    kind: 'workload',
    cluster,
    namespace,
    workload,
    image,
    registry,
    pulledAt: null,
    failure: {
      cause,
      category: categoryOf(cause),
      reason: cause === 'none' ? 'ImagePullBackOff' : 'ErrImagePull',
      evidence: cause === 'none' ? '' : `evidence of ${cause}`,
      message: `Failed to pull image "${image}": ${cause}`,
      causeAt: cause === 'none' ? null : spec.at,
      parentKey: spec.rolledUp ? registryKey({ cluster, registry, cause }) : null,
      firstSeen: spec.firstSeen ?? spec.at,
      lastSeen: spec.at,
      // As ingest does: cause-less events (BackOff, `Error: ErrImagePull`) are not counted.
      events: new Map(cause === 'none' ? [] : (spec.events ?? [[`e-${spec.at}`, 1]])),
      pods: spec.pods ?? ['api-7d9f8c6b5-x2k4p'],
      nodes: spec.nodes ?? ['node-a'],
      affected: [],
    },
  };
}

export function registryFailure(
  spec: FailureSpec & { affected?: AffectedWorkload[]; cause: Cause },
): Observation {
  const cluster = spec.cluster ?? DEFAULTS.cluster;
  const registry = spec.registry ?? DEFAULTS.registry;
  const base = workloadFailure(spec);
  return {
    ...base,
    key: registryKey({ cluster, registry, cause: spec.cause }),
    kind: 'registry',
    namespace: null,
    workload: null,
    image: null,
    failure: base.failure && {
      ...base.failure,
      parentKey: null,
      affected: spec.affected ?? [
        {
          namespace: spec.namespace ?? DEFAULTS.namespace,
          workload: spec.workload ?? DEFAULTS.workload,
          image: spec.image ?? DEFAULTS.image,
        },
      ],
    },
  };
}

export function pulled(spec: { at: string } & Omit<FailureSpec, 'cause'>): Observation {
  const base = workloadFailure({ ...spec });
  return { ...base, failure: null, pulledAt: spec.at };
}

/** ISO time `minutes` after a fixed origin, so tests read as a timeline. */
export function t(minutes: number): string {
  return new Date(Date.UTC(2026, 10, 1, 10, 0, 0) + minutes * 60_000).toISOString();
}

export function ms(minutes: number): number {
  return Date.parse(t(minutes));
}
