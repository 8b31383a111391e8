import { errorMessage } from '../errors.ts';
import { type BackoffPolicy, backoffDelay, sleep } from '../runtime/backoff.ts';
import type { KubeApi, WatchHandle } from './kube-port.ts';
import { isRecord, KubeApiError, kubeErrorCode, metaOf } from './kube-port.ts';
import type { ForwarderLogger } from './logger.ts';
import type { ForwarderMetrics } from './metrics.ts';

/**
 * List + watch of one resource path into a cache of small projections, like client-go's reflector:
 * resumes every watch from the last resourceVersion it saw (object or BOOKMARK), re-lists on 410 Gone
 * (HTTP status or an ERROR line inside a 200 stream) and tells the handler only what changed against the
 * cache, restarts silent and ended watches, and backs off with jitter on errors — forever, because the
 * client's own informer gives up for good on the first non-410 error.
 */
export interface ReflectorHandler<T> {
  /** An object is new to the cache, or differs from what the cache held (`changed`). */
  upsert(object: unknown, next: T, previous: T | undefined, origin: 'list' | 'watch'): void;
  /** An object left the cache (DELETED, vanished from a re-list, or no longer of interest). */
  remove(key: string, previous: T): void;
}

export interface ReflectorOptions<T> {
  /** Metric label and log field: events, pods, nodes, … */
  resource: string;
  path: string;
  kube: KubeApi;
  key(object: unknown): string | null;
  /** What the cache keeps of an object; null = not of interest (not cached, not delivered). */
  project(object: unknown): T | null;
  /** Whether `next` is worth delivering given the cached `previous`; default: always. */
  changed?(previous: T, next: T): boolean;
  /** Delivery order of what one list found changed (e.g. oldest first). */
  order?(a: T, b: T): number;
  handler?: ReflectorHandler<T>;
  /** Count received objects in events_seen_total (the event reflectors). */
  countSeen?: boolean;
  pageSize: number;
  silenceMs: number;
  timeoutSeconds: number;
  retry: BackoffPolicy;
  random: () => number;
  now: () => number;
  logger: ForwarderLogger;
  metrics: ForwarderMetrics;
}

type Outcome =
  | { kind: 'ended' | 'silent' | 'gone' | 'stopped'; delivered: number; lastedMs: number }
  | { kind: 'error'; error: KubeApiError; delivered: number; lastedMs: number };

/** A watch that delivered nothing and ended this fast counts as a failure, so it cannot spin. */
const UNPRODUCTIVE_MS = 1000;

export class Reflector<T> {
  readonly resource: string;
  readonly #options: ReflectorOptions<T>;
  #store = new Map<string, T>();
  #resourceVersion: string | null = null;
  #stopped = false;
  readonly #stop = new AbortController();
  #endWatch: (() => void) | null = null;
  #synced = false;
  #resolveSynced!: () => void;
  readonly firstSync: Promise<void>;
  #loop: Promise<void> | null = null;

  constructor(options: ReflectorOptions<T>) {
    this.#options = options;
    this.resource = options.resource;
    this.firstSync = new Promise((resolve) => {
      this.#resolveSynced = resolve;
    });
  }

  get synced(): boolean {
    return this.#synced;
  }

  get size(): number {
    return this.#store.size;
  }

  /** The last resourceVersion seen (list, object or bookmark); null before the first list. */
  get resourceVersion(): string | null {
    return this.#resourceVersion;
  }

  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort(new Error('reflector stopped'));
    this.#endWatch?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { resource, logger, metrics } = this.#options;
    let attempt = 0;
    let listReason = 'initial';
    while (!this.#stopped) {
      try {
        if (this.#resourceVersion === null) {
          metrics.relists.inc({ resource, reason: listReason });
          this.#resourceVersion = await this.#relist();
          if (this.#stopped) break;
          this.#markSynced();
        }
        const outcome = await this.#watchOnce(this.#resourceVersion);
        if (outcome.kind === 'stopped' || this.#stopped) break;
        metrics.watchRestarts.inc({ resource, reason: outcome.kind });
        if (outcome.kind === 'error') throw outcome.error;
        const log = { resource, reason: outcome.kind, resourceVersion: this.#resourceVersion };
        if (outcome.kind === 'gone') {
          logger.info('resourceVersion expired; re-listing', log);
          this.#resourceVersion = null;
          listReason = 'gone';
        } else if (outcome.kind === 'silent') {
          logger.warn('watch went silent; restarting it', log);
        } else {
          logger.debug('watch ended; resuming', log);
        }
        if (outcome.delivered === 0 && outcome.lastedMs < UNPRODUCTIVE_MS && outcome.kind !== 'silent') {
          attempt += 1;
          await sleep(backoffDelay(attempt, this.#options.retry, this.#options.random), this.#stop.signal);
        } else {
          attempt = 0;
        }
      } catch (error) {
        if (this.#stopped) break;
        attempt += 1;
        const status = error instanceof KubeApiError ? error.status : null;
        const phase = this.#resourceVersion === null ? 'list' : 'watch';
        if (phase === 'list') listReason = 'error';
        if (error instanceof KubeApiError && error.code === 'kube_internal') {
          // Our own bug while applying a line: the cache may be off, so rebuild it from a fresh list.
          this.#resourceVersion = null;
          listReason = 'error';
        }
        const delayMs = backoffDelay(attempt, this.#options.retry, this.#options.random);
        const log = {
          resource,
          phase,
          status,
          code: error instanceof KubeApiError ? error.code : 'internal',
          error: errorMessage(error),
          attempt,
          retryInMs: delayMs,
        };
        if (status === 401 || status === 403) {
          logger.error('access denied by the API server; check the ClusterRole binding', log);
        } else {
          logger.warn(`${phase} failed; retrying`, log);
        }
        try {
          await sleep(delayMs, this.#stop.signal);
        } catch {
          break;
        }
      }
    }
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    this.#options.metrics.synced.set({ resource: this.resource }, 1);
    this.#resolveSynced();
    this.#options.logger.info('cache synced', { resource: this.resource, objects: this.#store.size });
  }

  /**
   * Reads the whole list (paged) before touching the cache, so a list that fails half-way changes nothing
   * and loses nothing: the next attempt compares against the same cache again.
   */
  async #relist(): Promise<string> {
    const { kube, path, pageSize, handler } = this.#options;
    const fresh = new Map<string, T>();
    const changes: Array<{ object: unknown; next: T; previous: T | undefined }> = [];
    let listResourceVersion: string | null = null;
    let continueToken: string | undefined;
    do {
      const page = await kube.list(path, { limit: pageSize, continueToken, signal: this.#stop.signal });
      listResourceVersion ??= page.resourceVersion;
      for (const object of page.items) {
        if (this.#options.countSeen) this.#options.metrics.eventsSeen.inc({ origin: 'list' });
        const key = this.#options.key(object);
        if (key === null) continue;
        const next = this.#options.project(object);
        if (next === null) continue;
        fresh.set(key, next);
        const previous = this.#store.get(key);
        if (previous === undefined || this.#isChanged(previous, next)) {
          changes.push({ object, next, previous });
        }
      }
      continueToken = page.continueToken ?? undefined;
    } while (continueToken !== undefined && !this.#stopped);
    if (this.#stopped) return listResourceVersion;

    const old = this.#store;
    this.#store = fresh;
    this.#options.metrics.cacheObjects.set({ resource: this.resource }, fresh.size);
    if (handler) {
      for (const [key, previous] of old) {
        if (!fresh.has(key)) this.#deliverRemove(key, previous);
      }
      const order = this.#options.order;
      if (order) changes.sort((a, b) => order(a.next, b.next));
      for (const change of changes) {
        this.#deliverUpsert(change.object, change.next, change.previous, 'list');
      }
    }
    return listResourceVersion;
  }

  #isChanged(previous: T, next: T): boolean {
    return this.#options.changed ? this.#options.changed(previous, next) : true;
  }

  #deliverUpsert(object: unknown, next: T, previous: T | undefined, origin: 'list' | 'watch'): void {
    try {
      this.#options.handler?.upsert(object, next, previous, origin);
    } catch (error) {
      this.#options.logger.error('event handler failed', {
        resource: this.resource,
        error: errorMessage(error),
      });
    }
  }

  #deliverRemove(key: string, previous: T): void {
    try {
      this.#options.handler?.remove(key, previous);
    } catch (error) {
      this.#options.logger.error('remove handler failed', {
        resource: this.resource,
        error: errorMessage(error),
      });
    }
  }

  /** Applies one ADDED/MODIFIED/DELETED object to the cache and tells the handler what changed. */
  #apply(type: string, object: unknown): void {
    const key = this.#options.key(object);
    if (key === null) return;
    const previous = this.#store.get(key);
    if (type === 'DELETED') {
      if (previous !== undefined) {
        this.#store.delete(key);
        this.#deliverRemove(key, previous);
      }
      return;
    }
    if (this.#options.countSeen) this.#options.metrics.eventsSeen.inc({ origin: 'watch' });
    const next = this.#options.project(object);
    if (next === null) {
      if (previous !== undefined) {
        this.#store.delete(key);
        this.#deliverRemove(key, previous);
      }
      return;
    }
    this.#store.set(key, next);
    if (previous === undefined || this.#isChanged(previous, next)) {
      this.#deliverUpsert(object, next, previous, 'watch');
    }
  }

  #watchOnce(resourceVersion: string): Promise<Outcome> {
    const { kube, path, silenceMs, metrics, resource } = this.#options;
    const started = this.#options.now();
    // Spread reconnects of many forwarders, as client-go does (timeout between 1× and 2× the setting).
    const timeoutSeconds = Math.floor(this.#options.timeoutSeconds * (1 + this.#options.random()));
    return new Promise<Outcome>((resolve) => {
      let finished = false;
      let delivered = 0;
      let handle: WatchHandle | undefined;
      let silence: ReturnType<typeof setTimeout> | undefined;
      const finish = (outcome: { kind: Outcome['kind']; error?: KubeApiError }) => {
        if (finished) return;
        finished = true;
        clearTimeout(silence);
        this.#endWatch = null;
        handle?.abort();
        this.#options.metrics.cacheObjects.set({ resource }, this.#store.size);
        const lastedMs = this.#options.now() - started;
        if (outcome.kind === 'error' && outcome.error) {
          resolve({ kind: 'error', error: outcome.error, delivered, lastedMs });
        } else {
          resolve({ kind: outcome.kind as Exclude<Outcome['kind'], 'error'>, delivered, lastedMs });
        }
      };
      const arm = () => {
        clearTimeout(silence);
        silence = setTimeout(() => finish({ kind: 'silent' }), silenceMs);
        silence.unref?.();
      };
      this.#endWatch = () => finish({ kind: 'stopped' });
      arm();
      const onEvent = (type: string, object: unknown) => {
        if (finished) return;
        arm();
        const meta = metaOf(object);
        switch (type) {
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED':
            this.#apply(type, object);
            delivered += 1;
            break;
          case 'BOOKMARK':
            metrics.watchBookmarks.inc({ resource });
            break;
          case 'ERROR': {
            const status = isRecord(object) && typeof object.code === 'number' ? object.code : null;
            if (status === 410) return finish({ kind: 'gone' });
            const message = isRecord(object) && typeof object.message === 'string' ? object.message : '';
            return finish({
              kind: 'error',
              error: new KubeApiError(kubeErrorCode(status), `watch ERROR ${status ?? '?'}: ${message}`, {
                status,
              }),
            });
          }
          default:
            return;
        }
        // Resume point: only after the object has been applied, so a restart never skips it.
        if (meta.resourceVersion !== null) this.#resourceVersion = meta.resourceVersion;
      };
      handle = kube.watch(
        path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          // Our own silence timer fires first; the client's inactivity timer is the backstop.
          inactivityMs: silenceMs + 5000,
        },
        (type, object) => {
          try {
            onEvent(type, object);
          } catch (error) {
            // The client swallows exceptions thrown by this callback; surface them and rebuild.
            finish({
              kind: 'error',
              error: new KubeApiError(
                'kube_internal',
                `handling a watch line failed: ${errorMessage(error)}`,
                {
                  cause: error,
                },
              ),
            });
          }
        },
        (error) => {
          if (error === null) finish({ kind: 'ended' });
          else if (error.status === 410) finish({ kind: 'gone' });
          else finish({ kind: 'error', error });
        },
      );
      if (finished) handle.abort();
    });
  }
}
