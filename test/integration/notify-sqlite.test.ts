import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteAlertStateStore } from '../../lib/adapters/sqlite-alert-state.ts';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { parseEnvelope } from '../../lib/events/envelope.ts';
import { ingestBatch } from '../../lib/incidents/ingest.ts';
import { encodeNotice, noticeFor } from '../../lib/incidents/notice.ts';
import { routingConfigSchema } from '../../lib/notify/routing.ts';
import type { AlertDelivery } from '../../lib/pipeline/deliver-alert.ts';
import { createNotifier } from '../../lib/pipeline/notify.ts';
import { MemoryQueue } from '../../lib/queue/memory.ts';
import { failedPull } from '../support/alert-stack.ts';
import { recordingLogger } from '../support/envelopes.ts';

/**
 * The notify core as `pullwatch run` will use it: SQLite for incidents and alert state (one file), the
 * in-process queue, no Slack or SNS configured, and a sink that receives every rendered alert.
 */
const dir = mkdtempSync(join(tmpdir(), 'pullwatch-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('notify core on SQLite with an in-process queue and a sink', () => {
  it('hands the sink the rendered alert once per state change, with what is news', async () => {
    const path = join(dir, 'state.db');
    const store = new SqliteIncidentStore({ path });
    const alerts = new SqliteAlertStateStore({ path });
    const queue = new MemoryQueue();
    const { logger } = recordingLogger();
    let now = Date.parse('2026-11-01T10:00:00Z');
    const clock = () => now;
    const seen: AlertDelivery[] = [];
    const notify = createNotifier({
      store,
      alerts,
      routing: routingConfigSchema.parse({}),
      slack: null,
      sns: null,
      diagnose: null,
      sinks: [(delivery) => void seen.push(delivery)],
      clock,
      logger,
    });
    const drainQueue = async () => {
      const received = await queue.receive({ maxMessages: 10 });
      const report = await notify(received, { remainingMs: () => 30_000 });
      await queue.delete(received.map((m) => m.receiptHandle));
      return report;
    };

    const envelope = failedPull({
      uid: 'r1',
      image: 'registry.example.com/team/api:v9',
      at: new Date(now).toISOString(),
    });
    await ingestBatch([{ messageId: 'm1', body: JSON.stringify(parseEnvelope(envelope)), receiveCount: 1 }], {
      store,
      notices: queue,
      clock,
      logger,
    });
    expect((await drainQueue()).failed).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ news: [{ type: 'opened' }], posted: [], route: { reason: 'default' } });
    expect(seen[0]?.slack.text).toContain('shop/api: Image tag not found');
    expect(seen[0]?.sns.subject).toBe('[CRITICAL] prod shop/api: Image tag not found');

    now += 60_000;
    const key = seen[0]!.incident.key;
    const acked = await store.transition(key, { type: 'acknowledge', by: 'ana' }, now);
    if (acked.outcome !== 'applied') throw new Error('acknowledge refused');
    await queue.send([{ id: 'n', body: encodeNotice(noticeFor(acked.incident)) }]);
    await drainQueue();
    expect(seen).toHaveLength(2);
    expect(seen[1]?.news).toEqual([]);
    expect(seen[1]?.slack.text).toContain('👀');

    // The same notice again: already told, the sink hears nothing.
    await queue.send([{ id: 'n', body: encodeNotice(noticeFor(acked.incident)) }]);
    expect((await drainQueue()).results[0]).toMatchObject({ outcome: 'skipped', reason: 'already_notified' });
    expect(seen).toHaveLength(2);
    await Promise.all([store.close(), alerts.close()]);
  });
});
