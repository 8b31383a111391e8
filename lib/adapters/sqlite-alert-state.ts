import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { errorMessage } from '../errors.ts';
import { type AlertState, AlertStateError, type AlertStateStore } from '../notify/alert-state.ts';

/**
 * Alert state and request nonces for `pullwatch run`: two tables, usually in the same SQLite file as the
 * incidents (its own connection; WAL lets both write). Conditional writes as in DynamoDB.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  doc TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (
  id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

export class SqliteAlertStateStore implements AlertStateStore {
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #nonce: StatementSync;

  constructor(options: { path: string; busyTimeoutMs?: number }) {
    try {
      this.#db = new DatabaseSync(options.path);
      this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 10_000))}`);
      if (options.path !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(SCHEMA);
      this.#select = this.#db.prepare('SELECT version, doc FROM alerts WHERE key = ?');
      this.#insert = this.#db.prepare(
        'INSERT INTO alerts (key, version, expires_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
      );
      this.#update = this.#db.prepare(
        'UPDATE alerts SET version = ?, expires_at = ?, doc = ? WHERE key = ? AND version = ?',
      );
      this.#nonce = this.#db.prepare(
        'INSERT INTO nonces (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at < ?',
      );
    } catch (error) {
      throw translate(error, `opening ${options.path}`);
    }
  }

  async get(key: string): Promise<AlertState | null> {
    const row = this.#run(() => this.#select.get(key), `reading the alert of ${key}`) as
      | { version: number; doc: string }
      | undefined;
    if (!row) return null;
    return { ...(JSON.parse(row.doc) as AlertState), version: Number(row.version) };
  }

  async save(next: AlertState): Promise<boolean> {
    const doc = JSON.stringify(next);
    const result = this.#run(
      () =>
        next.version <= 1
          ? this.#insert.run(next.key, next.version, next.expiresAt, doc)
          : this.#update.run(next.version, next.expiresAt, doc, next.key, next.version - 1),
      `writing the alert of ${next.key}`,
    );
    return Number(result.changes) === 1;
  }

  async claimNonce(id: string, window: { now: number; expiresAt: number }): Promise<boolean> {
    const now = Math.floor(window.now / 1000);
    const result = this.#run(() => this.#nonce.run(id, window.expiresAt, now), 'remembering a request nonce');
    return Number(result.changes) === 1;
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

function translate(error: unknown, what: string): AlertStateError {
  if (error instanceof AlertStateError) return error;
  const errcode = (error as { errcode?: unknown }).errcode;
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer; worth another try.
  const busy = typeof errcode === 'number' && [5, 6].includes(errcode & 0xff);
  return new AlertStateError(
    busy ? 'alert_state_busy' : 'alert_state_failed',
    `alert state: ${what}: ${errorMessage(error)}`,
    {
      cause: error,
      retryable: busy,
    },
  );
}
