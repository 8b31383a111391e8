import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  type DynamoDBClientConfig,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
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
 * The IncidentStore on DynamoDB: one table, one item per incident, keyed by `pk` (the incident key).
 *
 * - Every write is conditional on the item's `version` (or on its absence when created), so concurrent
 *   Lambdas never lose each other's updates; the loser re-reads and decides again (incidents/store.ts).
 * - Updates send only the attributes that changed, with `ADD` for the counters (`count`, `version`).
 * - `expiresAt` (epoch seconds) is the TTL attribute; TTL is switched on by the CloudFormation resource,
 *   never at run time.
 * - Sweep's listing reads a sparse GSI: `active` exists only on records that are unresolved or still owe a
 *   notice, and the index projects keys only, so it is written when a record enters or leaves that set — not
 *   on every repeat of a storm.
 */
export const ACTIVE_INDEX = 'active';
export const TTL_ATTRIBUTE = 'expiresAt';
const ACTIVE_VALUE = 'y';

/** The table as CloudFormation (and the tests) create it. */
export function incidentTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'active', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: ACTIVE_INDEX,
        KeySchema: [
          { AttributeName: 'active', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

export interface DynamoConnection {
  region?: string;
  /** Only for dynalite and VPC endpoints; unset in AWS. */
  endpoint?: string;
  credentials?: DynamoDBClientConfig['credentials'];
  maxAttempts?: number;
}

export function createDynamoClient(connection: DynamoConnection = {}): DynamoDBClient {
  return new DynamoDBClient({
    ...(connection.region ? { region: connection.region } : {}),
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    ...(connection.maxAttempts ? { maxAttempts: connection.maxAttempts } : {}),
  });
}

/** Creates the table (tests, local stacks); in AWS the table comes from CloudFormation. */
export async function createIncidentTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(incidentTableDefinition(tableName)));
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
  } catch (error) {
    throw translate(error, `creating table ${tableName}`);
  }
}

export interface DynamoStoreOptions extends VersionedStoreOptions {
  tableName: string;
  /** A client to share (one per Lambda container); otherwise one is made from `connection`. */
  client?: DynamoDBClient;
  connection?: DynamoConnection;
}

type Item = Record<string, unknown>;

export class DynamoIncidentStore extends VersionedIncidentStore {
  readonly #table: string;
  readonly #client: DynamoDBClient;
  readonly #doc: DynamoDBDocumentClient;
  readonly #ownsClient: boolean;

  constructor(options: DynamoStoreOptions) {
    super(options);
    this.#table = options.tableName;
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? createDynamoClient(options.connection);
    this.#doc = DynamoDBDocumentClient.from(this.#client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  protected async load(key: string): Promise<IncidentRecord | null> {
    try {
      const out = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { pk: key }, ConsistentRead: true }),
      );
      return out.Item ? fromItem(out.Item) : null;
    } catch (error) {
      throw translate(error, `reading ${key}`);
    }
  }

  protected async save(next: IncidentRecord, previous: IncidentRecord | null): Promise<boolean> {
    try {
      if (previous === null) {
        await this.#doc.send(
          new PutCommand({
            TableName: this.#table,
            Item: toItem(next),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } else {
        await this.#doc.send(new UpdateCommand({ TableName: this.#table, ...updateFor(next, previous) }));
      }
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translate(error, `writing ${next.key}`);
    }
  }

  async listActive(page: { limit?: number; cursor?: string | null } = {}): Promise<ActivePage> {
    const limit = Math.max(1, Math.min(page.limit ?? 100, 1000));
    try {
      const query = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: '#active = :y',
          ExpressionAttributeNames: { '#active': 'active' },
          ExpressionAttributeValues: { ':y': ACTIVE_VALUE },
          Limit: limit,
          ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor) } : {}),
        }),
      );
      const keys = (query.Items ?? []).map((item) => String(item.pk));
      const fetched = await this.#getMany(keys);
      // The index is eventually consistent; the consistent read of each item has the last word.
      const incidents = keys.flatMap((key) => {
        const incident = fetched.get(key);
        return incident && needsSweep(incident) ? [incident] : [];
      });
      return { incidents, cursor: query.LastEvaluatedKey ? encodeCursor(query.LastEvaluatedKey) : null };
    } catch (error) {
      throw translate(error, 'listing active incidents');
    }
  }

  async #getMany(keys: readonly string[]): Promise<Map<string, IncidentRecord>> {
    const found = new Map<string, IncidentRecord>();
    for (let i = 0; i < keys.length; i += 100) {
      let request: Record<string, { Keys: Item[]; ConsistentRead: boolean }> | undefined = {
        [this.#table]: { Keys: keys.slice(i, i + 100).map((pk) => ({ pk })), ConsistentRead: true },
      };
      for (let round = 0; request && Object.keys(request).length > 0; round += 1) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** round)));
        const out = await this.#doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.#table] ?? []) {
          const incident = fromItem(item);
          found.set(incident.key, incident);
        }
        request = out.UnprocessedKeys as typeof request;
        if (round > 8 && request && Object.keys(request).length > 0) {
          throw new IncidentStoreError('store_throttled', 'batch read kept returning unprocessed keys', {
            retryable: true,
          });
        }
      }
    }
    return found;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }
}

/**
 * DynamoDB's billed size of an item (its documented rules: attribute name bytes plus value bytes; numbers about
 * one byte per two digits plus one; 3 bytes per list or map plus 1 per element; 1 byte for null and
 * booleans). Writes cost one unit per started KiB of the larger of the old and new item.
 */
export function itemSize(incident: IncidentRecord): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(toItem(incident)))
    bytes += Buffer.byteLength(name) + valueSize(value);
  return bytes;
}

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number')
    return Math.ceil(String(Math.abs(value)).replace(/^0+|\./g, '').length / 2) + 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') {
    return (
      3 + Object.entries(value).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0)
    );
  }
  return Buffer.byteLength(String(value));
}

function toItem(incident: IncidentRecord): Item {
  const { key, ...rest } = incident;
  return { pk: key, ...rest, ...(needsSweep(incident) ? { active: ACTIVE_VALUE } : {}) };
}

function fromItem(item: Item): IncidentRecord {
  const { pk, active: _active, ...rest } = item;
  return { key: String(pk), ...rest } as unknown as IncidentRecord;
}

/** Attributes the update never SETs: the key, and the counters it ADDs. */
const NOT_SET = new Set(['key', 'count', 'version']);

/**
 * An UpdateItem that changes only what differs from `previous`, guarded by `previous.version`. `count` and
 * `version` are ADDed (the guard makes ADD exact; it also keeps the counters' meaning in the expression).
 */
function updateFor(next: IncidentRecord, previous: IncidentRecord) {
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':expected': previous.version, ':one': 1 };
  const sets: string[] = [];
  const adds: string[] = ['#version :one'];
  const removes: string[] = [];
  let i = 0;
  for (const [field, value] of Object.entries(next)) {
    if (NOT_SET.has(field)) continue;
    const before = (previous as unknown as Record<string, unknown>)[field];
    if (JSON.stringify(before) === JSON.stringify(value)) continue;
    i += 1;
    names[`#f${i}`] = field;
    values[`:v${i}`] = value;
    sets.push(`#f${i} = :v${i}`);
  }
  const countDelta = next.count - previous.count;
  if (countDelta !== 0) {
    names['#count'] = 'count';
    values[':count'] = countDelta;
    adds.push('#count :count');
  }
  const wasActive = needsSweep(previous);
  const isActiveNow = needsSweep(next);
  if (wasActive !== isActiveNow) {
    names['#active'] = 'active';
    if (isActiveNow) {
      values[':active'] = ACTIVE_VALUE;
      sets.push('#active = :active');
    } else {
      removes.push('#active');
    }
  }
  const clauses = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    `ADD ${adds.join(', ')}`,
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ].filter(Boolean);
  return {
    Key: { pk: next.key },
    UpdateExpression: clauses.join(' '),
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new IncidentStoreError('store_invalid_cursor', 'listActive cursor is not one this store returned');
}

function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as { name?: string; code?: string };
  return e.name ?? e.code ?? '';
}

function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

const THROTTLED = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
]);

/** DynamoDB and network errors in the project's terms, with whether a retry can help. */
function translate(error: unknown, what: string): IncidentStoreError {
  if (error instanceof IncidentStoreError) return error;
  const name = errorName(error);
  const code = (error as { code?: string })?.code ?? '';
  const detail = `${what}: ${name ? `${name}: ` : ''}${errorMessage(error)}`;
  if (name === 'ResourceNotFoundException') {
    return new IncidentStoreError('store_table_missing', `incident table missing while ${detail}`, {
      cause: error,
    });
  }
  if (THROTTLED.has(name)) {
    return new IncidentStoreError('store_throttled', `incident store throttled while ${detail}`, {
      cause: error,
      retryable: true,
    });
  }
  if (name === 'ValidationException' && /item size|size has exceeded/i.test(errorMessage(error))) {
    return new IncidentStoreError('store_item_too_large', `incident record too large while ${detail}`, {
      cause: error,
    });
  }
  if (name === 'ValidationException' || name === 'SerializationException') {
    return new IncidentStoreError('store_invalid_request', `invalid store request while ${detail}`, {
      cause: error,
    });
  }
  const fault = (error as { $fault?: string })?.$fault;
  if (fault === 'server' || NETWORK.has(name) || NETWORK.has(code) || hasNetworkCause(error)) {
    return new IncidentStoreError('store_unavailable', `incident store unavailable while ${detail}`, {
      cause: error,
      retryable: true,
    });
  }
  return new IncidentStoreError('store_failed', `incident store failed while ${detail}`, { cause: error });
}

function hasNetworkCause(error: unknown, depth = 0): boolean {
  if (depth > 3 || typeof error !== 'object' || error === null) return false;
  const e = error as { code?: string; cause?: unknown };
  if (e.code && NETWORK.has(e.code)) return true;
  return hasNetworkCause(e.cause, depth + 1);
}
