import {
  type CoreEvent,
  ENVELOPE_VERSION,
  type EnvelopeInput,
  MAX_MESSAGE_BYTES,
  type NodeContext,
  type PodContext,
  type PullSecretInfo,
} from '../events/envelope.ts';
import { containerFromFieldPath } from '../events/normalize.ts';
import { isRecord } from './kube-port.ts';
import { cut } from './projections.ts';

/**
 * Builds envelopes that `parseEnvelope` accepts by construction: every field is cut to the schema's limits
 * here (a malformed event from the API must not turn into a message the ingest has to dead-letter), and an
 * envelope that would exceed the message size sheds its context before it is ever sent.
 */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

type Limits = ReadonlyArray<readonly [field: string, max: number]>;

// Field lists are built once: trimEvent runs for every forwarded event.
const METADATA_LIMITS: Limits = [
  ['name', 253],
  ['namespace', 253],
  ['uid', 128],
  ['resourceVersion', 128],
  ['creationTimestamp', 64],
];
const INVOLVED_LIMITS: Limits = [
  ['apiVersion', 128],
  ['kind', 128],
  ['name', 253],
  ['namespace', 253],
  ['uid', 128],
  ['fieldPath', 512],
  ['resourceVersion', 128],
];
const EVENT_LIMITS: Limits = [
  ['reason', 256],
  ['message', 16 * 1024],
  ['type', 64],
  ['firstTimestamp', 64],
  ['lastTimestamp', 64],
  ['eventTime', 64],
  ['reportingComponent', 256],
  ['reportingInstance', 256],
];
const SOURCE_LIMITS: Limits = [
  ['component', 256],
  ['host', 253],
];

/** Copies the string fields in `limits`, cut to their maximum length, into `out`. */
function pick<T extends object = Record<string, string>>(
  object: Record<string, unknown>,
  limits: Limits,
  out: T = {} as T,
): T {
  for (const [field, max] of limits) {
    const value = cut(object[field], max);
    if (value !== null) (out as Record<string, unknown>)[field] = value;
  }
  return out;
}

/** core/v1 Event → the trimmed form the envelope carries (managedFields, annotations… are dropped). */
export function trimEvent(raw: unknown): CoreEvent {
  const event = isRecord(raw) ? raw : {};
  const metadata = isRecord(event.metadata) ? event.metadata : {};
  const involved = isRecord(event.involvedObject) ? event.involvedObject : {};
  const out: CoreEvent = pick(event, EVENT_LIMITS, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: pick(metadata, METADATA_LIMITS),
    involvedObject: pick(involved, INVOLVED_LIMITS),
  } as CoreEvent);
  const eventCount = count(event.count);
  if (eventCount !== null) out.count = eventCount;
  if (isRecord(event.series)) {
    out.series = {
      count: count(event.series.count),
      lastObservedTime: cut(event.series.lastObservedTime, 64),
    };
  }
  if (isRecord(event.source)) out.source = pick(event.source, SOURCE_LIMITS);
  return out;
}

export interface EnvelopeParts {
  cluster: string;
  kind: 'event' | 'resolved';
  event: unknown;
  forwardedAt: string;
  pod?: PodContext | null;
  node?: NodeContext | null;
  pullSecrets?: PullSecretInfo[] | null;
}

export function buildEnvelope(parts: EnvelopeParts): EnvelopeInput {
  const envelope: EnvelopeInput = {
    v: ENVELOPE_VERSION,
    cluster: parts.cluster,
    forwardedAt: parts.forwardedAt,
    kind: parts.kind,
    event: trimEvent(parts.event),
  };
  if (parts.pod) envelope.pod = parts.pod;
  if (parts.node) envelope.node = parts.node;
  if (parts.pullSecrets && parts.pullSecrets.length > 0)
    envelope.pullSecrets = parts.pullSecrets.slice(0, 64);
  return envelope;
}

/**
 * Serialises an envelope within MAX_MESSAGE_BYTES: first keeping only the container the event is about,
 * then dropping the pull-secret, pod and node context. The event itself always fits (its fields are cut).
 */
export function serializeEnvelope(envelope: EnvelopeInput): { body: string; bytes: number } {
  const event = envelope.event;
  const fieldPath = 'involvedObject' in event ? (event.involvedObject.fieldPath ?? null) : null;
  let body = JSON.stringify(envelope);
  let bytes = Buffer.byteLength(body, 'utf8');
  if (bytes <= MAX_MESSAGE_BYTES) return { body, bytes };
  const shrunk: EnvelopeInput = { ...envelope };
  const steps: Array<() => void> = [
    () => {
      if (!shrunk.pod) return;
      const container = containerFromFieldPath(fieldPath);
      const containers = (shrunk.pod.containers ?? []).filter((c) => c.name === container);
      shrunk.pod = { ...shrunk.pod, containers };
    },
    () => {
      delete shrunk.pullSecrets;
    },
    () => {
      delete shrunk.pod;
      delete shrunk.node;
    },
  ];
  for (const step of steps) {
    step();
    body = JSON.stringify(shrunk);
    bytes = Buffer.byteLength(body, 'utf8');
    if (bytes <= MAX_MESSAGE_BYTES) break;
  }
  return { body, bytes };
}
