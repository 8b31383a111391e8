import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { createSqsClient, SqsQueue } from '../../lib/adapters/sqs.ts';

/** Dummy credentials: the emulator checks signatures' presence, not their keys. */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const TEST_REGION = 'us-east-1';

export interface QueueHandle {
  url: string;
  arn: string;
  queue: SqsQueue;
}

export interface FauxqsService {
  endpoint: string;
  region: string;
  sqs: SQSClient;
  sns: SNSClient;
  /** A queue, optionally with a dead-letter queue after `maxReceiveCount` receives. */
  createQueue(
    name: string,
    options?: { visibilityTimeoutSeconds?: number; deadLetter?: { arn: string; maxReceiveCount: number } },
  ): Promise<QueueHandle>;
  createTopic(name: string): Promise<string>;
  subscribeQueue(topicArn: string, queueArn: string, options?: { raw?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the fauxqs SQS/SNS emulator on 127.0.0.1 with a free port. `startFauxqs()` binds 0.0.0.0, so the
 * Fastify app is built and bound here instead.
 */
export async function startFauxqs(): Promise<FauxqsService> {
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const sqs = createSqsClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const sns = new SNSClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });

  return {
    endpoint,
    region: TEST_REGION,
    sqs,
    sns,
    async createQueue(name, options = {}) {
      const attributes: Record<string, string> = {};
      if (options.visibilityTimeoutSeconds !== undefined) {
        attributes.VisibilityTimeout = String(options.visibilityTimeoutSeconds);
      }
      if (options.deadLetter) {
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: options.deadLetter.arn,
          maxReceiveCount: options.deadLetter.maxReceiveCount,
        });
      }
      const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      const url = created.QueueUrl!;
      const described = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      return {
        url,
        arn: described.Attributes!.QueueArn!,
        queue: new SqsQueue({ queueUrl: url, client: sqs }),
      };
    },
    async createTopic(name) {
      const created = await sns.send(new CreateTopicCommand({ Name: name }));
      return created.TopicArn!;
    },
    async subscribeQueue(topicArn, queueArn, options = {}) {
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: options.raw ? { RawMessageDelivery: 'true' } : {},
        }),
      );
    },
    async stop() {
      sqs.destroy();
      sns.destroy();
      await app.close();
    },
  };
}
