import { errorMessage } from '../errors.ts';
import type { PullSecretInfo } from '../events/envelope.ts';
import { containerFromFieldPath } from '../events/normalize.ts';
import { type Checkpoint, isNewer, type Observation } from './checkpoint.ts';
import type { Enricher, EventContext } from './enrich.ts';
import { buildEnvelope, serializeEnvelope } from './envelope-builder.ts';
import { decide, type EventClass, type FilterSettings } from './filter.ts';
import { isRecord, metaOf, str } from './kube-port.ts';
import type { ForwarderLogger } from './logger.ts';
import type { ForwarderMetrics } from './metrics.ts';
import { namespacedKey } from './projections.ts';
import type { ReflectorHandler } from './reflector.ts';
import type { PullFailureMemory } from './resolutions.ts';
import type { EnvelopeSender } from './sender.ts';

/**
 * What the event cache keeps per event of interest: its identity, class and last observation. Kubernetes
 * folds repeats into the same object (same uid, growing count), so an observation is new when its count
 * grew (or, at equal count, its last timestamp moved); a re-list that finds the same count is not.
 */
export interface EventState extends Observation {
  uid: string;
  eventClass: EventClass;
}

export interface EventPipelineOptions {
  cluster: string;
  filter: FilterSettings;
  enricher: Enricher;
  sender: EnvelopeSender;
  checkpoint: Checkpoint;
  failures: PullFailureMemory;
  now: () => number;
  logger: ForwarderLogger;
  metrics: ForwarderMetrics;
}

function toMs(value: unknown): number | null {
  const text = str(value);
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** count and last-seen time, as normalizeEvent reads them (series first), from a raw core/v1 Event. */
export function observationOf(event: Record<string, unknown>): Observation {
  // Runs once per received event, so no intermediate arrays.
  const series = isRecord(event.series) ? event.series : null;
  let count = 1;
  for (const value of [series?.count, event.count]) {
    if (typeof value === 'number' && Number.isFinite(value) && value > count) count = value;
  }
  let lastSeenMs: number | null = null;
  for (const value of [series?.lastObservedTime, event.lastTimestamp, event.eventTime]) {
    const ms = toMs(value);
    if (ms !== null && (lastSeenMs === null || ms > lastSeenMs)) lastSeenMs = ms;
  }
  if (lastSeenMs === null && isRecord(event.metadata)) lastSeenMs = toMs(event.metadata.creationTimestamp);
  return { count, lastSeenMs };
}

export class EventPipeline implements ReflectorHandler<EventState> {
  readonly #o: EventPipelineOptions;
  #pending = 0;
  #pendingWaiters: Array<() => void> = [];

  constructor(options: EventPipelineOptions) {
    this.#o = options;
  }

  /** Envelopes still waiting for their pull-secret lookups. */
  get pending(): number {
    return this.#pending;
  }

  readonly key = (object: unknown): string | null => {
    const meta = metaOf(object);
    return meta.uid ?? namespacedKey(meta.namespace, meta.name);
  };

  /** Decides interest once per received object; uninteresting events are neither cached nor delivered. */
  readonly project = (object: unknown): EventState | null => {
    if (!isRecord(object)) return null;
    const uid = this.key(object);
    if (uid === null) return null;
    const involved = isRecord(object.involvedObject) ? object.involvedObject : {};
    const decision = decide(
      {
        namespace: metaOf(object).namespace ?? str(involved.namespace),
        type: str(object.type) ?? 'Normal',
        reason: str(object.reason) ?? '',
        message: str(object.message) ?? '',
      },
      this.#o.filter,
    );
    if (!decision.interested) {
      this.#o.metrics.eventsSkipped.inc({ reason: decision.reason });
      return null;
    }
    return { uid, eventClass: decision.eventClass, ...observationOf(object) };
  };

  readonly changed = (previous: EventState, next: EventState): boolean => {
    if (isNewer(next, previous)) return true;
    this.#o.metrics.eventsSkipped.inc({ reason: 'unchanged' });
    return false;
  };

  /** Re-listed events are handled oldest first, so a failure is known before the `Pulled` that resolves it. */
  readonly order = (a: EventState, b: EventState): number => (a.lastSeenMs ?? 0) - (b.lastSeenMs ?? 0);

  upsert(object: unknown, next: EventState, previous: EventState | undefined): void {
    const { checkpoint, failures, metrics } = this.#o;
    // With a cached previous observation the reflector already checked that this one is newer; without
    // one (first list after a start), the checkpoint says whether the queue already has it.
    const acknowledged = previous === undefined ? checkpoint.get(next.uid) : undefined;
    const isNew = acknowledged === undefined || isNewer(next, acknowledged);
    const involved = isRecord(object) && isRecord(object.involvedObject) ? object.involvedObject : {};
    const pod =
      str(involved.kind) === 'Pod'
        ? (str(involved.uid) ?? namespacedKey(str(involved.namespace), str(involved.name)))
        : null;
    const container = containerFromFieldPath(str(involved.fieldPath));
    const now = this.#o.now();

    switch (next.eventClass) {
      case 'pull_failure':
      case 'pull_backoff':
        if (pod !== null) failures.record(pod, container, next.lastSeenMs ?? now);
        break;
      case 'pulled': {
        const resolves = pod !== null && failures.consume(pod, container, now);
        if (isNew && !resolves) {
          metrics.eventsSkipped.inc({ reason: 'pulled_without_failure' });
          return;
        }
        break;
      }
      default:
        break;
    }
    if (!isNew) {
      metrics.eventsSkipped.inc({ reason: 'already_forwarded' });
      return;
    }
    this.#forward(object, next, next.eventClass === 'pulled' ? 'resolved' : 'event', now);
  }

  remove(key: string): void {
    // Gone from the API: it cannot be listed again, so the checkpoint no longer needs it.
    this.#o.checkpoint.forget(key);
  }

  /** Resolves when every pull-secret lookup started so far has produced its envelope. */
  waitPending(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#pendingWaiters.push(resolve));
  }

  #forward(object: unknown, state: EventState, kind: 'event' | 'resolved', receivedAt: number): void {
    const context = this.#o.enricher.context(object);
    const wantsSecrets =
      this.#o.enricher.inspectsPullSecrets &&
      (state.eventClass === 'pull_failure' || state.eventClass === 'pull_backoff') &&
      (context.podInfo?.imagePullSecrets.length ?? 0) > 0;
    if (!wantsSecrets || context.podInfo === null) {
      this.#emit(object, state, kind, receivedAt, context, null);
      return;
    }
    this.#pending += 1;
    this.#o.enricher
      .pullSecrets(context.podInfo)
      .catch((error: unknown) => {
        this.#o.logger.warn('pull-secret inspection failed', { error: errorMessage(error) });
        return null;
      })
      .then((secrets) => this.#emit(object, state, kind, receivedAt, context, secrets))
      .finally(() => {
        this.#pending -= 1;
        if (this.#pending === 0) {
          const waiters = this.#pendingWaiters;
          this.#pendingWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
  }

  #emit(
    object: unknown,
    state: EventState,
    kind: 'event' | 'resolved',
    receivedAt: number,
    context: EventContext,
    pullSecrets: PullSecretInfo[] | null,
  ): void {
    const envelope = buildEnvelope({
      cluster: this.#o.cluster,
      kind,
      event: object,
      forwardedAt: new Date(this.#o.now()).toISOString(),
      pod: context.pod,
      node: context.node,
      pullSecrets,
    });
    const { body, bytes } = serializeEnvelope(envelope);
    this.#o.sender.enqueue({
      body,
      bytes,
      kind,
      receivedAt,
      uid: state.uid,
      observation: { count: state.count, lastSeenMs: state.lastSeenMs },
    });
  }
}
