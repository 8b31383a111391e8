import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackAdapter } from '../../lib/adapters/slack.ts';
import type { SlackMessage } from '../../lib/notify/block-kit.ts';
import { DeliveryError } from '../../lib/notify/delivery-error.ts';
import type { SlackPort } from '../../lib/notify/port.ts';
import { buildSlackMessage } from '../../lib/notify/slack-message.ts';
import { asReplacement, buildEphemeralNotice, buildThreadReply } from '../../lib/notify/slack-thread.ts';
import { type SlackApiStandIn, startSlackApi } from '../support/slack-api.ts';
import {
  NOW,
  registryIncident,
  tagDiagnosis,
  tlsDiagnosis,
  workloadIncident,
} from '../unit/notify-fixtures.ts';

const CHANNEL = 'C0ALERTS01';
let slack: SlackApiStandIn;
let adapter: SlackPort;

function baseOf(standIn: SlackApiStandIn): string {
  return standIn.url.replace(/\/api\/$/, '/');
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

const openMessage = () => buildSlackMessage(workloadIncident(), tagDiagnosis(), { now: NOW });

beforeAll(async () => {
  slack = await startSlackApi({ channels: [CHANNEL] });
  adapter = createSlackAdapter({
    token: slack.token,
    slackApiUrl: slack.url,
    timeoutMs: 1_000,
    responseUrlPrefixes: [baseOf(slack)],
  });
});

afterAll(async () => {
  await slack.close();
});

beforeEach(() => {
  slack.calls.length = 0;
  slack.messages.length = 0;
  slack.clearFaults();
});

describe('Slack adapter against the Web API stand-in', () => {
  it('posts an alert with blocks, colour bar and metadata, authenticated with the bot token', async () => {
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    expect(posted.channel).toBe(CHANNEL);
    expect(posted.ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.calls).toHaveLength(1);
    expect(slack.calls[0]).toMatchObject({ method: 'chat.postMessage', auth: 'ok', outcome: 'ok' });
    const stored = slack.channel(CHANNEL)[0];
    expect(stored?.text).toBe(openMessage().text);
    expect(stored?.attachments).toEqual(JSON.parse(JSON.stringify(openMessage().attachments)));
    expect(stored?.metadata?.event_payload.incident_key).toBe('wl_5f0c9e1a7b2d4c33');
  });

  it('updates the message in place: resolved turns it green', async () => {
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    const resolved = buildSlackMessage(
      workloadIncident({ state: 'resolved', resolvedAt: '2026-11-01T12:30:00Z', resolvedBy: 'pulled' }),
      null,
      { now: NOW },
    );
    const updated = await adapter.update(posted.channel, posted.ts, resolved);
    expect(updated).toEqual(posted);
    const stored = slack.channel(CHANNEL);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.versions).toHaveLength(2);
    expect((stored[0]?.attachments?.[0] as { color?: string } | undefined)?.color).toBe('#2EB67D');
  });

  it('replies in the thread, optionally broadcast', async () => {
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    const reply = buildThreadReply(workloadIncident(), { type: 'reminder' }, null, { now: NOW });
    const threaded = await adapter.postThreadReply(CHANNEL, posted.ts, reply);
    await adapter.postThreadReply(CHANNEL, posted.ts, reply, { broadcast: true });
    const replies = slack.channel(CHANNEL).filter((m) => m.threadTs === posted.ts);
    expect(replies.map((m) => [m.ts, m.replyBroadcast])).toEqual([
      [threaded.ts, false],
      [replies[1]?.ts, true],
    ]);
  });

  it('answers through response_url, replacing the clicked message', async () => {
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    const url = slack.responseUrl(posted);
    const acked = buildSlackMessage(
      workloadIncident({ state: 'acknowledged', acknowledgedBy: 'U024BE7LH' }),
      tagDiagnosis(),
      { now: NOW },
    );
    await adapter.respond(url, asReplacement(acked));
    await adapter.respond(url, buildEphemeralNotice('Already acknowledged by <@U024BE7LH>.'));
    expect(slack.responses.map((r) => r.outcome)).toEqual(['ok', 'ok']);
    expect(slack.channel(CHANNEL)[0]?.text).toBe(acked.text);
  });

  it('posts every state the builder makes without Slack rejecting it', async () => {
    const messages: SlackMessage[] = [
      ...(['open', 'acknowledged', 'snoozed', 'resolved'] as const).map((state) =>
        buildSlackMessage(workloadIncident({ state }), tagDiagnosis(), { now: NOW }),
      ),
      buildSlackMessage(registryIncident(300), tlsDiagnosis(), { now: NOW }),
      buildSlackMessage(
        workloadIncident({
          message: 'x'.repeat(50_000),
          pods: Array.from({ length: 500 }, (_, i) => `p${i}`),
        }),
        tagDiagnosis({
          remediation: Array.from({ length: 200 }, (_, i) => ({
            title: `t${i}`,
            command: 'c'.repeat(5_000),
          })),
        }),
        { now: NOW },
      ),
    ];
    for (const message of messages) await adapter.postMessage(CHANNEL, message);
    expect(slack.calls.map((c) => c.outcome)).toEqual(messages.map(() => 'ok'));
  });

  it('is rejected with invalid_blocks, final, when a payload breaks a limit', async () => {
    const tooLong: SlackMessage = {
      text: 'x',
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
    };
    const error = await failure(adapter.postMessage(CHANNEL, tooLong));
    expect(error).toMatchObject({
      code: 'slack_rejected',
      detail: 'invalid_blocks',
      retryable: false,
      ambiguous: false,
    });
    expect(error.message).toContain('must be less than 151 characters [json-pointer:/blocks/0/text/text]');
    expect(slack.calls).toHaveLength(1);
    expect(slack.channel(CHANNEL)).toHaveLength(0);
  });

  it('turns a 429 into rate_limited with Retry-After, without waiting; the retry then succeeds', async () => {
    slack.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '7' });
    const error = await failure(adapter.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({
      code: 'slack_rate_limited',
      retryAfterSeconds: 7,
      retryable: true,
      ambiguous: false,
    });
    expect(slack.calls).toHaveLength(1);
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    expect(slack.channel(CHANNEL).map((m) => m.ts)).toEqual([posted.ts]);
  });

  it('treats a 429 without a usable Retry-After as rate_limited with no wait given', async () => {
    slack.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: null });
    const error = await failure(adapter.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({ code: 'slack_rate_limited', retryAfterSeconds: null, retryable: true });
  });

  it('retries a 500 inside the call and succeeds', async () => {
    slack.fail('chat.postMessage', { kind: 'server_error' });
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    expect(slack.calls.map((c) => c.outcome)).toEqual(['fault:server_error', 'ok']);
    expect(slack.channel(CHANNEL).map((m) => m.ts)).toEqual([posted.ts]);
  });

  it('gives up on repeated 5xx as server_error, retryable, after a bounded number of attempts', async () => {
    slack.fail('chat.update', { kind: 'server_error', status: 503 }, 10);
    const error = await failure(adapter.update(CHANNEL, '1700000001.000001', openMessage()));
    expect(error).toMatchObject({
      code: 'slack_server_error',
      status: 503,
      retryable: true,
      ambiguous: false,
    });
    expect(slack.calls).toHaveLength(3);
  });

  it('maps Slack platform errors: internal_error retryable, ratelimited, channel_not_found final', async () => {
    slack.fail('chat.postMessage', { kind: 'platform_error', error: 'internal_error' });
    expect(await failure(adapter.postMessage(CHANNEL, openMessage()))).toMatchObject({
      code: 'slack_server_error',
      detail: 'internal_error',
      retryable: true,
    });
    slack.fail('chat.postMessage', { kind: 'platform_error', error: 'ratelimited' });
    expect(await failure(adapter.postMessage(CHANNEL, openMessage()))).toMatchObject({
      code: 'slack_rate_limited',
    });
    expect(await failure(adapter.postMessage('CNOWHERE', openMessage()))).toMatchObject({
      code: 'slack_rejected',
      detail: 'channel_not_found',
      retryable: false,
    });
    expect(await failure(adapter.update(CHANNEL, '1.000001', openMessage()))).toMatchObject({
      code: 'slack_rejected',
      detail: 'message_not_found',
    });
  });

  it('times out on accept-then-hang as ambiguous, without retrying; reconcile then finds the post', async () => {
    const before = (
      await adapter.postMessage(
        CHANNEL,
        buildSlackMessage(workloadIncident({ key: 'other' }), null, { now: NOW }),
      )
    ).ts;
    slack.calls.length = 0;
    slack.fail('chat.postMessage', { kind: 'hang' });
    const error = await failure(adapter.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({ code: 'slack_timeout', retryable: true, ambiguous: true });
    expect(slack.calls.map((c) => c.outcome)).toEqual(['fault:hang']);
    const stored = slack
      .channel(CHANNEL)
      .filter((m) => m.metadata?.event_payload.incident_key === 'wl_5f0c9e1a7b2d4c33');
    expect(stored).toHaveLength(1);
    const found = await adapter.findIncidentMessage(CHANNEL, 'wl_5f0c9e1a7b2d4c33', { oldest: before });
    expect(found).toEqual({ channel: CHANNEL, ts: stored[0]?.ts });
    expect(await adapter.findIncidentMessage(CHANNEL, 'never-posted')).toBeNull();
  });

  it('finds the incident message past the first page of history, ignoring thread replies', async () => {
    const posted = await adapter.postMessage(CHANNEL, openMessage());
    await adapter.postThreadReply(CHANNEL, posted.ts, {
      ...openMessage(),
      text: 'reply with the same metadata',
    });
    for (let i = 0; i < 150; i += 1) {
      await adapter.postMessage(
        CHANNEL,
        buildSlackMessage(workloadIncident({ key: `k${i}` }), null, { now: NOW }),
      );
    }
    expect(await adapter.findIncidentMessage(CHANNEL, 'wl_5f0c9e1a7b2d4c33')).toEqual(posted);
    const history = slack.calls.filter((c) => c.method === 'conversations.history');
    expect(history).toHaveLength(2);
    expect(history[1]?.params.cursor).toBe('100');
  });

  it('rejects a wrong token as final and never echoes the token', async () => {
    const wrong = createSlackAdapter({
      token: 'xoxb-wrong-secret-value',
      slackApiUrl: slack.url,
      timeoutMs: 1_000,
    });
    const error = await failure(wrong.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({ code: 'slack_rejected', detail: 'invalid_auth', retryable: false });
    expect(slack.calls[0]?.auth).toBe('invalid');
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('xoxb-wrong-secret-value');
  });

  it('reports a reset connection as a network error that may have been accepted', async () => {
    slack.fail('chat.postMessage', { kind: 'reset' });
    const error = await failure(adapter.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({ code: 'slack_network', retryable: true, ambiguous: true });
    expect(slack.calls).toHaveLength(1);
  });

  it('reports a refused connection as retryable and certainly not sent', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const down = createSlackAdapter({ token: 't', slackApiUrl: `http://127.0.0.1:${port}/api/`, retries: 1 });
    const error = await failure(down.postMessage(CHANNEL, openMessage()));
    expect(error).toMatchObject({
      code: 'slack_network',
      detail: 'ECONNREFUSED',
      retryable: true,
      ambiguous: false,
    });
  });

  it('maps response_url failures and refuses hosts that are not Slack', async () => {
    expect(await failure(adapter.respond(`${baseOf(slack)}actions/unknown`, { text: 'x' }))).toMatchObject({
      code: 'slack_rejected',
      status: 404,
      detail: 'expired_url',
    });
    const url = slack.responseUrl();
    slack.fail('response_url', { kind: 'server_error' });
    expect(await failure(adapter.respond(url, { text: 'x' }))).toMatchObject({
      code: 'slack_server_error',
      retryable: true,
    });
    slack.fail('response_url', { kind: 'rate_limited', retryAfter: '3' });
    expect(await failure(adapter.respond(url, { text: 'x' }))).toMatchObject({
      code: 'slack_rate_limited',
      retryAfterSeconds: 3,
    });
    slack.fail('response_url', { kind: 'hang' });
    expect(await failure(adapter.respond(url, { text: 'x' }))).toMatchObject({
      code: 'slack_timeout',
      ambiguous: true,
    });
    const responsesBefore = slack.responses.length;
    const error = await failure(adapter.respond('https://evil.example/hook', { text: 'x' }));
    expect(error).toMatchObject({ code: 'slack_rejected', operation: 'response_url' });
    expect(error.message).not.toContain('evil.example');
    expect(slack.responses.length).toBe(responsesBefore);
  });
});
