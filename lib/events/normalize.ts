import type { CoreEvent, EventsV1Event, KubeEvent } from './envelope.ts';

/**
 * One internal shape for core/v1 and events.k8s.io/v1 Events. Kubernetes folds repeats into the same
 * object (same uid, growing count / series.count), so `count` and `lastSeen` are what later stages compare.
 */
export interface NormalizedEvent {
  apiVersion: 'v1' | 'events.k8s.io/v1';
  uid: string | null;
  name: string | null;
  namespace: string | null;
  resourceVersion: string | null;
  type: string;
  reason: string;
  message: string;
  /** ≥ 1: series.count, else count / deprecatedCount, else 1. */
  count: number;
  /** ISO timestamps; null when the event carries none. */
  firstSeen: string | null;
  lastSeen: string | null;
  involved: {
    kind: string | null;
    name: string | null;
    namespace: string | null;
    uid: string | null;
    fieldPath: string | null;
  };
  /** The container the event is about, from a fieldPath like `spec.containers{api}`. */
  container: string | null;
  /** The node that reported it (source.host / reportingInstance for kubelet). */
  host: string | null;
  component: string | null;
}

const CONTAINER_FIELD = /^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}$/;

export function containerFromFieldPath(fieldPath: string | null | undefined): string | null {
  if (!fieldPath) return null;
  return CONTAINER_FIELD.exec(fieldPath)?.[1] ?? null;
}

export function normalizeEvent(event: KubeEvent): NormalizedEvent {
  return 'regarding' in event ? fromEventsV1(event) : fromCore(event);
}

function fromCore(event: CoreEvent): NormalizedEvent {
  const ref = event.involvedObject;
  const seriesCount = event.series?.count ?? null;
  const lastSeen =
    maxTime(event.series?.lastObservedTime, event.lastTimestamp, event.eventTime) ??
    firstTime(event.metadata?.creationTimestamp);
  return {
    apiVersion: 'v1',
    uid: event.metadata?.uid ?? null,
    name: event.metadata?.name ?? null,
    namespace: event.metadata?.namespace ?? ref.namespace ?? null,
    resourceVersion: event.metadata?.resourceVersion ?? null,
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.message ?? '',
    count: Math.max(1, seriesCount ?? 0, event.count ?? 0),
    firstSeen:
      firstTime(event.firstTimestamp, event.eventTime, event.metadata?.creationTimestamp) ?? lastSeen,
    lastSeen,
    involved: reference(ref),
    container: containerFromFieldPath(ref.fieldPath),
    host: event.source?.host ?? event.reportingInstance ?? null,
    component: event.source?.component ?? event.reportingComponent ?? null,
  };
}

function fromEventsV1(event: EventsV1Event): NormalizedEvent {
  const ref = event.regarding;
  const lastSeen =
    maxTime(event.series?.lastObservedTime, event.deprecatedLastTimestamp, event.eventTime) ??
    firstTime(event.metadata?.creationTimestamp);
  return {
    apiVersion: 'events.k8s.io/v1',
    uid: event.metadata?.uid ?? null,
    name: event.metadata?.name ?? null,
    namespace: event.metadata?.namespace ?? ref.namespace ?? null,
    resourceVersion: event.metadata?.resourceVersion ?? null,
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.note ?? '',
    count: Math.max(1, event.series?.count ?? 0, event.deprecatedCount ?? 0),
    firstSeen:
      firstTime(event.deprecatedFirstTimestamp, event.eventTime, event.metadata?.creationTimestamp) ??
      lastSeen,
    lastSeen,
    involved: reference(ref),
    container: containerFromFieldPath(ref.fieldPath),
    host: event.deprecatedSource?.host ?? event.reportingInstance ?? null,
    component: event.deprecatedSource?.component ?? event.reportingController ?? null,
  };
}

function reference(ref: CoreEvent['involvedObject']): NormalizedEvent['involved'] {
  return {
    kind: ref.kind ?? null,
    name: ref.name ?? null,
    namespace: ref.namespace ?? null,
    uid: ref.uid ?? null,
    fieldPath: ref.fieldPath ?? null,
  };
}

function toMs(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** The latest of several optional timestamps, as ISO; unparseable ones are ignored rather than trusted. */
function maxTime(...values: Array<string | null | undefined>): string | null {
  let best: number | null = null;
  for (const value of values) {
    const ms = toMs(value);
    if (ms !== null && (best === null || ms > best)) best = ms;
  }
  return best === null ? null : new Date(best).toISOString();
}

/** The first parseable timestamp in order of preference, as ISO. */
function firstTime(...values: Array<string | null | undefined>): string | null {
  for (const value of values) {
    const ms = toMs(value);
    if (ms !== null) return new Date(ms).toISOString();
  }
  return null;
}
