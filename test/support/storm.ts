import type { EnvelopeInput } from '../../lib/events/envelope.ts';

/**
 * Synthetic kubelet event streams shaped like the real thing (DESIGN.md §2): per failing pod, the Warning
 * `Failed` with the runtime's text, `Error: ErrImagePull`, the Normal `BackOff`, and `Error:
 * ImagePullBackOff`, each one Event object whose `count` grows and whose lastTimestamp moves as kubelet
 * repeats it. Used by the ingest tests, the replay test and the bench.
 */
export interface StormOptions {
  events: number;
  pods: number;
  cluster?: string;
  namespace?: string;
  deployment?: string;
  image?: string;
  /** ISO start; events are spread evenly over `spanSeconds`. */
  start?: string;
  spanSeconds?: number;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function suffix(n: number, length: number): string {
  let out = '';
  let v = n + 7919;
  for (let i = 0; i < length; i += 1) {
    out += SAFE[v % SAFE.length];
    v = Math.floor(v / SAFE.length) + 31 * (i + 1);
  }
  return out;
}

export function notFoundMessage(image: string): string {
  const ref = image.includes('/') ? image : `docker.io/library/${image}`;
  return `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

export function tlsMessage(image: string, host: string): string {
  return `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to do request: Head "https://${host}/v2/team/api/manifests/v2": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-01T10:00:00Z is after 2026-10-01T00:00:00Z`;
}

type Kind = 'failed' | 'errpull' | 'backoff' | 'errbackoff';
const CYCLE: Kind[] = ['failed', 'errpull', 'backoff', 'errbackoff'];

export interface StormEvent {
  event: Record<string, unknown>;
  pod: string;
  replicaSet: string;
}

export function* stormEvents(options: StormOptions): Generator<StormEvent> {
  const namespace = options.namespace ?? 'shop';
  const deployment = options.deployment ?? 'api';
  const image = options.image ?? 'registry.example.com/team/api:v9-typo';
  const start = Date.parse(options.start ?? '2026-11-01T10:00:00Z');
  const span = (options.spanSeconds ?? 7200) * 1000;
  const replicaSet = `${deployment}-${suffix(options.pods, 9)}`;
  const state = new Map<string, { count: number; first: string }>();
  for (let i = 0; i < options.events; i += 1) {
    const p = i % options.pods;
    const round = Math.floor(i / options.pods);
    const kind = CYCLE[round % CYCLE.length]!;
    const pod = `${replicaSet}-${suffix(p, 5)}`;
    const uid = `${pod}-${kind}`;
    const now = new Date(start + Math.floor((i * span) / options.events / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z');
    const known = state.get(uid) ?? { count: 0, first: now };
    known.count += 1;
    state.set(uid, known);
    const text = {
      failed: { type: 'Warning', reason: 'Failed', message: notFoundMessage(image) },
      errpull: { type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
      backoff: { type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${image}"` },
      errbackoff: { type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
    }[kind];
    yield {
      pod,
      replicaSet,
      event: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${pod}.${uid.length.toString(16)}${kind}`,
          namespace,
          uid,
          resourceVersion: String(i + 1),
        },
        involvedObject: {
          kind: 'Pod',
          name: pod,
          namespace,
          uid: `uid-${pod}`,
          fieldPath: 'spec.containers{app}',
        },
        ...text,
        count: known.count,
        firstTimestamp: known.first,
        lastTimestamp: now,
        source: { component: 'kubelet', host: `node-${p % 7}` },
      },
    };
  }
}

/** The same storm as forwarder envelopes (with the pod context the forwarder adds). */
export function* stormEnvelopes(options: StormOptions): Generator<EnvelopeInput> {
  const image = options.image ?? 'registry.example.com/team/api:v9-typo';
  for (const { event, pod, replicaSet } of stormEvents(options)) {
    yield {
      v: 1,
      cluster: options.cluster ?? 'prod',
      forwardedAt: String(event.lastTimestamp),
      kind: 'event',
      event: event as EnvelopeInput['event'],
      pod: {
        name: pod,
        namespace: options.namespace ?? 'shop',
        nodeName: (event.source as { host: string }).host,
        owner: { kind: 'ReplicaSet', name: replicaSet },
        containers: [{ name: 'app', image, imagePullPolicy: 'IfNotPresent' }],
      },
    };
  }
}
