import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { errorMessage } from '../errors.ts';
import { type AlertState, AlertStateError, type AlertStateStore } from '../notify/alert-state.ts';

/**
 * Alert state and Slack request nonces in the incidents table, beside the incident records: items keyed
 * `alert#<incident key>` and `nonce#<id>`. They carry no `active` attribute, so sweep's index never sees
 * them, and `expiresAt` lets the table's TTL remove them with their incident. The state is one JSON string
 * (the diagnosis is free-form), written whole with a condition on `version`.
 */
const ALERT_PREFIX = 'alert#';
const NONCE_PREFIX = 'nonce#';

export class DynamoAlertStateStore implements AlertStateStore {
  readonly #table: string;
  readonly #doc: DynamoDBDocumentClient;

  constructor(options: { tableName: string; client: DynamoDBClient }) {
    this.#table = options.tableName;
    this.#doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async get(key: string): Promise<AlertState | null> {
    try {
      const out = await this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { pk: ALERT_PREFIX + key }, ConsistentRead: true }),
      );
      if (!out.Item) return null;
      return { ...(JSON.parse(String(out.Item.doc)) as AlertState), version: Number(out.Item.version) };
    } catch (error) {
      throw translate(error, `reading the alert of ${key}`);
    }
  }

  async save(next: AlertState): Promise<boolean> {
    const first = next.version <= 1;
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            pk: ALERT_PREFIX + next.key,
            doc: JSON.stringify(next),
            version: next.version,
            expiresAt: next.expiresAt,
          },
          ConditionExpression: first ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(first
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': next.version - 1 },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translate(error, `writing the alert of ${next.key}`);
    }
  }

  async claimNonce(id: string, window: { now: number; expiresAt: number }): Promise<boolean> {
    try {
      // UpdateItem creates the item too, and needs no more permission than the incident writes already use.
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: NONCE_PREFIX + id },
          UpdateExpression: 'SET expiresAt = :expires',
          // TTL deletes lazily: an expired nonce still in the table does not count.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':expires': window.expiresAt, ':now': Math.floor(window.now / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translate(error, 'remembering a request nonce');
    }
  }

  async close(): Promise<void> {}
}

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

function translate(error: unknown, what: string): AlertStateError {
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  const fault = (error as { $fault?: string } | null)?.$fault;
  const retryable =
    fault === 'server' ||
    /Throttl|LimitExceeded|ProvisionedThroughput|TimeoutError|ECONNREFUSED|ECONNRESET/.test(
      `${name} ${errorMessage(error)}`,
    );
  return new AlertStateError(
    retryable ? 'alert_state_unavailable' : 'alert_state_failed',
    `alert state: ${what}: ${name}: ${errorMessage(error)}`,
    { cause: error, retryable },
  );
}
