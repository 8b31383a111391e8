import { INFRA_CATEGORIES } from '../classify/causes.ts';
import { classify } from '../classify/index.ts';
import type { Classification } from '../classify/types.ts';
import type { Envelope, PodContext } from '../events/envelope.ts';
import { type NormalizedEvent, normalizeEvent } from '../events/normalize.ts';
import { tryParseImageReference } from '../image/index.ts';
import { registryKey, shortId, workloadKey } from './fingerprint.ts';
import type { FailureObservation, Observation } from './observation.ts';
import type { IncidentContext } from './types.ts';
import { resolveWorkload } from './workload.ts';

/**
 * One envelope → what it tells about incidents: nothing (not an image event, or not attributable), a
 * workload observation, and for infra-level causes also the registry observation it rolls up into.
 */
export type EnvelopeReading =
  | { observations: Observation[]; ignored: null; classification: Classification }
  | { observations: []; ignored: IgnoredReason; classification: Classification };

export type IgnoredReason = 'not_image' | 'no_workload' | 'no_image';

/** Stored messages are capped: the record's size is what each write costs. */
export const MAX_MESSAGE_CHARS = 1500;

export function readEnvelope(envelope: Envelope): EnvelopeReading {
  const event = normalizeEvent(envelope.event);
  const classification = classify({ reason: event.reason, message: event.message, type: event.type });
  const pulled = envelope.kind === 'resolved' || classification.kind === 'pulled';
  const failing = classification.kind === 'pull_failure' || classification.kind === 'pull_backoff';
  if (!pulled && !failing) return { observations: [], ignored: 'not_image', classification };

  const pod = envelope.pod ?? null;
  const namespace = event.involved.namespace ?? event.namespace ?? pod?.namespace ?? null;
  const podName =
    (event.involved.kind === 'Pod' || !event.involved.kind ? event.involved.name : null) ?? pod?.name ?? null;
  const workload = resolveWorkload({ workload: pod?.workload, owner: pod?.owner, podName });
  if (namespace === null || workload === null)
    return { observations: [], ignored: 'no_workload', classification };
  const image = imageOf(classification, pod, event.container);
  if (image === null) return { observations: [], ignored: 'no_image', classification };

  const cluster = envelope.cluster;
  const lastSeen = event.lastSeen ?? new Date(envelope.forwardedAt).toISOString();
  const base = {
    key: workloadKey({ cluster, namespace, workload, image: image.name }),
    kind: 'workload' as const,
    cluster,
    namespace,
    workload,
    image: image.name,
    registry: image.registry,
  };
  if (pulled)
    return { observations: [{ ...base, failure: null, pulledAt: lastSeen }], ignored: null, classification };

  const cause = classification.cause;
  const parentKey =
    INFRA_CATEGORIES.has(classification.category) && image.registry !== null
      ? registryKey({ cluster, registry: image.registry, cause })
      : null;
  const node = pod?.nodeName ?? envelope.node?.name ?? event.host;
  const failure: FailureObservation = {
    cause,
    category: classification.category,
    reason: classification.reason,
    evidence: classification.evidence,
    message: event.message.slice(0, MAX_MESSAGE_CHARS),
    causeAt: cause === 'none' ? null : lastSeen,
    parentKey,
    firstSeen: event.firstSeen ?? lastSeen,
    lastSeen,
    // Only failed pulls count: BackOff and `Error: ErrImagePull` echo a failure already counted, and
    // leaving them out keeps the event ledger (and so each write) small.
    events:
      classification.kind === 'pull_failure' ? new Map([[eventId(cluster, event), event.count]]) : new Map(),
    pods: podName ? [podName] : [],
    nodes: node ? [node] : [],
    affected: [],
    context: pullContext(envelope, image.name, event.container),
  };
  const observations: Observation[] = [{ ...base, failure, pulledAt: null }];
  if (parentKey !== null) {
    observations.push({
      key: parentKey,
      kind: 'registry',
      cluster,
      namespace: null,
      workload: null,
      image: null,
      registry: image.registry,
      failure: {
        ...failure,
        parentKey: null,
        affected: [{ namespace, workload, image: image.name }],
        context: null,
      },
      pulledAt: null,
    });
  }
  return { observations, ignored: null, classification };
}

const MAX_CONTEXT_SECRETS = 8;
const MAX_SECRET_REGISTRIES = 8;

/**
 * How the failing pod pulls, kept on the incident for remediation with real names (service account, pull
 * secrets, pull policy, node platform). Bounded: the record is rewritten on every batch. Null without a pod.
 */
function pullContext(envelope: Envelope, image: string, container: string | null): IncidentContext | null {
  const pod = envelope.pod;
  if (!pod) return null;
  const spec =
    pod.containers.find((c) => c.name === container) ??
    pod.containers.find((c) => c.image === image || tryParseImageReference(c.image)?.canonical === image) ??
    (pod.containers.length === 1 ? pod.containers[0] : undefined);
  const node = envelope.node;
  const context: IncidentContext = {};
  if (pod.serviceAccount) context.serviceAccount = pod.serviceAccount;
  if (pod.imagePullSecrets.length > 0)
    context.imagePullSecrets = pod.imagePullSecrets.slice(0, MAX_CONTEXT_SECRETS);
  if (spec) {
    context.container = spec.imagePullPolicy
      ? { name: spec.name, imagePullPolicy: spec.imagePullPolicy }
      : { name: spec.name };
  }
  if (node && (node.os || node.arch)) {
    context.node = {
      ...(node.os ? { os: node.os } : {}),
      ...(node.arch ? { arch: node.arch } : {}),
      ...(node.variant ? { variant: node.variant } : {}),
    };
  }
  if (envelope.pullSecrets && envelope.pullSecrets.length > 0) {
    context.pullSecrets = envelope.pullSecrets.slice(0, MAX_CONTEXT_SECRETS).map((secret) => ({
      name: secret.name,
      exists: secret.exists,
      ...(secret.type ? { type: secret.type } : {}),
      registries: secret.registries.slice(0, MAX_SECRET_REGISTRIES),
    }));
  }
  return Object.keys(context).length > 0 ? context : null;
}

/**
 * Which Kubernetes Event this is, across its repeats: the uid (repeats update the same object), else its
 * namespaced name; without either, what it says and about whom — repeats of such an event cannot be told
 * apart from new ones, so their counts may run high, never low.
 */
function eventId(cluster: string, event: NormalizedEvent): string {
  if (event.uid) return shortId(cluster, 'uid', event.uid);
  if (event.name) return shortId(cluster, 'name', event.namespace ?? '', event.name);
  return shortId(
    cluster,
    'text',
    event.involved.uid ?? event.involved.name ?? '',
    event.reason,
    event.message,
    event.firstSeen ?? '',
  );
}

/**
 * The failing image: from the message when it names one (canonical), else the container the event is about
 * (`Error: ErrImagePull` names none), else the only container; an unparseable reference is kept as written
 * so InvalidImageName still groups by what the pod spec says.
 */
function imageOf(
  classification: Classification,
  pod: PodContext | null,
  container: string | null,
): { name: string; registry: string | null } | null {
  if (classification.image) {
    return {
      name: classification.image,
      registry: classification.registry ?? registryOf(classification.image),
    };
  }
  const containers = pod?.containers ?? [];
  const spec =
    containers.find((c) => c.name === container) ?? (containers.length === 1 ? containers[0] : undefined);
  if (spec) {
    // The non-throwing parse: an invalid reference is an expected input here (InvalidImageName storms).
    const ref = tryParseImageReference(spec.image);
    return ref ? { name: ref.canonical, registry: ref.registry } : { name: spec.image, registry: null };
  }
  if (classification.imageText) return { name: classification.imageText, registry: null };
  return null;
}

function registryOf(image: string): string | null {
  return tryParseImageReference(image)?.registry ?? null;
}
