import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { errorMessage } from '../errors.ts';
import {
  type ActivePage,
  IncidentStoreError,
  needsSweep,
  VersionedIncidentStore,
  type VersionedStoreOptions,
} from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';

/**
 * The embedded IncidentStore of `pullwatch run` and `pullwatch replay`: one SQLite file, one row per incident
 * (the record as JSON beside the columns the store queries). Writers in other connections, threads or
 * processes are safe: every write is a single conditional statement (`WHERE version = ?`, or an insert that
 * does nothing when the key exists), and WAL + a busy timeout let them queue instead of failing.
 */
export interface SqliteStoreOptions extends VersionedStoreOptions {
  /** File path, or `:memory:` (one connection only). */
  path: string;
  /** How long a writer waits for another's lock before failing with `store_busy`. */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  sweep INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incidents_sweep ON incidents (sweep, key);
`;

export class SqliteIncidentStore extends VersionedIncidentStore {
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #active: StatementSync;
  readonly #purge: StatementSync;

  constructor(options: SqliteStoreOptions) {
    super(options);
    try {
      this.#db = new DatabaseSync(options.path);
      this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 10_000))}`);
      if (options.path !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
      // The record is rebuilt from events after a crash anyway (at-least-once input): durability of the last
      // few transactions is worth less than not syncing on every write.
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#db.exec(SCHEMA);
      this.#select = this.#db.prepare('SELECT doc FROM incidents WHERE key = ?');
      this.#insert = this.#db.prepare(
        'INSERT INTO incidents (key, version, sweep, expires_at, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
      );
      this.#update = this.#db.prepare(
        'UPDATE incidents SET version = ?, sweep = ?, expires_at = ?, doc = ? WHERE key = ? AND version = ?',
      );
      this.#active = this.#db.prepare(
        'SELECT doc FROM incidents WHERE sweep = 1 AND key > ? ORDER BY key LIMIT ?',
      );
      this.#purge = this.#db.prepare('DELETE FROM incidents WHERE expires_at < ?');
    } catch (error) {
      throw translate(error, `opening ${options.path}`);
    }
  }

  protected async load(key: string): Promise<IncidentRecord | null> {
    const row = this.#run(() => this.#select.get(key), `reading ${key}`) as { doc: string } | undefined;
    if (!row) return null;
    try {
      return JSON.parse(row.doc) as IncidentRecord;
    } catch (cause) {
      throw new IncidentStoreError('store_corrupt', `incident ${key}: stored record is not valid JSON`, {
        cause,
      });
    }
  }

  protected async save(next: IncidentRecord, previous: IncidentRecord | null): Promise<boolean> {
    const doc = JSON.stringify(next);
    const sweep = needsSweep(next) ? 1 : 0;
    const result = this.#run(
      () =>
        previous === null
          ? this.#insert.run(next.key, next.version, sweep, next.expiresAt, doc)
          : this.#update.run(next.version, sweep, next.expiresAt, doc, next.key, previous.version),
      `writing ${next.key}`,
    );
    return Number(result.changes) === 1;
  }

  async listActive(page: { limit?: number; cursor?: string | null } = {}): Promise<ActivePage> {
    const limit = Math.max(1, Math.min(page.limit ?? 100, 1000));
    const rows = this.#run(
      () => this.#active.all(page.cursor ?? '', limit + 1),
      'listing active incidents',
    ) as Array<{
      doc: string;
    }>;
    const incidents = rows.slice(0, limit).map((row) => JSON.parse(row.doc) as IncidentRecord);
    const last = incidents.at(-1);
    return { incidents, cursor: rows.length > limit && last ? last.key : null };
  }

  /** Deletes records past their retention (what DynamoDB's TTL does on its own). */
  purgeExpired(nowMs: number): number {
    const result = this.#run(() => this.#purge.run(Math.floor(nowMs / 1000)), 'purging expired incidents');
    return Number(result.changes);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  #run<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (error) {
      throw translate(error, what);
    }
  }
}

/** SQLite result codes (sqlite3.h): the primary code is the low byte of the extended one. */
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

function translate(error: unknown, what: string): IncidentStoreError {
  if (error instanceof IncidentStoreError) return error;
  const errcode = (error as { errcode?: unknown }).errcode;
  const primary = typeof errcode === 'number' ? errcode & 0xff : -1;
  const detail = `${what}: ${errorMessage(error)}`;
  if (primary === SQLITE_BUSY || primary === SQLITE_LOCKED) {
    return new IncidentStoreError('store_busy', `incident store busy ${detail}`, {
      cause: error,
      retryable: true,
    });
  }
  if (primary === SQLITE_FULL) {
    return new IncidentStoreError('store_full', `incident store full ${detail}`, { cause: error });
  }
  if (primary === SQLITE_CANTOPEN) {
    return new IncidentStoreError('store_unavailable', `cannot open incident store ${detail}`, {
      cause: error,
    });
  }
  return new IncidentStoreError('store_failed', `incident store failed ${detail}`, { cause: error });
}
