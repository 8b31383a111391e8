import { createInterface } from 'node:readline';
import { readReplayLine } from '../cli/replay.ts';
import type { Envelope } from '../events/envelope.ts';
import { normalizeEvent } from '../events/normalize.ts';
import { timeOf } from '../incidents/observation.ts';

/**
 * A recorded event stream as the in-process queue would have received it live: envelopes in file order,
 * grouped into the batches a forwarder would have sent (events within `windowMs` of the batch's first one),
 * each with the clock to judge it by — the latest event time so far, so the story unfolds at its own pace
 * (update intervals, "failing for 12 min") without the replay sleeping through it. Lines are read with
 * `pullwatch replay`'s reader: envelopes, packs, or bare Kubernetes Events.
 */
export interface ReplayBatch {
  /** Clock for this batch: the latest event time seen so far (ms). */
  at: number;
  /** Queue message bodies, one envelope each. */
  bodies: string[];
}

export interface ReplayCounts {
  lines: number;
  events: number;
  invalid: number;
  /** Outside the --namespace selection. */
  skipped: number;
  /** First and last event time (ms), NaN when no event had one. */
  first: number;
  last: number;
}

export interface ReplayFeedOptions {
  /** A forwarder sends what arrives within its linger time together; default 1 s of event time. */
  windowMs?: number;
  maxBatch?: number;
  /** Only these namespaces (empty: all). */
  namespaces?: readonly string[];
  /** A line (or pack entry) that is not a valid envelope or event: reported, skipped, never fatal. */
  onProblem?: (problem: { line: number; entry: number | null; message: string }) => void;
  signal?: AbortSignal;
  /** Wall-clock quiet time after which a partial batch is handed over anyway; default 200 ms. */
  idleMs?: number;
}

export async function* replayBatches(
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  counts: ReplayCounts,
  options: ReplayFeedOptions = {},
): AsyncGenerator<ReplayBatch> {
  const windowMs = options.windowMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 100;
  const namespaces = new Set(options.namespaces ?? []);
  let clock = Number.NEGATIVE_INFINITY;
  let batch: string[] = [];
  let batchStart = Number.NaN;
  const lines = createInterface({
    input: input as NodeJS.ReadableStream,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const flush = (): ReplayBatch => {
    const out = { at: Number.isFinite(clock) ? clock : 0, bodies: batch };
    batch = [];
    batchStart = Number.NaN;
    return out;
  };
  // A live pipe that goes quiet (`kubectl get events -A -w -o json | jq -c . | pullwatch run --replay -`)
  // must not hold the last events back until the next line: after `idleMs` without input, the batch goes.
  const idleMs = options.idleMs ?? 200;
  const iterator = lines[Symbol.asyncIterator]();
  // Ctrl-C while a pipe is silent must end the wait, not only the next line.
  const aborted = new Promise<'aborted'>((resolve) => {
    if (options.signal?.aborted) resolve('aborted');
    options.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  let pending = iterator.next();
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waits: Array<Promise<IteratorResult<string> | 'idle' | 'aborted'>> = [pending, aborted];
    if (batch.length > 0) {
      waits.push(
        new Promise<'idle'>((resolve) => {
          timer = setTimeout(() => resolve('idle'), idleMs);
        }),
      );
    }
    const got = await Promise.race(waits);
    clearTimeout(timer);
    if (got === 'aborted') break;
    if (got === 'idle') {
      yield flush();
      continue;
    }
    if (got.done) break;
    pending = iterator.next();
    const text = got.value;
    counts.lines += 1;
    if (text.trim() === '') continue;
    const results = readReplayLine(text, clock);
    for (const result of results) {
      if (!result.ok) {
        counts.invalid += 1;
        options.onProblem?.({
          line: counts.lines,
          entry: results.length > 1 ? result.index : null,
          message: result.error.message,
        });
        continue;
      }
      const envelope = result.envelope;
      const event = normalizeEvent(envelope.event);
      if (
        namespaces.size > 0 &&
        !namespaces.has(namespaceOf(envelope, event.involved.namespace ?? event.namespace))
      ) {
        counts.skipped += 1;
        continue;
      }
      counts.events += 1;
      const when = timeOf(event.lastSeen ?? envelope.forwardedAt);
      const next = Number.isFinite(when) ? Math.max(clock, when) : clock;
      const at = Number.isFinite(next) ? next : 0;
      // The batch so far is judged by its own latest event, not by the one that ends it.
      if (batch.length > 0 && (batch.length >= maxBatch || at - batchStart >= windowMs)) yield flush();
      clock = next;
      if (Number.isFinite(when)) {
        if (!Number.isFinite(counts.first) || when < counts.first) counts.first = when;
        if (!Number.isFinite(counts.last) || when > counts.last) counts.last = when;
      }
      if (batch.length === 0) batchStart = at;
      batch.push(JSON.stringify(envelope));
    }
  }
  if (batch.length > 0) yield flush();
}

export function emptyCounts(): ReplayCounts {
  return { lines: 0, events: 0, invalid: 0, skipped: 0, first: Number.NaN, last: Number.NaN };
}

function namespaceOf(envelope: Envelope, eventNamespace: string | null): string {
  return eventNamespace ?? envelope.pod?.namespace ?? '';
}
