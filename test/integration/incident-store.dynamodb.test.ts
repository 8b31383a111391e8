import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
} from '../../lib/adapters/dynamodb-store.ts';
import { IncidentStoreError } from '../../lib/incidents/store.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';
import { incidentStoreContract } from './incident-store-contract.ts';

let dynalite: Dynalite;
let tables = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});

const connection = () => ({
  endpoint: dynalite.endpoint,
  region: dynalite.region,
  credentials: dynalite.credentials,
});

incidentStoreContract('DynamoDB (dynalite)', () => ({
  async fresh() {
    tables += 1;
    const tableName = `incidents-${tables}`;
    const admin = createDynamoClient(connection());
    await createIncidentTable(admin, tableName);
    admin.destroy();
    return { open: (policy) => new DynamoIncidentStore({ tableName, connection: connection(), policy }) };
  },
}));

describe('DynamoDB incident store: vendor errors in the project terms', () => {
  it('reports a missing table as store_table_missing, not an SDK exception', async () => {
    const store = new DynamoIncidentStore({ tableName: 'no-such-table', connection: connection() });
    const error = await store.observe(workloadFailure({ at: t(0) }), ms(0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncidentStoreError);
    expect(error).toMatchObject({ code: 'store_table_missing', retryable: false });
    await store.close();
  });

  it('reports an unreachable endpoint as a retryable store_unavailable', async () => {
    const store = new DynamoIncidentStore({
      tableName: 'incidents',
      connection: { ...connection(), endpoint: 'http://127.0.0.1:9', maxAttempts: 1 },
    });
    const error = await store.get('w-x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'store_unavailable', retryable: true });
    await store.close();
  });
});
