import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsAdapter } from '../../lib/adapters/sns.ts';
import { DeliveryError } from '../../lib/notify/delivery-error.ts';
import type { SnsPort } from '../../lib/notify/port.ts';
import { buildSnsMessage } from '../../lib/notify/sns-message.ts';
import type { ReceivedMessage } from '../../lib/queue/port.ts';
import { type FauxqsService, type QueueHandle, startFauxqs, TEST_CREDENTIALS } from '../support/fauxqs.ts';
import {
  NOW,
  registryIncident,
  tagDiagnosis,
  tlsDiagnosis,
  workloadIncident,
} from '../unit/notify-fixtures.ts';

/**
 * SNS through the SQS/SNS emulator, read back from subscribed queues. fauxqs delivers a
 * `MessageStructure: json` body as it was published (real SNS hands each protocol its own member, `sqs` for
 * a queue), so the assertions read our document from the structure's `sqs` member.
 */
let service: FauxqsService;
let sns: SnsPort;
let topicArn: string;
let envelopeQueue: QueueHandle;
let rawQueue: QueueHandle;
let criticalShopQueue: QueueHandle;

async function receiveAll(handle: QueueHandle, expected: number): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  for (let attempt = 0; attempt < 10 && received.length < expected; attempt += 1) {
    received.push(...(await handle.queue.receive({ maxMessages: 10, waitSeconds: 1 })));
  }
  if (received.length > 0) await handle.queue.delete(received.map((m) => m.receiptHandle));
  return received;
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  throw new Error('expected a DeliveryError');
}

beforeAll(async () => {
  service = await startFauxqs();
  sns = createSnsAdapter({
    endpoint: service.endpoint,
    region: service.region,
    credentials: TEST_CREDENTIALS,
  });
  topicArn = await service.createTopic('pullwatch-alerts');
  envelopeQueue = await service.createQueue('alerts-envelope');
  rawQueue = await service.createQueue('alerts-raw');
  criticalShopQueue = await service.createQueue('alerts-critical-shop');
  await service.subscribeQueue(topicArn, envelopeQueue.arn);
  await service.subscribeQueue(topicArn, rawQueue.arn, { raw: true });
  await service.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: criticalShopQueue.arn,
      Attributes: {
        RawMessageDelivery: 'true',
        FilterPolicy: JSON.stringify({ severity: ['critical'], namespace: ['shop'], state: ['open'] }),
      },
    }),
  );
});

afterAll(async () => {
  await service?.stop();
});

describe('SNS adapter through the emulator', () => {
  it('delivers subject, readable body, JSON document and attributes to an SQS subscription', async () => {
    const message = buildSnsMessage(workloadIncident(), tagDiagnosis(), { now: NOW });
    const published = await sns.publish(topicArn, message);
    expect(published.messageId).toMatch(/\S/);

    const [envelope] = await receiveAll(envelopeQueue, 1);
    const notification = JSON.parse(envelope?.body ?? '{}');
    expect(notification).toMatchObject({
      Type: 'Notification',
      TopicArn: topicArn,
      MessageId: published.messageId,
    });
    expect(notification.Subject).toBe('[CRITICAL] prod-eu shop/checkout-api: Image tag not found');
    expect(notification.Message).toBe(message.message);
    const structure = JSON.parse(notification.Message);
    expect(structure.default).toContain('Image tag not found: shop/checkout-api in cluster prod-eu');
    expect(structure.default).toContain('kubectl -n shop set image deployment/checkout-api');
    const document = JSON.parse(structure.sqs);
    expect(document).toMatchObject({
      schema: 'pullwatch.alert/v1',
      severity: 'critical',
      incident: { key: 'wl_5f0c9e1a7b2d4c33', state: 'open', namespace: 'shop', count: 37 },
      diagnosis: { suggestions: ['v8', 'v9-rc1', 'v8.1'] },
    });
    expect(notification.MessageAttributes).toEqual({
      cluster: { Type: 'String', Value: 'prod-eu' },
      namespace: { Type: 'String', Value: 'shop' },
      kind: { Type: 'String', Value: 'workload' },
      state: { Type: 'String', Value: 'open' },
      severity: { Type: 'String', Value: 'critical' },
      cause: { Type: 'String', Value: 'tag_not_found' },
      category: { Type: 'String', Value: 'availability' },
      registry: { Type: 'String', Value: 'registry.example.com' },
    });

    const [raw] = await receiveAll(rawQueue, 1);
    expect(raw?.body).toBe(message.message);
    expect(raw?.attributes).toEqual(message.attributes);
    const [filtered] = await receiveAll(criticalShopQueue, 1);
    expect(filtered?.attributes.cause).toBe('tag_not_found');
  });

  it('lets filter policies on the attributes pick alerts', async () => {
    const warning = buildSnsMessage(workloadIncident({ cause: 'timeout', category: 'network' }), null, {
      now: NOW,
    });
    const otherNamespace = buildSnsMessage(workloadIncident({ namespace: 'search' }), null, { now: NOW });
    const resolved = buildSnsMessage(workloadIncident({ state: 'resolved' }), null, { now: NOW });
    const registry = buildSnsMessage(registryIncident(4), tlsDiagnosis(), { now: NOW });
    const wanted = buildSnsMessage(workloadIncident({ key: 'wanted' }), null, { now: NOW });
    for (const message of [warning, otherNamespace, resolved, registry, wanted])
      await sns.publish(topicArn, message);

    const raw = await receiveAll(rawQueue, 5);
    expect(raw).toHaveLength(5);
    const registryRaw = raw.find((m) => m.attributes.kind === 'registry');
    expect(registryRaw?.attributes.namespace).toBeUndefined();
    const filtered = await receiveAll(criticalShopQueue, 1);
    expect(filtered.map((m) => JSON.parse(JSON.parse(m.body).sqs).incident.key)).toEqual(['wanted']);
    await receiveAll(envelopeQueue, 5);
  });

  it('sets the group and deduplication ids a FIFO topic requires', async () => {
    const created = await service.sns.send(
      new CreateTopicCommand({ Name: 'pullwatch-alerts.fifo', Attributes: { FifoTopic: 'true' } }),
    );
    const message = buildSnsMessage(workloadIncident(), null, { now: NOW });
    const published = await sns.publish(created.TopicArn!, message);
    expect(published.messageId).toMatch(/\S/);
  });

  it('reports a missing topic as rejected, final', async () => {
    const missing = topicArn.replace('pullwatch-alerts', 'no-such-topic');
    const error = await failure(
      sns.publish(missing, buildSnsMessage(workloadIncident(), null, { now: NOW })),
    );
    expect(error).toMatchObject({ code: 'sns_rejected', retryable: false, detail: 'NotFoundException' });
  });

  it('reports an unreachable endpoint as a network error that was not sent', async () => {
    const down = createSnsAdapter({
      endpoint: 'http://127.0.0.1:9',
      region: service.region,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    const error = await failure(
      down.publish(topicArn, buildSnsMessage(workloadIncident(), null, { now: NOW })),
    );
    expect(error).toMatchObject({
      code: 'sns_network',
      retryable: true,
      ambiguous: false,
      detail: 'ECONNREFUSED',
    });
  });
});
