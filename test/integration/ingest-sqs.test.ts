import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
} from '../../lib/adapters/dynamodb-store.ts';
import { SqsQueue } from '../../lib/adapters/sqs.ts';
import { workloadKey } from '../../lib/incidents/fingerprint.ts';
import { ingestBatch } from '../../lib/incidents/ingest.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import type { ReceivedMessage } from '../../lib/queue/port.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { envelope, recordingLogger } from '../support/envelopes.ts';
import { type FauxqsService, type QueueHandle, startFauxqs, TEST_CREDENTIALS } from '../support/fauxqs.ts';
import { notFoundMessage } from '../support/storm.ts';

/**
 * The ingest Lambda as deployed: the handler module built from environment variables, invoked with SQS
 * events made of messages really received from the emulator, writing to dynalite and sending notices to a
 * real queue that the test reads back.
 */
const IMAGE = 'registry.example.com/team/api:v9';
const KEY = workloadKey({
  cluster: 'prod',
  namespace: 'shop',
  workload: { kind: 'Deployment', name: 'api' },
  image: IMAGE,
});

let fauxqs: FauxqsService;
let dynalite: Dynalite;
let events: QueueHandle;
let notices: QueueHandle;
let dlq: QueueHandle;
let handler: (
  event: SQSEvent,
  context: Context,
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
const saved = { ...process.env };
// Powertools writes logs and EMF metrics through the console in dev mode: keep them off the test output but
// readable by the test.
const consoleSpies = {
  log: vi.spyOn(console, 'log').mockImplementation(() => {}),
  info: vi.spyOn(console, 'info').mockImplementation(() => {}),
  warn: vi.spyOn(console, 'warn').mockImplementation(() => {}),
  error: vi.spyOn(console, 'error').mockImplementation(() => {}),
};

beforeAll(async () => {
  [fauxqs, dynalite] = await Promise.all([startFauxqs(), startDynalite()]);
  dlq = await fauxqs.createQueue('events-dlq');
  events = await fauxqs.createQueue('events', {
    visibilityTimeoutSeconds: 1,
    deadLetter: { arn: dlq.arn, maxReceiveCount: 5 },
  });
  notices = await fauxqs.createQueue('notices');
  const admin = createDynamoClient({
    endpoint: dynalite.endpoint,
    region: dynalite.region,
    credentials: dynalite.credentials,
  });
  await createIncidentTable(admin, 'incidents');
  admin.destroy();
  Object.assign(process.env, {
    INCIDENTS_TABLE: 'incidents',
    NOTICES_QUEUE_URL: notices.url,
    EVENTS_DLQ_URL: dlq.url,
    DYNAMODB_ENDPOINT: dynalite.endpoint,
    SQS_ENDPOINT: fauxqs.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    // Powertools writes through the global console in dev mode, where the test can read it.
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_METRICS_NAMESPACE: 'pullwatch-test',
    POWERTOOLS_METRICS_DISABLED: 'false',
  });
  ({ handler } = await import('../../functions/ingest.ts'));
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.env = saved;
  await Promise.all([fauxqs?.stop(), dynalite?.stop()]);
});

const context = {
  functionName: 'ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ingest',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/ingest',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
} as Context;

async function receiveAll(queue: SqsQueue, expected: number): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for (let round = 0; round < 20 && out.length < expected; round += 1) {
    out.push(...(await queue.receive({ maxMessages: 10, waitSeconds: 1 })));
  }
  return out;
}

function sqsEvent(messages: ReceivedMessage[]): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(Date.now()),
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: events.arn,
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

const failedEvent = (uid: string, deployment = 'api') =>
  envelope({
    uid,
    reason: 'Failed',
    message: notFoundMessage(IMAGE),
    last: new Date().toISOString(),
    deployment,
  });

describe('ingest Lambda on SQS (fauxqs) and DynamoDB (dynalite)', () => {
  it('reports only the bad message as a batch item failure, parks a bad packed envelope, and notifies once', async () => {
    for (const spy of Object.values(consoleSpies)) spy.mockClear();
    await events.queue.send([
      { id: 'good', body: JSON.stringify(failedEvent('e1')) },
      {
        id: 'pack',
        body: JSON.stringify({ v: 1, pack: [failedEvent('e2', 'web'), { v: 1, kind: 'event' }] }),
      },
      { id: 'junk', body: 'definitely not json' },
    ]);
    const received = await receiveAll(events.queue, 3);
    expect(received).toHaveLength(3);
    const junk = received.find((m) => m.body.startsWith('definitely'))!;

    const response = await handler(sqsEvent(received), context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: junk.messageId }]);

    const sent = (await receiveAll(notices.queue, 2)).map((m) => parseNotice(m.body));
    expect(sent.map((n) => [n.action, n.reason, n.cause]).sort()).toEqual([
      ['open', 'new_incident', 'tag_not_found'],
      ['open', 'new_incident', 'tag_not_found'],
    ]);
    const parked = await receiveAll(dlq.queue, 1);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.attributes.pullwatch_error).toBe('envelope_invalid');

    const logged = Object.values(consoleSpies).flatMap((spy) => spy.mock.calls.map((c) => String(c[0])));
    const warning = logged
      .map((l) => safeJson(l))
      .find((l) => l?.message === 'invalid envelope' && l.code === 'message_not_json');
    expect(warning).toMatchObject({ messageId: junk.messageId, service: 'ingest', function_name: 'ingest' });
    const emf = logged.map((l) => safeJson(l)).filter((l) => l?._aws);
    expect(emf.some((m) => m?.Decisions === 1 && m.action === 'open' && m.reason === 'new_incident')).toBe(
      true,
    );
  });

  it('sends nothing again when SQS redelivers the same messages', async () => {
    await events.queue.send([{ id: 'a', body: JSON.stringify(failedEvent('r1', 'redelivered')) }]);
    const [message] = await receiveAll(events.queue, 1);
    await handler(sqsEvent([message!]), context);
    expect(await receiveAll(notices.queue, 1)).toHaveLength(1);
    const again = await handler(sqsEvent([{ ...message!, receiveCount: 2 }]), context);
    expect(again.batchItemFailures).toEqual([]);
    expect(await notices.queue.receive({ waitSeconds: 1 })).toEqual([]);
  });

  it('fails the records of a notice it could not send, and resends that notice on redelivery', async () => {
    const store = new DynamoIncidentStore({
      tableName: 'incidents',
      connection: { endpoint: dynalite.endpoint, region: dynalite.region, credentials: dynalite.credentials },
    });
    const { logger } = recordingLogger();
    const missing = new SqsQueue({ queueUrl: `${notices.url}-missing`, client: fauxqs.sqs });
    const record = {
      messageId: 'm-lost',
      body: JSON.stringify(failedEvent('lost-1', 'lost')),
      receiveCount: 1,
    };
    const first = await ingestBatch([record], { store, notices: missing, clock: Date.now, logger });
    expect(first.failed).toEqual(['m-lost']);
    const key = workloadKey({
      cluster: 'prod',
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'lost' },
      image: IMAGE,
    });
    expect((await store.get(key))?.pendingNotice).toMatchObject({ seq: 1, action: 'open' });

    const retry = await ingestBatch([{ ...record, receiveCount: 2 }], {
      store,
      notices: notices.queue,
      clock: Date.now,
      logger,
    });
    expect(retry.failed).toEqual([]);
    const resent = (await receiveAll(notices.queue, 1)).map((m) => parseNotice(m.body));
    expect(resent).toEqual([expect.objectContaining({ key, seq: 1, action: 'open' })]);
    expect((await store.get(key))?.pendingNotice).toBeNull();
    await store.close();
  });

  it('keeps the incident the handler wrote', async () => {
    const store = new DynamoIncidentStore({
      tableName: 'incidents',
      connection: { endpoint: dynalite.endpoint, region: dynalite.region, credentials: dynalite.credentials },
    });
    expect(await store.get(KEY)).toMatchObject({
      cause: 'tag_not_found',
      state: 'open',
      pendingNotice: null,
    });
    await store.close();
  });
});

function safeJson(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}
