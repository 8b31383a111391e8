import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { IncidentStoreError } from '../../lib/incidents/store.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';
import { incidentStoreContract } from './incident-store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'pullwatch-sqlite-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

incidentStoreContract('SQLite (node:sqlite)', () => ({
  async fresh() {
    files += 1;
    const path = join(dir, `incidents-${files}.db`);
    return { open: (policy) => new SqliteIncidentStore({ path, policy }) };
  },
}));

describe('SQLite incident store', () => {
  it('purges records past their retention, as DynamoDB TTL would', async () => {
    const store = new SqliteIncidentStore({ path: join(dir, 'purge.db') });
    const obs = workloadFailure({ at: t(0) });
    const { incident } = await store.observe(obs, ms(0));
    expect(store.purgeExpired(incident!.expiresAt * 1000 - 1000)).toBe(0);
    expect(await store.get(obs.key)).not.toBeNull();
    expect(store.purgeExpired(incident!.expiresAt * 1000 + 1000)).toBe(1);
    expect(await store.get(obs.key)).toBeNull();
    await store.close();
  });

  it('reports a file it cannot open as store_unavailable', () => {
    expect(() => new SqliteIncidentStore({ path: join(dir, 'missing-dir', 'x.db') })).toThrow(
      IncidentStoreError,
    );
    try {
      new SqliteIncidentStore({ path: join(dir, 'missing-dir', 'x.db') });
    } catch (error) {
      expect(error).toMatchObject({ code: 'store_unavailable' });
    }
  });
});

describe('SQLite incident store across threads', () => {
  it('gives exactly one open to 8 threads × 25 concurrent first observations on one file', async () => {
    const { Worker } = await import('node:worker_threads');
    const path = join(dir, 'threads.db');
    // Create the schema once up front so the threads race on the row, not on CREATE TABLE.
    await new SqliteIncidentStore({ path }).close();
    const actions = (
      await Promise.all(
        Array.from(
          { length: 8 },
          (_, worker) =>
            new Promise<string[]>((resolve, reject) => {
              const w = new Worker(new URL('../support/sqlite-observer-worker.ts', import.meta.url), {
                workerData: { path, worker, perWorker: 25 },
              });
              w.once('message', resolve);
              w.once('error', reject);
            }),
        ),
      )
    ).flat();
    expect(actions).toHaveLength(200);
    expect(actions.filter((a) => a === 'open')).toHaveLength(1);
    const store = new SqliteIncidentStore({ path });
    const stored = await store.get(workloadFailure({ at: t(0) }).key);
    expect(stored).toMatchObject({ count: 200, seq: 1, version: 200 });
    await store.close();
  }, 120_000);
});
