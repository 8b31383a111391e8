import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackAdapter } from '../../lib/adapters/slack.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import { resolvePolicy } from '../../lib/incidents/policy.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { buildSlackMessage } from '../../lib/notify/slack-message.ts';
import type { AlertDelivery } from '../../lib/pipeline/deliver-alert.ts';
import { notifyBatch } from '../../lib/pipeline/notify.ts';
import { handleSlackAction } from '../../lib/pipeline/slack-actions.ts';
import { sweep } from '../../lib/pipeline/sweep.ts';
import {
  type AlertStack,
  CHANNELS,
  drain,
  failedPull,
  ingest,
  notifyDeps,
  receiveNotices,
  SIGNING_SECRET,
  signedClick,
  startAlertStack,
} from '../support/alert-stack.ts';
import { recordingLogger } from '../support/envelopes.ts';

/**
 * An alert's whole life on the real services, with the clock in the test's hands: ingest → notices queue →
 * notify → Slack/SNS, button clicks through slack-actions, and sweep on its schedule. Times are offsets from
 * the test's start (Slack's ts values are wall-clock, and a reconcile looks back from the episode's start).
 */
const policy = resolvePolicy({
  updateIntervalSeconds: 60,
  quietPeriodSeconds: 1800,
  reminderIntervalSeconds: 3600,
  noticeGraceSeconds: 60,
});
const start = Date.now();
let offsetMs = 0;
const clock = () => start + offsetMs;
const at = (minutes: number) => {
  offsetMs = minutes * 60_000;
  return new Date(clock()).toISOString();
};

let stack: AlertStack;
const delivered: AlertDelivery[] = [];

beforeAll(async () => {
  // Long visibility: a notice received once is not seen again while the test handles it.
  stack = await startAlertStack({ noticeVisibilitySeconds: 60 });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.slack.calls.length = 0;
  stack.slack.clearFaults();
  delivered.length = 0;
});

const deps = () =>
  notifyDeps(stack, { clock, policy, diagnose: false, sinks: [(delivery) => void delivered.push(delivery)] });

/** A failing pull at `minutes`, ingested; the notices it produced are on the queue. */
async function fail(
  key: string | null,
  spec: {
    deployment: string;
    namespace?: string;
    minutes: number;
    count?: number;
    message?: (image: string) => string;
  },
) {
  const image = `registry.example.com/team/${spec.deployment}:v9`;
  const sent = await ingest(
    stack,
    [
      failedPull({
        uid: `${spec.deployment}-e1`,
        image,
        at: at(spec.minutes),
        namespace: spec.namespace ?? 'web',
        deployment: spec.deployment,
        count: spec.count ?? 1,
        ...(spec.message ? { message: spec.message(image) } : {}),
      }),
    ],
    clock,
    policy,
  );
  return key ?? sent[0]!.key;
}

/** Runs notify over whatever notices of `key` are on the queue; returns how many there were. */
async function notify(key: string, receiveCount = 1): Promise<number> {
  const messages = await receiveNotices(stack.notices, [key], 10, 2);
  if (messages.length === 0) return 0;
  const report = await notifyBatch(
    messages.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount })),
    deps(),
    { remainingMs: () => 30_000 },
  );
  expect(report.failed).toEqual([]);
  await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  return messages.length;
}

async function runSweep(minutes: number) {
  at(minutes);
  const { store } = stack.stores(policy);
  return sweep(
    { store, notices: stack.notices.queue, clock, logger: recordingLogger().logger },
    { remainingMs: () => 60_000 },
  );
}

async function click(key: string, actionId: string, minutes: number) {
  at(minutes);
  const incident = (await stack.stores(policy).store.get(key)) as IncidentRecord;
  const request = signedClick(stack, { key, actionId, message: incident.slack!, now: clock() });
  const { store, alerts } = stack.stores(policy);
  const response = await handleSlackAction(
    { method: 'POST', headers: request.headers, body: Buffer.from(request.body) },
    {
      store,
      alerts,
      notices: stack.notices.queue,
      slack: createSlackAdapter({
        token: stack.slack.token,
        slackApiUrl: stack.slack.url,
        responseUrlPrefixes: [stack.slack.url.replace(/api\/$/, '')],
      }),
      signingSecret: SIGNING_SECRET,
      clock,
      logger: recordingLogger().logger,
    },
  );
  expect(response.statusCode).toBe(200);
}

const calls = () => stack.slack.calls.map((c) => `${c.method}${c.params.thread_ts ? ' (thread)' : ''}`);
const replies = (key: string) => {
  const root = stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === key);
  return stack.slack.messages.filter((m) => root.some((r) => r.channel === m.channel && r.ts === m.threadTs));
};
const incident = async (key: string) => (await stack.stores(policy).store.get(key)) as IncidentRecord;

describe('an alert’s life', () => {
  it('acknowledged: later repeats update the message silently, and nobody is reminded', async () => {
    const key = await fail(null, { deployment: 'ack', minutes: 0 });
    expect(await notify(key)).toBe(1);
    expect(calls()).toEqual(['chat.postMessage']);
    expect(delivered[0]).toMatchObject({ news: [{ type: 'opened' }], incident: { key } });

    await click(key, 'pullwatch_acknowledge', 1);
    await notify(key);
    await fail(key, { deployment: 'ack', minutes: 3, count: 5 });
    expect(await notify(key)).toBe(1);
    // Failing on (never quiet for a whole quiet period, which would open a new episode).
    await fail(key, { deployment: 'ack', minutes: 30, count: 7 });
    await notify(key);
    await fail(key, { deployment: 'ack', minutes: 59, count: 9 });
    await notify(key);
    await runSweep(65);
    expect((await incident(key)).remindedAt).toBeNull();
    await notify(key);

    expect(calls().filter((c) => c !== 'chat.update')).toEqual(['chat.postMessage']);
    expect(replies(key)).toHaveLength(0);
    const [message] = stack.slack
      .channel(CHANNELS.alerts)
      .filter((m) => m.metadata?.event_payload.incident_key === key);
    expect(JSON.stringify(message?.attachments)).toContain('Acknowledged by <@U0ANA0001>');
    expect(JSON.stringify(message?.attachments)).toContain('9 events');
  });

  it('snoozed: silence while snoozed, then the thread and SNS hear it when the snooze ends on a failing incident', async () => {
    const key = await fail(null, { deployment: 'snz', namespace: 'shop', minutes: 0 });
    await notify(key);
    expect(calls()).toEqual(['chat.postMessage', 'chat.postMessage']);
    expect(await drain(stack.snsQueue, 1)).toHaveLength(1);

    await click(key, 'pullwatch_snooze_3600', 1);
    await notify(key);
    stack.slack.calls.length = 0;
    await fail(key, { deployment: 'snz', namespace: 'shop', minutes: 10, count: 4 });
    await runSweep(30);
    expect(await receiveNotices(stack.notices, [key], 1, 2)).toHaveLength(0);
    await fail(key, { deployment: 'snz', namespace: 'shop', minutes: 55, count: 8 });
    expect(await notify(key)).toBe(0);
    expect(stack.slack.calls).toHaveLength(0);
    expect(await drain(stack.snsQueue, 1, 2)).toHaveLength(0);

    await runSweep(62);
    const [notice] = await receiveNotices(stack.notices, [key], 1, 5);
    expect(parseNotice(notice!.body).action).toBe('wake');
    await stack.notices.queue.send([{ id: 'again', body: notice!.body }]);
    await notify(key, 2);
    expect(calls().sort()).toEqual([
      'chat.postMessage (thread)',
      'chat.postMessage (thread)',
      'chat.update',
      'chat.update',
    ]);
    expect(replies(key).map((m) => m.text)).toEqual([
      expect.stringContaining('Snooze ended, still failing'),
      expect.stringContaining('Snooze ended, still failing'),
    ]);
    const published = await drain(stack.snsQueue, 2, 2);
    expect(published).toHaveLength(1);
    expect(JSON.parse(published[0]!.body).MessageAttributes.state.Value).toBe('open');
    expect((await incident(key)).state).toBe('open');
  });

  it('resolved by Resolve: the message turns green and SNS says so; quiet incidents resolve the same way', async () => {
    const key = await fail(null, { deployment: 'res', namespace: 'shop', minutes: 0 });
    await notify(key);
    await drain(stack.snsQueue, 1);
    await click(key, 'pullwatch_resolve', 2);
    await notify(key);
    const messages = stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === key);
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      expect((message.attachments?.[0] as { color?: string } | undefined)?.color).toBe('#2EB67D');
      expect(message.text).toContain('Resolved');
    }
    const [published] = await drain(stack.snsQueue, 1);
    expect(JSON.parse(published!.body).Subject).toMatch(/^\[RESOLVED\]/);

    const quiet = await fail(null, { deployment: 'quiet', minutes: 0 });
    await notify(quiet);
    await runSweep(31);
    expect((await incident(quiet)).resolvedBy).toBe('quiet');
    await notify(quiet);
    const [green] = stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === quiet);
    expect((green?.attachments?.[0] as { color?: string } | undefined)?.color).toBe('#2EB67D');
    expect(JSON.stringify(green?.attachments)).toContain('no failures for a while');
    expect(replies(quiet)).toHaveLength(0);
  });

  it('reminds an unacknowledged incident once per interval, in the thread', async () => {
    const key = await fail(null, { deployment: 'rem', minutes: 0 });
    await notify(key);
    await fail(key, { deployment: 'rem', minutes: 20, count: 3 });
    await notify(key);
    await fail(key, { deployment: 'rem', minutes: 45, count: 6 });
    await notify(key);
    // Sweep covers every incident of the table; this one is reminded once.
    await runSweep(61);
    const reminded = (await incident(key)).remindedAt;
    expect(reminded).toBe(new Date(clock()).toISOString());
    await notify(key);
    await runSweep(62);
    expect((await incident(key)).remindedAt).toBe(reminded);
    await notify(key);
    expect(replies(key).map((m) => m.text)).toEqual([expect.stringContaining('Reminder: still failing')]);
  });

  it('tells a cause change and a recurrence in the thread; a recurrence long after is a new alert', async () => {
    const unauthorized = (image: string) =>
      `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": unexpected status from HEAD request to https://registry.example.com/v2/team/cc/manifests/v9: 401 Unauthorized`;
    const key = await fail(null, { deployment: 'cc', minutes: 0 });
    await notify(key);
    await fail(key, { deployment: 'cc', minutes: 2, count: 1, message: unauthorized });
    await notify(key);
    expect(replies(key).map((m) => m.text)).toEqual([
      expect.stringContaining('Cause changed: Image tag not found → '),
    ]);

    await runSweep(40);
    await notify(key);
    await fail(key, { deployment: 'cc', minutes: 50, count: 2, message: unauthorized });
    await notify(key);
    expect(replies(key).map((m) => m.text)).toEqual([
      expect.stringContaining('Cause changed'),
      expect.stringContaining('Failing again'),
    ]);
    expect(stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === key)).toHaveLength(
      1,
    );

    // Resolved again, then failing more than a day later: a fresh alert, the old one stays green.
    await runSweep(90);
    await notify(key);
    await fail(key, { deployment: 'cc', minutes: 60 * 30, count: 3, message: unauthorized });
    await notify(key);
    const roots = stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === key);
    expect(roots).toHaveLength(2);
    expect((await incident(key)).slack?.ts).toBe(roots[1]?.ts);
  });

  it('waits for another live sender instead of posting beside it, until its lease runs out', async () => {
    const key = await fail(null, { deployment: 'busy', minutes: 0 });
    const current = await incident(key);
    const { store } = stack.stores(policy);
    expect((await store.claimNotification(key, { seq: current.seq, token: 'other' }, clock())).claimed).toBe(
      true,
    );
    const messages = await receiveNotices(stack.notices, [key], 1, 2);
    const deferred: number[] = [];
    const report = await notifyBatch(
      messages.map((m) => ({ ...m, receiveCount: 1 })),
      { ...deps(), defer: async (_handle, seconds) => void deferred.push(seconds) },
      { remainingMs: () => 30_000 },
    );
    expect(report.failed).toEqual([messages[0]!.messageId]);
    expect(report.results[0]).toMatchObject({ outcome: 'retry', reason: 'claimed_by_another_sender' });
    expect(deferred).toEqual([60]);
    expect(stack.slack.calls).toHaveLength(0);
    await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
  });

  it('a sender that died after posting: the one taking over finds the post instead of posting again', async () => {
    const key = await fail(null, { deployment: 'crash', minutes: 0 });
    const { store } = stack.stores(policy);
    const current = await incident(key);
    // The dead sender: claimed, posted, never recorded.
    expect((await store.claimNotification(key, { seq: current.seq, token: 'dead' }, clock())).claimed).toBe(
      true,
    );
    const slack = createSlackAdapter({ token: stack.slack.token, slackApiUrl: stack.slack.url });
    const posted = await slack.postMessage(
      CHANNELS.alerts,
      buildSlackMessage(current, null, { now: clock() }),
    );
    stack.slack.calls.length = 0;

    at(2); // its lease (60 s) ran out
    expect(await notify(key)).toBe(1);
    expect(calls()).toEqual(['conversations.history', 'chat.update']);
    expect((await incident(key)).slack).toEqual(posted);
    expect(stack.slack.messages.filter((m) => m.metadata?.event_payload.incident_key === key)).toHaveLength(
      1,
    );
  });
});
