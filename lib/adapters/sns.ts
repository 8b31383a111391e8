import {
  type MessageAttributeValue,
  PublishCommand,
  SNSClient,
  type SNSClientConfig,
} from '@aws-sdk/client-sns';
import { DeliveryError, errorChainCode, NOT_SENT_CODES } from '../notify/delivery-error.ts';
import type { SnsPort } from '../notify/port.ts';
import type { SnsMessage } from '../notify/sns-message.ts';
import { clip } from '../notify/text.ts';

/**
 * Amazon SNS Publish for alerts (MessageStructure json, String attributes for filter policies; group and
 * deduplication ids on FIFO topics). The SDK's own retries stay few so a call fits in a Lambda's budget.
 */
export interface SnsAdapterOptions {
  region?: string;
  /** A local emulator's endpoint in tests. */
  endpoint?: string;
  credentials?: SNSClientConfig['credentials'];
  /** Attempts including the first, default 2. */
  maxAttempts?: number;
  /** Per request, default 3,000 ms. */
  timeoutMs?: number;
}

const THROTTLING = new Set(['Throttled', 'ThrottledException', 'Throttling', 'ThrottlingException']);

export function createSnsAdapter(options: SnsAdapterOptions = {}): SnsPort {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const client = new SNSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? 2,
    // Without throwOnRequestTimeout the handler only logs a warning when requestTimeout passes.
    requestHandler: {
      requestTimeout: timeoutMs,
      connectionTimeout: Math.min(timeoutMs, 1_000),
      throwOnRequestTimeout: true,
    },
  });

  return {
    async publish(topicArn, message) {
      const fifo = topicArn.endsWith('.fifo');
      const command = new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        MessageStructure: message.messageStructure,
        MessageAttributes: toAttributes(message.attributes),
        ...(fifo ? { MessageGroupId: message.groupId, MessageDeduplicationId: message.deduplicationId } : {}),
      });
      try {
        const result = await client.send(command);
        if (!result.MessageId) {
          throw new DeliveryError({
            service: 'sns',
            failure: 'rejected',
            operation: 'Publish',
            message: 'answer has no MessageId',
          });
        }
        return { messageId: result.MessageId };
      } catch (err) {
        throw translateSnsError(err);
      }
    },
  };
}

function toAttributes(attributes: SnsMessage['attributes']): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (value) out[name] = { DataType: 'String', StringValue: value };
  }
  return out;
}

export function translateSnsError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const operation = 'Publish';
  const vendor = err as {
    name?: string;
    message?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = vendor.$metadata?.httpStatusCode ?? null;
  const name = vendor.name ?? 'Error';
  const text = clip(`${name}: ${vendor.message ?? ''}`, 300);
  if (THROTTLING.has(name) || status === 429) {
    return new DeliveryError(
      { service: 'sns', failure: 'rate_limited', operation, message: text, detail: name, status },
      { cause: err },
    );
  }
  if (status !== null) {
    const failure = status >= 500 || vendor.$fault === 'server' ? 'server_error' : 'rejected';
    return new DeliveryError(
      { service: 'sns', failure, operation, message: text, detail: name, status },
      { cause: err },
    );
  }
  const chain = errorChainCode(err);
  if (chain.timeout) {
    return new DeliveryError(
      {
        service: 'sns',
        failure: 'timeout',
        operation,
        message: 'no answer in time; SNS may have accepted it',
      },
      { cause: err },
    );
  }
  const notSent = chain.code !== null && NOT_SENT_CODES.has(chain.code);
  return new DeliveryError(
    { service: 'sns', failure: 'network', operation, message: text, ambiguous: !notSent, detail: chain.code },
    { cause: err },
  );
}
