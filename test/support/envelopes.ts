import type { EnvelopeInput } from '../../lib/events/envelope.ts';
import type { IngestDependencies, IngestRecord } from '../../lib/incidents/ingest.ts';

/** Forwarder envelopes for ingest tests: one kubelet event about one pod of a Deployment. */
export interface EventSpec {
  uid: string;
  reason: string;
  message: string;
  type?: string;
  count?: number;
  first?: string;
  last: string;
  cluster?: string;
  namespace?: string;
  deployment?: string;
  pod?: string;
  image?: string;
  node?: string;
  kind?: 'event' | 'resolved';
}

export function envelope(spec: EventSpec): EnvelopeInput {
  const namespace = spec.namespace ?? 'shop';
  const deployment = spec.deployment ?? 'api';
  const replicaSet = `${deployment}-7d9f8c6b5`;
  const pod = spec.pod ?? `${replicaSet}-x2k4p`;
  const image = spec.image ?? 'registry.example.com/team/api:v9';
  return {
    v: 1,
    cluster: spec.cluster ?? 'prod',
    forwardedAt: spec.last,
    kind: spec.kind ?? 'event',
    event: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod}.${spec.uid}`, namespace, uid: spec.uid },
      involvedObject: {
        kind: 'Pod',
        name: pod,
        namespace,
        uid: `uid-${pod}`,
        fieldPath: 'spec.containers{app}',
      },
      reason: spec.reason,
      message: spec.message,
      type: spec.type ?? (spec.reason === 'BackOff' || spec.reason === 'Pulled' ? 'Normal' : 'Warning'),
      count: spec.count ?? 1,
      firstTimestamp: spec.first ?? spec.last,
      lastTimestamp: spec.last,
      source: { component: 'kubelet', host: spec.node ?? 'node-a' },
    },
    pod: {
      name: pod,
      namespace,
      nodeName: spec.node ?? 'node-a',
      owner: { kind: 'ReplicaSet', name: replicaSet },
      containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent' }],
    },
  };
}

let records = 0;

/** One SQS record carrying `body` (an envelope, a pack, or any text). */
export function record(body: unknown, receiveCount = 1): IngestRecord {
  records += 1;
  return {
    messageId: `msg-${records}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    receiveCount,
  };
}

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it was told, so tests can check that a bad record is logged with its reason. */
export function recordingLogger(): { lines: LogLine[]; logger: IngestDependencies['logger'] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: unknown, fields: unknown = {}) => {
      lines.push({ level, message: String(message), fields: fields as Record<string, unknown> });
    };
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger: logger as unknown as IngestDependencies['logger'] };
}
