import { parentPort, workerData } from 'node:worker_threads';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { ms, t, workloadFailure } from './incident-fixtures.ts';

/**
 * One writer of the SQLite concurrency test: its own thread, its own connection to the shared file, and
 * several observations in flight at once, as a separate process would have.
 */
const { path, worker, perWorker } = workerData as { path: string; worker: number; perWorker: number };
const store = new SqliteIncidentStore({ path });
const results = await Promise.all(
  Array.from({ length: perWorker }, (_, i) =>
    store.observe(workloadFailure({ at: t(0), events: [[`w${worker}-e${i}`, 1]] }), ms(0)),
  ),
);
await store.close();
parentPort?.postMessage(results.map((r) => r.decision.action));
