import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseNotice } from '../../lib/incidents/notice.ts';
import {
  type AlertStack,
  CHANNELS,
  drain,
  failedPull,
  ingest,
  lambdaContext,
  receiveNotices,
  sqsEvent,
  startAlertStack,
} from '../support/alert-stack.ts';

/**
 * The notify Lambda as deployed: the handler module configured by environment (PULLWATCH_CONFIG with routing
 * to two channels and an SNS topic), invoked with SQS events made of notices really received from the
 * emulator after ingest wrote the incidents to dynalite; Slack is the stand-in, the registry check runs
 * against Debian's registry.
 */
let stack: AlertStack;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const saved = { ...process.env };
for (const method of ['log', 'info', 'warn', 'error'] as const)
  vi.spyOn(console, method).mockImplementation(() => {});

beforeAll(async () => {
  stack = await startAlertStack();
  Object.assign(process.env, stack.env, {
    SLACK_BOT_TOKEN: stack.slack.token,
    PULLWATCH_CONFIG: JSON.stringify(stack.config()),
  });
  ({ handler } = await import('../../functions/notify.ts'));
}, 60_000);

afterAll(async () => {
  process.env = saved;
  vi.restoreAllMocks();
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.calls.length = 0;
  stack.slack.clearFaults();
});

const posts = () => stack.slack.calls.filter((c) => c.method === 'chat.postMessage');
const topLevel = (channel: string, key: string) =>
  stack.slack
    .channel(channel)
    .filter((m) => m.threadTs === null && m.metadata?.event_payload.incident_key === key);

async function notice(envelopes: Parameters<typeof failedPull>[0][]) {
  const sent = await ingest(stack, envelopes.map(failedPull));
  const keys = [...new Set(sent.map((n) => n.key))];
  const messages = await receiveNotices(stack.notices, keys, sent.length);
  return { keys, messages, event: sqsEvent(messages, stack.notices.arn) };
}

function blocksText(message: { attachments: unknown[] | null } | undefined): string {
  return JSON.stringify(message?.attachments ?? []);
}

describe('notify Lambda', () => {
  it('posts one alert to both routed channels and SNS, with the registry’s verdict and the real names, and never twice', async () => {
    const image = `${stack.registry.host}/team/api:v1.4.2`;
    const { keys, messages, event } = await notice([
      { uid: 'a1', image, namespace: 'shop', deployment: 'api' },
    ]);
    const key = keys[0]!;

    expect(await handler(event, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    const [alert] = topLevel(CHANNELS.alerts, key);
    expect(topLevel(CHANNELS.alerts, key)).toHaveLength(1);
    expect(topLevel(CHANNELS.shop, key)).toHaveLength(1);
    expect(alert?.text).toContain('shop/api: Image tag not found');
    const body = blocksText(alert);
    expect(body).toContain('v1.4.1');
    // The container name and namespace come from the pod, not a placeholder.
    expect(body).toContain(
      `kubectl -n shop set image deployment/api app=${stack.registry.host}/team/api:v1.4.1`,
    );
    expect(body).toContain('Registry check* from pullwatch tests');

    const { store } = stack.stores();
    const record = await store.get(key);
    expect(record?.slack).toEqual({ channel: CHANNELS.alerts, ts: alert?.ts });
    expect(record?.notifiedSeq).toBe(parseNotice(messages[0]!.body).seq);

    const [published] = await drain(stack.snsQueue, 1);
    const notification = JSON.parse(published!.body);
    expect(notification.Subject).toBe('[CRITICAL] prod shop/api: Image tag not found');
    expect(notification.MessageAttributes).toMatchObject({
      cluster: { Type: 'String', Value: 'prod' },
      namespace: { Type: 'String', Value: 'shop' },
      kind: { Type: 'String', Value: 'workload' },
      state: { Type: 'String', Value: 'open' },
      cause: { Type: 'String', Value: 'tag_not_found' },
      registry: { Type: 'String', Value: stack.registry.host },
    });
    const structure = JSON.parse(notification.Message);
    expect(structure.default).toContain('kubectl -n shop set image deployment/api');
    expect(JSON.parse(structure.sqs)).toMatchObject({
      schema: 'pullwatch.alert/v1',
      incident: { key, state: 'open', namespace: 'shop' },
      diagnosis: { cause: 'tag_not_found', suggestions: expect.arrayContaining(['v1.4.1']) },
    });

    // SQS delivers again (same messages, second receive), and a duplicate notice arrives: nothing new.
    stack.slack.calls.length = 0;
    expect(await handler(sqsEvent(messages, stack.notices.arn, 2), lambdaContext('notify'))).toEqual({
      batchItemFailures: [],
    });
    await stack.notices.queue.send([{ id: 'dup', body: messages[0]!.body }]);
    const duplicate = await receiveNotices(stack.notices, [key]);
    expect(await handler(sqsEvent(duplicate, stack.notices.arn), lambdaContext('notify'))).toEqual({
      batchItemFailures: [],
    });
    expect(posts()).toHaveLength(0);
    expect(topLevel(CHANNELS.alerts, key)).toHaveLength(1);
    expect(await drain(stack.snsQueue, 1, 2)).toHaveLength(0);
    await stack.notices.queue.delete([...messages, ...duplicate].map((m) => m.receiptHandle));
  });

  it('Slack accepted the post but the answer never came: the message is found, not posted again', async () => {
    const image = `${stack.registry.host}/team/front:v2`;
    const { keys, messages, event } = await notice([
      { uid: 'h1', image, namespace: 'web', deployment: 'front' },
    ]);
    stack.slack.fail('chat.postMessage', { kind: 'hang' });

    expect(await handler(event, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    const found = topLevel(CHANNELS.alerts, keys[0]!);
    expect(found).toHaveLength(1);
    expect(posts().map((c) => c.outcome)).toEqual(['fault:hang']);
    expect(stack.slack.calls.some((c) => c.method === 'conversations.history')).toBe(true);
    const record = await stack.stores().store.get(keys[0]!);
    expect(record?.slack?.ts).toBe(found[0]?.ts);
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });

  it('waits out a 429 Retry-After that fits, then posts once', async () => {
    const image = `${stack.registry.host}/team/cart:v3`;
    const { keys, messages, event } = await notice([
      { uid: 'r1', image, namespace: 'web', deployment: 'cart' },
    ]);
    stack.slack.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '1' });

    expect(await handler(event, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    expect(posts().map((c) => c.outcome)).toEqual(['fault:rate_limited', 'ok']);
    expect(topLevel(CHANNELS.alerts, keys[0]!)).toHaveLength(1);
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });

  it('hands a Retry-After longer than the time left back to SQS: the notice fails and stays hidden that long', async () => {
    const image = `${stack.registry.host}/team/search:v4`;
    const { keys, messages, event } = await notice([
      { uid: 'r2', image, namespace: 'web', deployment: 'search' },
    ]);
    stack.slack.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '120' });

    const response = await handler(event, lambdaContext('notify', 8_000));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: messages[0]!.messageId }]);
    expect(topLevel(CHANNELS.alerts, keys[0]!)).toHaveLength(0);
    // The queue's own visibility timeout is 1 s; the notice stays away for the 120 s Slack asked for.
    expect(await receiveNotices(stack.notices, keys, 1, 3)).toHaveLength(0);
    // The claim was given back: the next attempt goes ahead at once.
    const record = await stack.stores().store.get(keys[0]!);
    expect(record?.notifyClaim).toBeNull();

    const retried = await handler(sqsEvent(messages, stack.notices.arn, 2), lambdaContext('notify'));
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(topLevel(CHANNELS.alerts, keys[0]!)).toHaveLength(1);
  });

  it('lists the affected workloads of a registry incident, with what the registry answered', async () => {
    const host = stack.registry.host;
    const message = (image: string) =>
      `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": failed to do request: Head "https://${host}/v2/team/api/manifests/v1": http: server gave HTTP response to HTTPS client`;
    const first = `${host}/team/api:v1`;
    const second = `${host}/team/api:v1.4.1`;
    const { keys, messages, event } = await notice([
      { uid: 'g1', image: first, namespace: 'payments', deployment: 'ledger', message: message(first) },
      { uid: 'g2', image: second, namespace: 'search', deployment: 'indexer', message: message(second) },
    ]);
    expect(keys).toHaveLength(1);

    expect(await handler(event, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    const [alert] = topLevel(CHANNELS.platform, keys[0]!);
    const body = blocksText(alert);
    expect(alert?.text).toContain(`${host}: `);
    expect(body).toContain('Affected workloads* (2)');
    expect(body).toContain('payments/ledger');
    expect(body).toContain('search/indexer');
    expect(body).toContain('Registry check* from pullwatch tests');
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });

  it('delivers to the channels that exist and parks the notice with the reason when one refuses for good', async () => {
    const image = `${stack.registry.host}/team/legacy:v5`;
    const { keys, messages, event } = await notice([
      { uid: 'b1', image, namespace: 'broken', deployment: 'legacy' },
    ]);

    expect(await handler(event, lambdaContext('notify'))).toEqual({ batchItemFailures: [] });

    expect(topLevel(CHANNELS.alerts, keys[0]!)).toHaveLength(1);
    const parked = (await drain(stack.noticesDlq, 1)).find((m) => parseNotice(m.body).key === keys[0]);
    expect(parked?.attributes.pullwatch_error).toBe('slack_rejected');
    expect(parked?.attributes.pullwatch_reason).toContain('channel_not_found');
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });

  it('fails an unreadable notice alone', async () => {
    const image = `${stack.registry.host}/team/mail:v6`;
    const { messages } = await notice([{ uid: 'm1', image, namespace: 'web', deployment: 'mail' }]);
    const event = sqsEvent(messages, stack.notices.arn);
    event.Records.push({ ...event.Records[0]!, messageId: 'garbage', body: '{"v":2,"key":"x"}' });

    expect(await handler(event, lambdaContext('notify'))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'garbage' }],
    });
    expect(posts()).toHaveLength(1);
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });
});
