import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../errors.ts';
import type { ForwarderLogger } from './logger.ts';

/**
 * What the queue has acknowledged, per event uid: the observation (count, last seen) last delivered. A
 * restarted container re-lists every event of the last hour; with the checkpoint it forwards only what is
 * newer than what was acknowledged, so a crash neither duplicates old events nor loses unacknowledged ones
 * (they are not in the checkpoint, so they go again). Without a path it is a no-op and a restart forwards
 * the whole list again — safe, because ingest folds repeats by (uid, count).
 *
 * The file lives on an emptyDir (the root filesystem is read-only): it survives container restarts, not
 * pod rescheduling.
 */
export interface Observation {
  count: number;
  lastSeenMs: number | null;
}

export function isNewer(next: Observation, previous: Observation): boolean {
  if (next.count !== previous.count) return next.count > previous.count;
  return (next.lastSeenMs ?? 0) > (previous.lastSeenMs ?? 0);
}

const FORMAT_VERSION = 1;
/**
 * Events live an hour by default (kube-apiserver --event-ttl); an entry older than a day belongs to an event
 * deleted while the forwarder was down, which no list will ever show again.
 */
const MAX_AGE_MS = 24 * 3600_000;

export class Checkpoint {
  readonly path: string | null;
  readonly #entries = new Map<string, Observation>();
  readonly #maxEntries: number;
  readonly #logger: ForwarderLogger;
  #dirty = false;

  readonly #now: () => number;

  constructor(options: {
    path: string | null;
    logger: ForwarderLogger;
    maxEntries?: number;
    now?: () => number;
  }) {
    this.path = options.path;
    this.#logger = options.logger;
    this.#maxEntries = options.maxEntries ?? 200_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Reads the file if there is one; a missing or unreadable file starts empty (at-least-once, logged). */
  load(): void {
    if (this.path === null) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn('checkpoint unreadable; starting without it', {
          path: this.path,
          error: errorMessage(error),
        });
      }
      return;
    }
    try {
      const data = JSON.parse(text) as { v?: unknown; entries?: unknown };
      if (data.v !== FORMAT_VERSION || !Array.isArray(data.entries))
        throw new Error('unknown checkpoint format');
      for (const entry of data.entries) {
        if (!Array.isArray(entry)) continue;
        const [uid, count, lastSeenMs] = entry as [unknown, unknown, unknown];
        if (typeof uid !== 'string' || typeof count !== 'number') continue;
        const seen = typeof lastSeenMs === 'number' ? lastSeenMs : null;
        if (seen !== null && this.#now() - seen > MAX_AGE_MS) continue;
        this.#entries.set(uid, { count, lastSeenMs: seen });
      }
      this.#logger.info('checkpoint loaded', { path: this.path, entries: this.#entries.size });
    } catch (error) {
      this.#logger.warn('checkpoint corrupt; starting without it', {
        path: this.path,
        error: errorMessage(error),
      });
      this.#entries.clear();
    }
  }

  get(uid: string): Observation | undefined {
    return this.#entries.get(uid);
  }

  acknowledged(uid: string, observation: Observation): void {
    if (this.path === null) return;
    const previous = this.#entries.get(uid);
    if (previous && !isNewer(observation, previous)) return;
    this.#entries.delete(uid);
    this.#entries.set(uid, observation);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#dirty = true;
  }

  /** The event is gone from the API (deleted or expired): it can never be listed again. */
  forget(uid: string): void {
    if (this.#entries.delete(uid)) this.#dirty = true;
  }

  /** Writes atomically (temp file + rename) when something changed. */
  save(): void {
    if (this.path === null || !this.#dirty) return;
    const entries = [...this.#entries].map(([uid, o]) => [uid, o.count, o.lastSeenMs]);
    const temp = `${this.path}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(temp, JSON.stringify({ v: FORMAT_VERSION, entries }));
      renameSync(temp, this.path);
      this.#dirty = false;
    } catch (error) {
      this.#logger.warn('checkpoint not saved', { path: this.path, error: errorMessage(error) });
    }
  }
}
