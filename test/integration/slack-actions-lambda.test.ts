import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseNotice } from '../../lib/incidents/notice.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { notifyBatch } from '../../lib/pipeline/notify.ts';
import {
  type AlertStack,
  CHANNELS,
  drain,
  failedPull,
  ingest,
  lambdaContext,
  notifyDeps,
  receiveNotices,
  SIGNING_SECRET,
  signedClick,
  startAlertStack,
} from '../support/alert-stack.ts';
import { type AwsCall, type RunningServer, startSsmStandIn } from '../support/standins.ts';

/**
 * The slack-actions Lambda as deployed: API Gateway HTTP API v2 events with bodies signed like Slack signs
 * them, secrets from SSM SecureString parameters (a local stand-in of the SSM API, reached through the real
 * SDK by middy's ssm middleware), the incident in dynalite, the alert in the Slack stand-in.
 */
const BOT_TOKEN_PARAMETER = '/pullwatch/slack/bot-token';
const SIGNING_PARAMETER = '/pullwatch/slack/signing-secret';

let stack: AlertStack;
let ssm: RunningServer & { calls: AwsCall[] };
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
const saved = { ...process.env };
for (const method of ['log', 'info', 'warn', 'error'] as const)
  vi.spyOn(console, method).mockImplementation(() => {});

beforeAll(async () => {
  stack = await startAlertStack();
  ssm = await startSsmStandIn({
    [BOT_TOKEN_PARAMETER]: stack.slack.token,
    [SIGNING_PARAMETER]: SIGNING_SECRET,
  });
  for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']) delete process.env[name];
  Object.assign(process.env, stack.env, {
    SSM_ENDPOINT: ssm.url,
    PULLWATCH_CONFIG: JSON.stringify(
      stack.config({
        slack: {
          apiUrl: stack.slack.url,
          botTokenParameter: BOT_TOKEN_PARAMETER,
          signingSecretParameter: SIGNING_PARAMETER,
        },
      }),
    ),
  });
  ({ handler } = await import('../../functions/slack-actions.ts'));
}, 60_000);

afterAll(async () => {
  process.env = saved;
  vi.restoreAllMocks();
  await Promise.all([stack?.stop(), ssm?.stop()]);
});

beforeEach(() => {
  stack.slack.calls.length = 0;
  stack.slack.responses.length = 0;
  stack.slack.clearFaults();
});

/** An open incident in `namespace` with its alert posted by notify. */
async function postedAlert(deployment: string, namespace = 'web') {
  const image = `${stack.registry.host}/team/${deployment}:v9`;
  const [notice] = await ingest(stack, [
    failedPull({ uid: `${deployment}-1`, image, namespace, deployment }),
  ]);
  const key = notice!.key;
  const received = await receiveNotices(stack.notices, [key]);
  const deps = notifyDeps(stack, { clock: Date.now });
  const report = await notifyBatch(
    received.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: 1 })),
    deps,
    { remainingMs: () => 30_000 },
  );
  expect(report.failed).toEqual([]);
  await stack.notices.queue.delete(received.map((m) => m.receiptHandle));
  const incident = (await deps.store.get(key)) as IncidentRecord;
  stack.slack.calls.length = 0;
  return { key, incident, message: incident.slack!, deps };
}

function apiEvent(
  request: { headers: Record<string, string>; body: string },
  options: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /slack/actions',
    rawPath: '/slack/actions',
    rawQueryString: '',
    headers: { ...request.headers, host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: 'POST',
        path: '/slack/actions',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      requestId: 'req',
      routeKey: 'POST /slack/actions',
      stage: '$default',
      time: '01/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: options.base64 ? Buffer.from(request.body).toString('base64') : request.body,
    isBase64Encoded: options.base64 ?? false,
  };
}

const invoke = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext('slack-actions', 5_000));

function stored(message: { channel: string; ts: string }) {
  return stack.slack.messages.find((m) => m.channel === message.channel && m.ts === message.ts)!;
}

describe('slack-actions Lambda', () => {
  it('rejects forged, tampered, stale and replayed clicks with 401 and changes nothing', async () => {
    const { key, incident, message, deps } = await postedAlert('forged');
    const now = Date.now();
    const click = { key, actionId: 'pullwatch_acknowledge', message, now };

    const forged = signedClick(stack, { ...click, secret: 'not-the-secret' });
    const tampered = signedClick(stack, click);
    const stale = signedClick(stack, { ...click, now: now - 10 * 60_000 });
    const answers = [
      await invoke(apiEvent(forged)),
      await invoke(apiEvent({ ...tampered, body: tampered.body.replace('U0ANA0001', 'U0EVE0666') })),
      await invoke(apiEvent(stale)),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401]);
    expect(answers.map((a) => JSON.parse(a.body ?? '{}').error)).toEqual([
      'bad_signature',
      'bad_signature',
      'stale',
    ]);
    expect((await deps.store.get(key))?.version).toBe(incident.version);

    const genuine = apiEvent(signedClick(stack, click));
    expect((await invoke(genuine)).statusCode).toBe(200);
    const acknowledged = await deps.store.get(key);
    expect(acknowledged?.state).toBe('acknowledged');
    stack.slack.calls.length = 0;
    const replay = await invoke(genuine);
    expect(replay.statusCode).toBe(401);
    expect(JSON.parse(replay.body ?? '{}').error).toBe('replayed');
    expect((await deps.store.get(key))?.version).toBe(acknowledged?.version);
    expect(stack.slack.calls).toHaveLength(0);
  });

  it('answers an unknown action with 400 naming it, and changes nothing', async () => {
    const { key, incident, message, deps } = await postedAlert('unknown');
    const answer = await invoke(
      apiEvent(
        signedClick(stack, { key, actionId: 'pullwatch_delete_everything', message, now: Date.now() }),
      ),
    );
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body ?? '{}')).toEqual({
      error: 'slack_action_unknown',
      message: 'unknown action_id "pullwatch_delete_everything"',
    });
    expect((await deps.store.get(key))?.version).toBe(incident.version);
  });

  it('acknowledges: who and when in the store, the message updated in place, notify told — then only silent updates', async () => {
    const { key, message, deps } = await postedAlert('acked', 'shop');
    const answer = await invoke(
      apiEvent(signedClick(stack, { key, actionId: 'pullwatch_acknowledge', message, now: Date.now() }), {
        base64: true,
      }),
    );
    expect(answer.statusCode).toBe(200);
    const incident = await deps.store.get(key);
    expect(incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'U0ANA0001' });
    expect(incident?.acknowledgedAt).not.toBeNull();
    const updated = stored(message);
    expect(JSON.stringify(updated.attachments)).toContain('Acknowledged by <@U0ANA0001>');
    expect(updated.metadata?.event_payload.incident_key).toBe(key);
    expect(stack.slack.calls.map((c) => c.method)).toEqual(['chat.update']);

    // Notify gets the notice: both channels' messages follow, nothing is posted, SNS stays quiet.
    const notices = await receiveNotices(stack.notices, [key]);
    expect(parseNotice(notices[0]!.body).action).toBe('acknowledge');
    await drain(stack.snsQueue, 1);
    stack.slack.calls.length = 0;
    const report = await notifyBatch(
      notices.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: 1 })),
      deps,
      { remainingMs: () => 30_000 },
    );
    expect(report.failed).toEqual([]);
    expect(stack.slack.calls.map((c) => `${c.method} ${c.params.channel}`).sort()).toEqual([
      `chat.update ${CHANNELS.alerts}`,
      `chat.update ${CHANNELS.shop}`,
    ]);
    expect(await drain(stack.snsQueue, 1, 2)).toHaveLength(0);
    await stack.notices.queue.delete(notices.map((m) => m.receiptHandle));
  });

  it('snoozes until the chosen time, and resolves to green; a click on a resolved alert only gets a note', async () => {
    const { key, message, deps } = await postedAlert('snoozy');
    const now = Date.now();
    await invoke(apiEvent(signedClick(stack, { key, actionId: 'pullwatch_snooze_3600', message, now })));
    const snoozed = await deps.store.get(key);
    expect(snoozed).toMatchObject({ state: 'snoozed', snoozedBy: 'U0ANA0001' });
    const until = Date.parse(snoozed!.snoozedUntil!);
    expect(until - now).toBeGreaterThanOrEqual(3_600_000 - 1_000);
    expect(until - now).toBeLessThanOrEqual(3_600_000 + 5_000);
    expect(JSON.stringify(stored(message).attachments)).toContain('Snoozed until');

    await invoke(
      apiEvent(signedClick(stack, { key, actionId: 'pullwatch_resolve', message, now: now + 1_000 })),
    );
    const resolved = await deps.store.get(key);
    expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'button:U0ANA0001' });
    const green = stored(message);
    expect((green.attachments?.[0] as { color?: string } | undefined)?.color).toBe('#2EB67D');
    expect(JSON.stringify(green.attachments)).not.toContain('pullwatch_acknowledge');

    stack.slack.calls.length = 0;
    const late = await invoke(
      apiEvent(signedClick(stack, { key, actionId: 'pullwatch_acknowledge', message, now: now + 2_000 })),
    );
    expect(late.statusCode).toBe(200);
    expect((await deps.store.get(key))?.version).toBe(resolved?.version);
    expect(stack.slack.responses.at(-1)?.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'This incident is already resolved; nothing changed.',
    });
    expect(stack.slack.calls.map((c) => c.method)).toEqual(['response_url']);
    await drain(stack.notices, 2, 2);
  });

  it('replaces the message through response_url when chat.update fails', async () => {
    const { key, message, deps } = await postedAlert('fallback');
    stack.slack.fail('chat.update', { kind: 'platform_error', error: 'cant_update_message' });
    const answer = await invoke(
      apiEvent(signedClick(stack, { key, actionId: 'pullwatch_acknowledge', message, now: Date.now() })),
    );
    expect(answer.statusCode).toBe(200);
    expect((await deps.store.get(key))?.state).toBe('acknowledged');
    expect(stack.slack.calls.map((c) => `${c.method} ${c.outcome}`)).toEqual([
      'chat.update fault:platform_error',
      'response_url ok',
    ]);
    expect(stack.slack.responses.at(-1)?.body).toMatchObject({ replace_original: true });
    expect(JSON.stringify(stored(message).attachments)).toContain('Acknowledged by');
    await drain(stack.notices, 1, 2);
  });

  it('took its secrets from SSM once, decrypted, and keeps them cached', () => {
    const reads = ssm.calls.filter((c) => c.target === 'AmazonSSM.GetParameters');
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ signed: true, body: { WithDecryption: true } });
    expect(((reads[0]?.body.Names as string[] | undefined) ?? []).sort()).toEqual(
      [BOT_TOKEN_PARAMETER, SIGNING_PARAMETER].sort(),
    );
  });
});
