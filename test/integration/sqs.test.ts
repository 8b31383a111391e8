import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient, SqsQueue } from '../../lib/adapters/sqs.ts';
import { fastJsonProtocol } from '../../lib/adapters/sqs-json-codec.ts';
import { type FauxqsService, startFauxqs, TEST_CREDENTIALS } from '../support/fauxqs.ts';

let service: FauxqsService;

beforeAll(async () => {
  service = await startFauxqs();
});
afterAll(async () => {
  await service?.stop();
});

async function drain(queue: SqsQueue, expected: number) {
  const received = [];
  for (let attempt = 0; attempt < 20 && received.length < expected; attempt++) {
    received.push(...(await queue.receive({ maxMessages: 10, waitSeconds: 1 })));
  }
  return received;
}

describe('SqsQueue against the SQS emulator', () => {
  it('sends in batches of ten and delivers every message with its attributes', async () => {
    const { queue } = await service.createQueue('batches');
    const messages = Array.from({ length: 25 }, (_, i) => ({
      id: `event-${i}`,
      body: JSON.stringify({ n: i }),
      attributes: { cluster: 'prod' },
    }));
    const result = await queue.send(messages);
    expect(result.failed).toEqual([]);
    expect(result.sent.sort()).toEqual(messages.map((m) => m.id).sort());

    const received = await drain(queue, 25);
    expect(received.map((m) => JSON.parse(m.body).n).sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(received.every((m) => m.attributes.cluster === 'prod' && m.receiveCount === 1)).toBe(true);
    await queue.delete(received.map((m) => m.receiptHandle));
    expect(await queue.receive({ waitSeconds: 0 })).toEqual([]);
  });

  it('reports an oversized message as a final failure and still sends the rest', async () => {
    const { queue } = await service.createQueue('oversized');
    const result = await queue.send([
      { id: 'small', body: 'ok' },
      { id: 'huge', body: 'x'.repeat(300 * 1024) },
    ]);
    expect(result.sent).toEqual(['small']);
    expect(result.failed).toMatchObject([{ id: 'huge', code: 'message_too_large', retryable: false }]);
    expect((await drain(queue, 1)).map((m) => m.body)).toEqual(['ok']);
  });

  it('redelivers what was not deleted and moves it to the dead-letter queue after maxReceiveCount', async () => {
    const dlq = await service.createQueue('work-dlq');
    const work = await service.createQueue('work', {
      visibilityTimeoutSeconds: 1,
      deadLetter: { arn: dlq.arn, maxReceiveCount: 2 },
    });
    await work.queue.send([{ id: 'poison', body: 'poison' }]);
    const first = await drain(work.queue, 1);
    expect(first[0]?.receiveCount).toBe(1);
    await work.queue.changeVisibility(first[0]!.receiptHandle, 0);
    const second = await drain(work.queue, 1);
    expect(second[0]?.receiveCount).toBe(2);
    await work.queue.changeVisibility(second[0]!.receiptHandle, 0);
    // SQS moves the message when a receive would exceed maxReceiveCount: the source queue answers empty.
    expect(await work.queue.receive({ waitSeconds: 1 })).toEqual([]);
    const dead = await drain(dlq.queue, 1);
    expect(dead.map((m) => m.body)).toEqual(['poison']);
  });

  it('treats an unreachable endpoint as retryable and a missing queue as final', async () => {
    const offline = new SqsQueue({
      queueUrl: 'http://127.0.0.1:1/000000000000/none',
      client: createSqsClient({
        endpoint: 'http://127.0.0.1:1',
        region: 'us-east-1',
        credentials: TEST_CREDENTIALS,
        maxAttempts: 1,
      }),
    });
    const down = await offline.send([{ id: 'a', body: 'x' }]);
    expect(down.failed).toMatchObject([{ id: 'a', retryable: true }]);

    const missing = new SqsQueue({
      queueUrl: `${service.endpoint}/000000000000/does-not-exist`,
      client: service.sqs,
    });
    const result = await missing.send([{ id: 'a', body: 'x' }]);
    expect(result.failed).toMatchObject([{ id: 'a', retryable: false, code: 'QueueDoesNotExist' }]);
    await expect(missing.receive()).rejects.toMatchObject({ code: 'queue_receive_failed' });
  });

  it.each([
    ['the SDK default codec', {}],
    ["the forwarder's JSON.stringify codec", fastJsonProtocol()],
  ])(
    'keeps bodies with quotes, backslashes, control and non-ASCII characters intact (%s)',
    async (_, tuning) => {
      const client = createSqsClient(
        { endpoint: service.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS },
        tuning,
      );
      const { url } = await service.createQueue(`codec-${Date.now()}`);
      const queue = new SqsQueue({ queueUrl: url, client });
      const bodies = ['{"v":1,"pack":[{"a":"b\\"c"}]}', 'tab\there\nline\r\u2028é ü 漢字', '\\\\ end'];
      const sent = await queue.send(
        bodies.map((body, i) => ({ id: `b${i}`, body, attributes: { n: String(i) } })),
      );
      expect(sent.failed).toEqual([]);
      const received = await drain(queue, bodies.length);
      expect(received.map((m) => m.body).sort()).toEqual([...bodies].sort());
      expect(received.map((m) => m.attributes.n).sort()).toEqual(['0', '1', '2']);

      const missing = new SqsQueue({ queueUrl: `${service.endpoint}/000000000000/does-not-exist`, client });
      const result = await missing.send([{ id: 'a', body: 'x' }]);
      expect(result.failed).toMatchObject([{ id: 'a', retryable: false, code: 'QueueDoesNotExist' }]);
    },
  );
});
