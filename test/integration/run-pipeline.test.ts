import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import { InProcessPipeline, type NoticeMessage } from '../../lib/run/pipeline.ts';
import { envelope, recordingLogger } from '../support/envelopes.ts';

/**
 * The in-process pipeline of `pullwatch run` on the real SQLite store: events queue → the Lambda's ingest
 * core → notices queue → the notify step, with the queues' at-least-once redelivery.
 */
let dir: string;
let store: SqliteIncidentStore;
let now: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-run-pipeline-'));
  store = new SqliteIncidentStore({ path: join(dir, 'incidents.db') });
  now = Date.parse('2026-03-10T09:00:00Z');
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const at = (seconds: number) => new Date(Date.parse('2026-03-10T09:00:00Z') + seconds * 1000).toISOString();

function failed(uid: string, count: number, seconds: number) {
  return JSON.stringify(
    envelope({
      uid,
      reason: 'Failed',
      count,
      first: at(0),
      last: at(seconds),
      message:
        'Failed to pull image "registry.example.com/team/api:v9": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/team/api:v9": failed to resolve reference "registry.example.com/team/api:v9": registry.example.com/team/api:v9: not found',
    }),
  );
}

function pulled(seconds: number) {
  return JSON.stringify(
    envelope({
      uid: 'pulled-1',
      reason: 'Pulled',
      kind: 'resolved',
      last: at(seconds),
      message:
        'Successfully pulled image "registry.example.com/team/api:v9" in 1.2s (1.2s including waiting)',
    }),
  );
}

describe('in-process pipeline', () => {
  it('a new problem, its repeats and its fix become open, update and resolve notices, in order', async () => {
    const seen: string[] = [];
    const pipeline = new InProcessPipeline({
      store,
      clock: () => now,
      logger: recordingLogger().logger,
      notify: async (records) => {
        for (const record of records) seen.push(parseNotice(record.body).action);
        return { failed: [] };
      },
    });
    const step = async (seconds: number, bodies: string[]) => {
      now = Date.parse(at(seconds));
      await pipeline.events.send(bodies.map((body, i) => ({ id: `m${i}`, body })));
      await pipeline.drain();
    };
    await step(1, [failed('e1', 1, 1)]);
    await step(2, [failed('e1', 1, 1)]); // the same observation again (at-least-once): nothing new
    await step(90, [failed('e1', 2, 90), failed('e1', 3, 91)]);
    await step(200, [pulled(200)]);
    expect(seen).toEqual(['open', 'update', 'resolve']);
    expect(pipeline.stats).toMatchObject({ events: 5, notices: 3, givenUp: 0 });
    expect(pipeline.stats.decisions).toMatchObject({ open: 1, update: 1, resolve: 1 });
    expect(pipeline.depth).toBe(0);
  });

  it('a notice whose delivery fails comes back, and is given up with an error line after maxReceives', async () => {
    const { lines, logger } = recordingLogger();
    const attempts: number[] = [];
    const pipeline = new InProcessPipeline({
      store,
      clock: () => now,
      logger,
      visibilityMs: 10,
      maxReceives: 3,
      notify: async (records: readonly NoticeMessage[]) => {
        attempts.push(...records.map((r) => r.receiveCount));
        return { failed: records.map((r) => r.messageId) };
      },
    });
    await pipeline.events.send([{ id: 'a', body: failed('e1', 1, 1) }]);
    expect(await pipeline.settle(5_000)).toBe(true);
    expect(attempts).toEqual([1, 2, 3]);
    expect(pipeline.stats.givenUp).toBe(1);
    expect(lines.some((l) => l.level === 'error' && /giving up/.test(l.message))).toBe(true);
  });

  it('a notify step that throws fails its batch instead of stopping the pipeline', async () => {
    let calls = 0;
    const pipeline = new InProcessPipeline({
      store,
      clock: () => now,
      logger: recordingLogger().logger,
      visibilityMs: 10,
      notify: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return { failed: [] };
      },
    });
    await pipeline.events.send([{ id: 'a', body: failed('e1', 1, 1) }]);
    expect(await pipeline.settle(5_000)).toBe(true);
    expect(calls).toBe(2);
    expect(pipeline.stats.notices).toBe(1);
  });

  it('a message that is not an envelope is given up after its retries; the good one beside it is not held up', async () => {
    const seen: string[] = [];
    const pipeline = new InProcessPipeline({
      store,
      clock: () => now,
      logger: recordingLogger().logger,
      visibilityMs: 10,
      maxReceives: 2,
      notify: async (records) => {
        seen.push(...records.map((r) => parseNotice(r.body).action));
        return { failed: [] };
      },
    });
    await pipeline.events.send([
      { id: 'bad', body: '{"v":1,"cluster":"x"}' },
      { id: 'good', body: failed('e1', 1, 1) },
    ]);
    expect(await pipeline.settle(5_000)).toBe(true);
    expect(seen).toEqual(['open']);
    expect(pipeline.stats.givenUp).toBe(1);
  });

  it('drains are serialised: concurrent calls never ingest the same message twice', async () => {
    let delivered = 0;
    const pipeline = new InProcessPipeline({
      store,
      clock: () => now,
      logger: recordingLogger().logger,
      notify: async (records) => {
        delivered += records.length;
        return { failed: [] };
      },
    });
    await pipeline.events.send(
      Array.from({ length: 50 }, (_, i) => ({
        id: `m${i}`,
        body: failed(`e${i % 5}`, 1 + Math.floor(i / 5), 1 + i),
      })),
    );
    await Promise.all([pipeline.drain(), pipeline.drain(), pipeline.drain()]);
    expect(pipeline.stats.events).toBe(50);
    expect(delivered).toBe(1);
  });
});
