import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseNotice } from '../../lib/incidents/notice.ts';
import { notifyBatch } from '../../lib/pipeline/notify.ts';
import type { SweepReport } from '../../lib/pipeline/sweep.ts';
import {
  type AlertStack,
  CHANNELS,
  failedPull,
  ingest,
  lambdaContext,
  notifyDeps,
  receiveNotices,
  startAlertStack,
} from '../support/alert-stack.ts';
import { workloadFailure } from '../support/incident-fixtures.ts';

/**
 * The sweep Lambda as deployed (EventBridge schedule event, settings from PULLWATCH_CONFIG): quiet
 * incidents resolve and their alert turns green through notify; a notice lost between the store write and
 * the queue is sent again.
 */
let stack: AlertStack;
let handler: (event: ScheduledEvent, context: Context) => Promise<SweepReport>;
const saved = { ...process.env };
for (const method of ['log', 'info', 'warn', 'error'] as const)
  vi.spyOn(console, method).mockImplementation(() => {});

beforeAll(async () => {
  stack = await startAlertStack({ noticeVisibilitySeconds: 30 });
  Object.assign(process.env, stack.env, {
    PULLWATCH_CONFIG: JSON.stringify(
      stack.config({ policy: { quietPeriodSeconds: 1800, noticeGraceSeconds: 60 } }),
    ),
  });
  ({ handler } = await import('../../functions/sweep.ts'));
}, 60_000);

afterAll(async () => {
  process.env = saved;
  vi.restoreAllMocks();
  await stack?.stop();
});

const scheduled: ScheduledEvent = {
  version: '0',
  id: 'c0ffee00-0000-4000-8000-000000000001',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/pullwatch-sweep'],
  detail: {},
};

describe('sweep Lambda', () => {
  it('resolves a quiet incident, and notify turns its alert green', async () => {
    const hourAgo = new Date(Date.now() - 60 * 60_000).toISOString();
    const image = `registry.example.com/team/old:v1`;
    const [opened] = await ingest(stack, [
      failedPull({ uid: 'q1', image, at: hourAgo, namespace: 'web', deployment: 'old' }),
    ]);
    const key = opened!.key;
    const deps = notifyDeps(stack, { clock: Date.now, diagnose: false });
    const first = await receiveNotices(stack.notices, [key]);
    await notifyBatch(
      first.map((m) => ({ ...m, receiveCount: 1 })),
      deps,
      { remainingMs: () => 30_000 },
    );
    await stack.notices.queue.delete(first.map((m) => m.receiptHandle));

    const report = await handler(scheduled, lambdaContext('sweep', 60_000));
    expect(report).toMatchObject({ complete: true, failed: 0 });
    expect(report.transitions.resolve).toBeGreaterThanOrEqual(1);
    expect(await deps.store.get(key)).toMatchObject({ state: 'resolved', resolvedBy: 'quiet' });

    const [notice] = await receiveNotices(stack.notices, [key]);
    expect(parseNotice(notice!.body)).toMatchObject({ action: 'resolve', state: 'resolved' });
    await notifyBatch([{ ...notice!, receiveCount: 1 }], deps, { remainingMs: () => 30_000 });
    const [alert] = stack.slack
      .channel(CHANNELS.alerts)
      .filter((m) => m.metadata?.event_payload.incident_key === key);
    expect((alert?.attachments?.[0] as { color?: string } | undefined)?.color).toBe('#2EB67D');
    await stack.notices.queue.delete([notice!.receiptHandle]);
  });

  it('sends again a notice that never reached the queue', async () => {
    const { store } = stack.stores();
    const twoMinutesAgo = Date.now() - 2 * 60_000;
    const observation = workloadFailure({
      at: new Date(twoMinutesAgo).toISOString(),
      workload: { kind: 'Deployment', name: 'lost-notice' },
    });
    // Written with its outbox entry, then the process died before sending the notice.
    const { incident } = await store.observe(observation, twoMinutesAgo);
    expect(incident?.pendingNotice).not.toBeNull();

    const report = await handler(scheduled, lambdaContext('sweep', 60_000));
    expect(report.resent).toBeGreaterThanOrEqual(1);
    const [notice] = await receiveNotices(stack.notices, [observation.key]);
    expect(parseNotice(notice!.body)).toMatchObject({ key: observation.key, action: 'open', seq: 1 });
    expect((await store.get(observation.key))?.pendingNotice).toBeNull();
  });
});
