import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAlertStateStore } from '../../lib/adapters/dynamodb-alert-state.ts';
import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
} from '../../lib/adapters/dynamodb-store.ts';
import { SqliteAlertStateStore } from '../../lib/adapters/sqlite-alert-state.ts';
import {
  AlertStateError,
  type AlertStateStore,
  emptyAlertState,
  withMessage,
} from '../../lib/notify/alert-state.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';
import { tagDiagnosis } from '../unit/notify-fixtures.ts';

/** The alert-state store (diagnosis, Slack messages, delivery journal, request nonces) on both backends. */
let dynalite: Dynalite;
const dir = mkdtempSync(join(tmpdir(), 'pullwatch-alerts-'));

beforeAll(async () => {
  dynalite = await startDynalite();
  const admin = createDynamoClient(connection());
  await createIncidentTable(admin, 'incidents');
  admin.destroy();
});
afterAll(async () => {
  await dynalite?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const connection = () => ({
  endpoint: dynalite.endpoint,
  region: dynalite.region,
  credentials: dynalite.credentials,
});

const backends: Array<[string, () => AlertStateStore]> = [
  [
    'DynamoDB (dynalite)',
    () => new DynamoAlertStateStore({ tableName: 'incidents', client: createDynamoClient(connection()) }),
  ],
  ['SQLite', () => new SqliteAlertStateStore({ path: join(dir, 'alerts.db') })],
];

describe.each(backends)('alert state on %s', (_name, open) => {
  it('stores the state whole, diagnosis included, and refuses a write based on an old version', async () => {
    const store = open();
    const key = `k-${Math.random()}`;
    expect(await store.get(key)).toBeNull();
    const first = {
      ...withMessage(emptyAlertState(key), t(0), { channel: 'C1', ts: '1.000001' }),
      diagnosis: tagDiagnosis(),
      diagnosedFor: 'x',
      version: 1,
      expiresAt: 2_000_000_000,
    };
    expect(await store.save(first)).toBe(true);
    expect(await store.save(first)).toBe(false);
    expect(await store.get(key)).toEqual(first);
    const second = { ...withMessage(first, t(0), { channel: 'C2', ts: '1.000002' }), version: 2 };
    const racing = { ...first, done: ['other'], version: 2 };
    expect(await store.save(second)).toBe(true);
    expect(await store.save(racing)).toBe(false);
    expect((await store.get(key))?.messages.map((m) => m.channel)).toEqual(['C1', 'C2']);
    await store.close();
  });

  it('lets a nonce through once until it expires', async () => {
    const store = open();
    const id = `sig-${Math.random()}`;
    const now = Date.parse('2026-11-01T12:00:00Z');
    const expiresAt = now / 1000 + 660;
    expect(await store.claimNonce(id, { now, expiresAt })).toBe(true);
    expect(await store.claimNonce(id, { now: now + 1_000, expiresAt })).toBe(false);
    expect(await store.claimNonce(id, { now: (expiresAt + 1) * 1000, expiresAt: expiresAt + 700 })).toBe(
      true,
    );
    await store.close();
  });
});

describe('alert state beside the incidents in DynamoDB', () => {
  it('never shows up in sweep’s listing of active incidents', async () => {
    const client = createDynamoClient(connection());
    const incidents = new DynamoIncidentStore({ tableName: 'incidents', client });
    const alerts = new DynamoAlertStateStore({ tableName: 'incidents', client });
    const obs = workloadFailure({ at: t(0) });
    await incidents.observe(obs, ms(0));
    await alerts.save({ ...emptyAlertState(obs.key), version: 1, expiresAt: 2_000_000_000 });
    await alerts.claimNonce('n1', { now: ms(0), expiresAt: 2_000_000_000 });
    const page = await incidents.listActive();
    expect(page.incidents.map((i) => i.key)).toEqual([obs.key]);
    expect(await incidents.get(obs.key)).not.toBeNull();
  });

  it('reports a missing table as an alert_state_failed error naming what it was doing', async () => {
    const alerts = new DynamoAlertStateStore({ tableName: 'nope', client: createDynamoClient(connection()) });
    await expect(alerts.get('k')).rejects.toThrow(AlertStateError);
    await expect(alerts.get('k')).rejects.toThrow(/reading the alert of k/);
  });
});
