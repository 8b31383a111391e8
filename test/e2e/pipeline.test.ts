import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { CHANNELS } from '../support/alert-stack.ts';
import { pushImage } from '../support/images.ts';
import {
  CLUSTER,
  deploymentPods,
  kubeletEvent,
  kubeTime,
  type Pipeline,
  SIGNING_SECRET,
  startPipeline,
} from '../support/pipeline-stack.ts';
import type { StoredMessage } from '../support/slack-api.ts';
import { notFoundMessage } from '../support/storm.ts';

/**
 * The whole chain on this machine, every hop real: kubelet events written to the Kubernetes API stand-in,
 * the forwarder watching it and sending to the SQS emulator, the BUNDLED ingest and notify Lambdas (built
 * from esbuild.config.cjs like `npm run package`, each in its own process with serverless.yml's environment
 * and event source settings) reading the queues through an event source mapping, DynamoDB as dynalite, the
 * registry check against Debian's docker-registry, alerts in the Slack stand-in, and a click signed the way
 * Slack signs it, through API Gateway's HTTP API v2 event into the bundled slack-actions.
 *
 * The tests tell one story in order: an alert, its acknowledgement, a storm elsewhere, the resolution.
 */
const NAMESPACE = 'checkout';
const GREEN = '#2EB67D';
const AMBER = '#ECB22E';
const RED = '#E01E5A';

let pipeline: Pipeline;
let host: string;

beforeAll(async () => {
  pipeline = await startPipeline();
  host = pipeline.stack.registry.host;
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
});

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}\n${pipeline.diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const topLevel = (key: string) =>
  pipeline.stack.slack
    .channel(CHANNELS.alerts)
    .filter((m) => m.threadTs === null && m.metadata?.event_payload.incident_key === key);

const alertFor = (workload: string) =>
  pipeline.stack.slack
    .channel(CHANNELS.alerts)
    .find((m) => m.threadTs === null && m.text.includes(`${NAMESPACE}/${workload}`));

const latest = (message: StoredMessage) => message.versions[message.versions.length - 1]!;
const colorOf = (version: StoredMessage['versions'][number]) =>
  (version.attachments?.[0] as { color?: string } | undefined)?.color;
const updatesOf = (ts: string) =>
  pipeline.stack.slack.calls.filter((c) => c.method === 'chat.update' && c.params.ts === ts);
const record = async (key: string) => (await pipeline.stack.stores().store.get(key)) as IncidentRecord;

function expectNothingLost(): void {
  for (const source of Object.values(pipeline.sources)) expect(source.stats.functionErrors).toBe(0);
}

async function expectDeadLettersEmpty(): Promise<void> {
  for (const dlq of [pipeline.eventsDlq, pipeline.stack.noticesDlq]) {
    expect(await dlq.queue.receive({ maxMessages: 10, waitSeconds: 0 })).toEqual([]);
  }
}

/** A `block_actions` request as Slack sends it for a click on one of the message's buttons. */
function click(message: StoredMessage, actionId: string, user: string, now: number): APIGatewayProxyEventV2 {
  const attachment = latest(message).attachments?.[0] as
    | { blocks?: Array<Record<string, unknown>> }
    | undefined;
  const blocks = attachment?.blocks ?? [];
  const actions = blocks.find((block) => block.type === 'actions') as
    | { block_id: string; elements: Array<{ action_id: string; value: string; text: unknown }> }
    | undefined;
  const button = actions?.elements.find((element) => element.action_id === actionId);
  if (!button) throw new Error(`the message has no ${actionId} button`);
  const payload = {
    type: 'block_actions',
    user: { id: user, username: 'ana', name: 'ana', team_id: 'T0E2E0001' },
    api_app_id: 'A0E2E0001',
    container: {
      type: 'message',
      message_ts: message.ts,
      attachment_id: 1,
      channel_id: message.channel,
      is_ephemeral: false,
      is_app_unfurl: false,
    },
    trigger_id: '1234567890.123456789.abcdef',
    team: { id: 'T0E2E0001', domain: 'e2e' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: 'alerts' },
    message: { type: 'message', ts: message.ts, text: latest(message).text },
    state: { values: {} },
    response_url: pipeline.stack.slack.responseUrl({ channel: message.channel, ts: message.ts }),
    actions: [
      {
        action_id: button.action_id,
        block_id: actions?.block_id,
        text: button.text,
        value: button.value,
        type: 'button',
        action_ts: (now / 1000).toFixed(6),
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(Math.floor(now / 1000));
  // Slack's v0 scheme, written out here rather than taken from lib/: HMAC-SHA256 of `v0:<ts>:<raw body>`.
  const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    version: '2.0',
    routeKey: 'POST /slack/actions',
    rawPath: '/slack/actions',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      host: 'e2e0001.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-forwarded-for': '52.0.0.1',
      'x-forwarded-proto': 'https',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'e2e0001',
      domainName: 'e2e0001.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'e2e0001',
      http: {
        method: 'POST',
        path: '/slack/actions',
        protocol: 'HTTP/1.1',
        sourceIp: '52.0.0.1',
        userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      requestId: `req-${now}`,
      routeKey: 'POST /slack/actions',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    // HTTP APIs hand form bodies to Lambda base64-encoded.
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

describe('the pipeline end to end (bundled Lambdas on the local stack)', () => {
  const image = () => `${host}/team/api:v1.4.2`;
  let pods: string[] = [];
  let key = '';
  let ts = '';

  it('a kubelet pull failure becomes one Slack alert: workload, cause, and the closest tag from the registry', async () => {
    pods = deploymentPods(pipeline.kube, {
      namespace: NAMESPACE,
      deployment: 'api',
      image: image(),
      pods: 2,
    });
    const at = kubeTime(Date.now());
    const pod = pods[0]!;
    const failed = (name: string, type: 'Warning' | 'Normal', reason: string, message: string) =>
      pipeline.kube.upsert(
        'events',
        kubeletEvent({
          namespace: NAMESPACE,
          pod,
          name: `${pod}.${name}`,
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: at,
          lastTimestamp: at,
        }),
      );
    failed('a1', 'Warning', 'Failed', notFoundMessage(image()));
    failed('a2', 'Warning', 'Failed', 'Error: ErrImagePull');
    failed('a3', 'Normal', 'BackOff', `Back-off pulling image "${image()}"`);

    const alert = await until('the alert is posted', () => alertFor('api'));
    key = String(alert.metadata?.event_payload.incident_key);
    ts = alert.ts;
    await pipeline.settled();

    expect(topLevel(key)).toHaveLength(1);
    expect(alert.text).toContain(`[${CLUSTER}]`);
    expect(alert.text).toContain(`${NAMESPACE}/api: Image tag not found`);
    const blocks = JSON.stringify(latest(alert).attachments);
    expect(blocks).toContain('v1.4.1');
    expect(blocks).toContain(`kubectl -n ${NAMESPACE} set image deployment/api app=${host}/team/api:v1.4.1`);
    expect(blocks).toContain('Registry check* from pullwatch tests');
    expect(colorOf(latest(alert))).toBe(RED);

    const incident = await record(key);
    expect(incident).toMatchObject({
      kind: 'workload',
      cluster: CLUSTER,
      namespace: NAMESPACE,
      workload: { kind: 'Deployment', name: 'api' },
      image: image(),
      cause: 'tag_not_found',
      state: 'open',
      count: 1,
      slack: { channel: CHANNELS.alerts, ts },
    });
    expect(incident.pods).toEqual([pod]);
    expect(incident.notifiedSeq).toBe(incident.seq);
    // The bot token came from the SSM stand-in (SecureString), as in AWS, not from the environment.
    expect(pipeline.ssm.calls.some((c) => c.target === 'AmazonSSM.GetParameters' && c.signed)).toBe(true);
    expectNothingLost();
    await expectDeadLettersEmpty();
  });

  it('a signed Acknowledge click through slack-actions updates that same message and the incident; a replay changes nothing', async () => {
    const message = topLevel(key)[0]!;
    const request = click(message, 'pullwatch_acknowledge', 'U0ANA0001', Date.now());

    const response = await pipeline.httpApi(request);

    expect(response.statusCode).toBe(200);
    const shown = latest(topLevel(key)[0]!);
    expect(colorOf(shown)).toBe(AMBER);
    expect(JSON.stringify(shown.attachments)).toContain('Acknowledged by <@U0ANA0001>');
    expect(updatesOf(ts).length).toBeGreaterThanOrEqual(1);
    expect(await record(key)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0ANA0001' });

    // The click's notice goes through notify too; still one message, still acknowledged.
    await pipeline.settled();
    expect(topLevel(key)).toHaveLength(1);
    expect(colorOf(latest(topLevel(key)[0]!))).toBe(AMBER);

    const versions = topLevel(key)[0]!.versions.length;
    const replay = await pipeline.httpApi(request);
    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(replay.body ?? '{}')).toMatchObject({ error: 'replayed' });
    const forged = click(message, 'pullwatch_resolve', 'U0MALLORY1', Date.now());
    forged.headers['x-slack-signature'] = `v0=${'0'.repeat(64)}`;
    expect((await pipeline.httpApi(forged)).statusCode).toBe(401);
    expect(topLevel(key)[0]!.versions).toHaveLength(versions);
    expect((await record(key)).state).toBe('acknowledged');
  });

  it('a 1,000-event storm across the pods of one Deployment yields exactly one alert, and the store counts every failed pull', async () => {
    const stormImage = `${host}/team/api:v1.5.0-rc.1`;
    const stormPods = deploymentPods(pipeline.kube, {
      namespace: NAMESPACE,
      deployment: 'worker',
      image: stormImage,
      pods: 5,
      hash: '5f8b9c7d4',
    });
    const posts = () => pipeline.stack.slack.calls.filter((c) => c.method === 'chat.postMessage').length;
    const postsBefore = posts();
    // kubelet repeats each event by updating the object: MODIFIED with a growing count and lastTimestamp.
    const kinds = [
      { id: 'f', type: 'Warning', reason: 'Failed', message: notFoundMessage(stormImage) },
      { id: 'e', type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' },
      { id: 'b', type: 'Normal', reason: 'BackOff', message: `Back-off pulling image "${stormImage}"` },
      { id: 'p', type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff' },
    ] as const;
    const rounds = 50;
    const start = Date.now() - 100_000;
    let written = 0;
    const started = Date.now();
    for (let round = 0; round < rounds; round += 1) {
      for (const [p, pod] of stormPods.entries()) {
        for (const kind of kinds) {
          pipeline.kube.upsert(
            'events',
            kubeletEvent({
              namespace: NAMESPACE,
              pod,
              name: `${pod}.${kind.id}`,
              type: kind.type,
              reason: kind.reason,
              message: kind.message,
              count: round + 1,
              firstTimestamp: kubeTime(start + p * 100),
              lastTimestamp: kubeTime(start + written * 100),
              node: ['node-a', 'node-b', 'node-c'][p % 3]!,
            }),
          );
          written += 1;
        }
      }
    }
    expect(written).toBe(1_000);

    const alert = await until('the storm’s alert is posted', () => alertFor('worker'));
    const stormKey = String(alert.metadata?.event_payload.incident_key);
    // Only the Failed events that carry the runtime's error are failed pulls; the others echo them.
    const failedPulls = stormPods.length * rounds;
    await until('every failed pull is counted', async () => (await record(stormKey))?.count === failedPulls);
    await pipeline.settled();
    const elapsedMs = Date.now() - started;

    expect(topLevel(stormKey)).toHaveLength(1);
    expect(posts() - postsBefore).toBe(1);
    const updateIntervalMs = 60_000;
    expect(updatesOf(alert.ts).length).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / updateIntervalMs));
    const incident = await record(stormKey);
    expect(incident).toMatchObject({
      workload: { kind: 'Deployment', name: 'worker' },
      cause: 'tag_not_found',
      state: 'open',
      count: failedPulls,
      slack: { channel: CHANNELS.alerts, ts: alert.ts },
    });
    expect([...incident.pods].sort()).toEqual([...stormPods].sort());
    expect([...incident.nodes].sort()).toEqual(['node-a', 'node-b', 'node-c']);
    // Batching folded the storm: far fewer ingest invocations than events.
    expect(pipeline.sources.ingest.stats.invocations).toBeLessThan(100);
    expectNothingLost();
    await expectDeadLettersEmpty();
  });

  it('a Pulled after the failures turns the same message resolved (green)', async () => {
    // The missing tag gets pushed; kubelet's next try pulls it.
    await pushImage({ url: pipeline.stack.registry.url }, 'team/api', 'v1.4.2');
    const at = kubeTime(Date.now());
    const pod = pods[0]!;
    pipeline.kube.upsert(
      'events',
      kubeletEvent({
        namespace: NAMESPACE,
        pod,
        name: `${pod}.p1`,
        type: 'Normal',
        reason: 'Pulled',
        message: `Successfully pulled image "${image()}" in 1.204s (1.204s including waiting). Image size: 2411 bytes.`,
        count: 1,
        firstTimestamp: at,
        lastTimestamp: at,
      }),
    );

    await until('the alert turns green', () => colorOf(latest(topLevel(key)[0]!)) === GREEN);
    await pipeline.settled();

    expect(topLevel(key)).toHaveLength(1);
    expect(topLevel(key)[0]!.ts).toBe(ts);
    const shown = latest(topLevel(key)[0]!);
    expect(shown.text).toContain(`Resolved: ${NAMESPACE}/api`);
    expect(JSON.stringify(shown.attachments)).toContain('the image now pulls');
    expect(JSON.stringify(shown.attachments)).not.toContain('pullwatch_acknowledge');
    expect(await record(key)).toMatchObject({ state: 'resolved', resolvedBy: 'pulled' });
    expectNothingLost();
    await expectDeadLettersEmpty();
  });
});
