import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { PullwatchError } from '../errors.ts';
import { groupIntoBatches } from '../queue/batches.ts';
import type {
  OutgoingMessage,
  QueueReceiver,
  QueueSender,
  ReceivedMessage,
  SendFailure,
  SendResult,
} from '../queue/port.ts';

export class QueueError extends PullwatchError {
  override readonly name: string = 'QueueError';
}

export interface SqsConnection {
  region?: string;
  /** Only for emulators and VPC endpoints; unset in AWS. */
  endpoint?: string;
  credentials?: SQSClientConfig['credentials'];
  /** SDK-level attempts per call; senders with their own retry loop keep this low. */
  maxAttempts?: number;
}

/**
 * `tuning` is for processes that ship their own pinned SDK (the forwarder image: see sqs-json-codec.ts). The
 * Lambdas use the runtime's SDK, whose version is not ours to pin, so they stay on its defaults.
 */
export function createSqsClient(
  connection: SqsConnection = {},
  tuning: Partial<SQSClientConfig> = {},
): SQSClient {
  return new SQSClient({
    ...tuning,
    // Resolve each command's middleware stack once, not on every send (no caller adds per-call middleware).
    cacheMiddleware: true,
    ...(connection.region ? { region: connection.region } : {}),
    ...(connection.endpoint
      ? // Emulator queue URLs carry a host that does not resolve (sqs.<region>.localhost): never follow them.
        { endpoint: connection.endpoint, useQueueUrlAsEndpoint: false }
      : {}),
    ...(connection.credentials ? { credentials: connection.credentials } : {}),
    ...(connection.maxAttempts ? { maxAttempts: connection.maxAttempts } : {}),
  });
}

/** Error names SQS uses for "slow down" and transient trouble; anything else from the sender side is final. */
const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'KmsThrottled',
  'RequestTimeout',
  'TimeoutError',
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether a whole-call failure is worth retrying: throttling, server faults and the network are. */
export function isRetryableSqsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $fault?: string; $retryable?: unknown; cause?: unknown };
  if (e.$retryable) return true;
  if (e.$fault === 'server') return true;
  if (e.name && RETRYABLE_CODES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'AbortError') return false;
  return e.cause !== undefined && e.cause !== error ? isRetryableSqsError(e.cause) : false;
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { name?: string; code?: string };
    return e.code ?? e.name ?? 'Error';
  }
  return 'Error';
}

/**
 * One SQS queue through the queue port. Sends are grouped into SendMessageBatch calls by entry count and
 * bytes, and every entry's outcome is reported, so callers retry exactly the entries that failed.
 */
export class SqsQueue implements QueueSender, QueueReceiver {
  readonly queueUrl: string;
  readonly #client: SQSClient;
  readonly #concurrency: number;

  constructor(options: { queueUrl: string; client: SQSClient; concurrency?: number }) {
    this.queueUrl = options.queueUrl;
    this.#client = options.client;
    this.#concurrency = options.concurrency ?? 4;
  }

  async send(messages: readonly OutgoingMessage[]): Promise<SendResult> {
    const { batches, oversized } = groupIntoBatches(messages);
    const result: SendResult = { sent: [], failed: [...oversized] };
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const outcome = await this.#sendBatch(batch);
        result.sent.push(...outcome.sent);
        result.failed.push(...outcome.failed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, batches.length) }, worker));
    return result;
  }

  async #sendBatch(batch: OutgoingMessage[]): Promise<SendResult> {
    // Entry ids are positional: callers' ids need not satisfy SQS's id grammar or be unique per batch.
    const entries: SendMessageBatchRequestEntry[] = batch.map((message, index) => ({
      Id: `m${index}`,
      MessageBody: message.body,
      ...(message.attributes && Object.keys(message.attributes).length > 0
        ? {
            MessageAttributes: Object.fromEntries(
              Object.entries(message.attributes).map(([key, value]) => [
                key,
                { DataType: 'String', StringValue: value },
              ]),
            ),
          }
        : {}),
      ...(message.groupId ? { MessageGroupId: message.groupId } : {}),
      ...(message.deduplicationId ? { MessageDeduplicationId: message.deduplicationId } : {}),
    }));
    try {
      const response = await this.#client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      const idOf = (entryId: string | undefined) => batch[Number(entryId?.slice(1))]?.id ?? String(entryId);
      const failed: SendFailure[] = (response.Failed ?? []).map((failure) => ({
        id: idOf(failure.Id),
        code: failure.Code ?? 'Unknown',
        message: failure.Message ?? 'entry failed',
        // SenderFault means the entry itself is wrong; only the service's own faults are worth a retry.
        retryable: !failure.SenderFault || RETRYABLE_CODES.has(failure.Code ?? ''),
      }));
      return { sent: (response.Successful ?? []).map((success) => idOf(success.Id)), failed };
    } catch (error) {
      const retryable = isRetryableSqsError(error);
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      return { sent: [], failed: batch.map((m) => ({ id: m.id, code, message, retryable })) };
    }
  }

  async receive(options: { maxMessages?: number; waitSeconds?: number } = {}): Promise<ReceivedMessage[]> {
    try {
      const response = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, options.maxMessages ?? 10)),
          WaitTimeSeconds: options.waitSeconds ?? 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
      return (response.Messages ?? []).map((message) => ({
        messageId: message.MessageId ?? '',
        body: message.Body ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([key, value]) => [
            key,
            value.StringValue ?? '',
          ]),
        ),
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
      }));
    } catch (error) {
      throw new QueueError(
        'queue_receive_failed',
        `receiving from ${this.queueUrl} failed: ${errorCode(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async delete(receiptHandles: readonly string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += 10) {
      const chunk = receiptHandles.slice(start, start + 10);
      const response = await this.#client
        .send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((handle, index) => ({ Id: `d${index}`, ReceiptHandle: handle })),
          }),
        )
        .catch((error: unknown) => {
          throw new QueueError(
            'queue_delete_failed',
            `deleting from ${this.queueUrl} failed: ${errorCode(error)}`,
            {
              cause: error,
            },
          );
        });
      if (response.Failed && response.Failed.length > 0) {
        const codes = response.Failed.map((failure) => failure.Code).join(', ');
        throw new QueueError('queue_delete_failed', `${response.Failed.length} deletes failed: ${codes}`);
      }
    }
  }

  /** Makes a received message visible again after `seconds` (0 = now), e.g. to honour a Retry-After. */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
        }),
      );
    } catch (error) {
      throw new QueueError('queue_visibility_failed', `changing visibility failed: ${errorCode(error)}`, {
        cause: error,
      });
    }
  }
}
