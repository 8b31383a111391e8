import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The forwarder's Prometheus metrics (served on /metrics). Every label value comes from a fixed set of
 * reasons in the code, never from event data, so cardinality stays bounded.
 */
export interface ForwarderMetrics {
  eventsSeen: Counter<'origin'>;
  eventsSkipped: Counter<'reason'>;
  eventsEnqueued: Counter<'kind'>;
  eventsForwarded: Counter<'kind'>;
  eventsDropped: Counter<'reason'>;
  batchEntries: Histogram;
  envelopesPerMessage: Histogram;
  sendDuration: Histogram<'outcome'>;
  sendFailures: Counter<'code' | 'retryable'>;
  ackDelay: Histogram;
  bufferEvents: Gauge;
  bufferBytes: Gauge;
  /** The buffer gauges are read from the sender when scraped, not updated per envelope. */
  observeBuffer(source: () => { events: number; bytes: number }): void;
  watchRestarts: Counter<'resource' | 'reason'>;
  watchBookmarks: Counter<'resource'>;
  relists: Counter<'resource' | 'reason'>;
  cacheObjects: Gauge<'resource'>;
  synced: Gauge<'resource'>;
  pullSecretLookups: Counter<'result'>;
}

export function createForwarderMetrics(registry: Registry): ForwarderMetrics {
  const registers = [registry];
  const prefix = 'pullwatch_forwarder_';
  let buffer: () => { events: number; bytes: number } = () => ({ events: 0, bytes: 0 });
  return {
    observeBuffer(source) {
      buffer = source;
    },
    eventsSeen: new Counter({
      name: `${prefix}events_seen_total`,
      help: 'Event objects received from the API (list items and watch ADDED/MODIFIED).',
      labelNames: ['origin'],
      registers,
    }),
    eventsSkipped: new Counter({
      name: `${prefix}events_skipped_total`,
      help: 'Events not forwarded on purpose (filtered out or already forwarded), by reason.',
      labelNames: ['reason'],
      registers,
    }),
    eventsEnqueued: new Counter({
      name: `${prefix}events_enqueued_total`,
      help: 'Envelopes accepted into the send buffer, by envelope kind.',
      labelNames: ['kind'],
      registers,
    }),
    eventsForwarded: new Counter({
      name: `${prefix}events_forwarded_total`,
      help: 'Envelopes acknowledged by the queue, by envelope kind.',
      labelNames: ['kind'],
      registers,
    }),
    eventsDropped: new Counter({
      name: `${prefix}events_dropped_total`,
      help: 'Envelopes lost: buffer full (count or bytes), rejected by the queue, too large, or left at shutdown.',
      labelNames: ['reason'],
      registers,
    }),
    batchEntries: new Histogram({
      name: `${prefix}batch_entries`,
      help: 'Entries per SendMessageBatch call.',
      buckets: [1, 2, 3, 5, 8, 10],
      registers,
    }),
    envelopesPerMessage: new Histogram({
      name: `${prefix}envelopes_per_message`,
      help: 'Envelopes per queue message (1 unless packing is on).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200],
      registers,
    }),
    sendDuration: new Histogram({
      name: `${prefix}send_duration_seconds`,
      help: 'Latency of one SendMessageBatch call.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    sendFailures: new Counter({
      name: `${prefix}send_failures_total`,
      help: 'Failed queue entries (before retry), by error code and whether they are retried.',
      labelNames: ['code', 'retryable'],
      registers,
    }),
    ackDelay: new Histogram({
      name: `${prefix}enqueue_to_ack_seconds`,
      help: 'Time from an event reaching the forwarder to its acknowledgement by the queue.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    bufferEvents: new Gauge({
      name: `${prefix}buffer_events`,
      help: 'Envelopes buffered or in flight.',
      registers,
      collect() {
        this.set(buffer().events);
      },
    }),
    bufferBytes: new Gauge({
      name: `${prefix}buffer_bytes`,
      help: 'Bytes of envelopes buffered or in flight.',
      registers,
      collect() {
        this.set(buffer().bytes);
      },
    }),
    watchRestarts: new Counter({
      name: `${prefix}watch_restarts_total`,
      help: 'Watches restarted, by resource and reason (ended, silent, gone, error).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    watchBookmarks: new Counter({
      name: `${prefix}watch_bookmarks_total`,
      help: 'BOOKMARK events received.',
      labelNames: ['resource'],
      registers,
    }),
    relists: new Counter({
      name: `${prefix}relists_total`,
      help: 'Full lists, by resource and reason (initial, gone, error).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    cacheObjects: new Gauge({
      name: `${prefix}cache_objects`,
      help: 'Objects held in each informer cache.',
      labelNames: ['resource'],
      registers,
    }),
    synced: new Gauge({
      name: `${prefix}synced`,
      help: '1 once the resource has been listed and is being watched.',
      labelNames: ['resource'],
      registers,
    }),
    pullSecretLookups: new Counter({
      name: `${prefix}pull_secret_lookups_total`,
      help: 'Pull-secret reads from the API (cache misses), by result.',
      labelNames: ['result'],
      registers,
    }),
  };
}
