import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
} from '../../lib/adapters/dynamodb-store.ts';
import { registryKey, workloadKey } from '../../lib/incidents/fingerprint.ts';
import { type IngestDependencies, ingestBatch } from '../../lib/incidents/ingest.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import { resolvePolicy } from '../../lib/incidents/policy.ts';
import { MemoryQueue } from '../../lib/queue/memory.ts';
import { type Dynalite, startDynalite } from '../support/dynalite.ts';
import { envelope, record, recordingLogger } from '../support/envelopes.ts';
import { notFoundMessage, stormEnvelopes, tlsMessage } from '../support/storm.ts';

const IMAGE = 'registry.example.com/team/api:v9';
const KEY = workloadKey({
  cluster: 'prod',
  namespace: 'shop',
  workload: { kind: 'Deployment', name: 'api' },
  image: IMAGE,
});
const T0 = Date.parse('2026-11-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

let dynalite: Dynalite;
let tables = 0;
const stores: DynamoIncidentStore[] = [];

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await dynalite?.stop();
});

async function setup(options: { deadLetters?: boolean; updateIntervalSeconds?: number } = {}) {
  tables += 1;
  const connection = {
    endpoint: dynalite.endpoint,
    region: dynalite.region,
    credentials: dynalite.credentials,
  };
  const admin = createDynamoClient(connection);
  await createIncidentTable(admin, `ingest-${tables}`);
  admin.destroy();
  const store = new DynamoIncidentStore({
    tableName: `ingest-${tables}`,
    connection,
    policy: resolvePolicy({ updateIntervalSeconds: options.updateIntervalSeconds ?? 60 }),
  });
  stores.push(store);
  const notices = new MemoryQueue();
  const deadLetters = new MemoryQueue();
  const { lines, logger } = recordingLogger();
  let now = T0;
  const deps: IngestDependencies = {
    store,
    notices,
    deadLetters: options.deadLetters === false ? null : deadLetters,
    clock: () => now,
    logger,
  };
  return {
    store,
    notices,
    deadLetters,
    lines,
    ingest: (records: Parameters<typeof ingestBatch>[0]) => ingestBatch(records, deps),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    async drainNotices() {
      const out = [];
      for (let batch = await notices.receive(); batch.length > 0; batch = await notices.receive()) {
        out.push(...batch.map((m) => parseNotice(m.body)));
        await notices.delete(batch.map((m) => m.receiptHandle));
      }
      return out;
    },
  };
}

const failed = (uid: string, seconds: number, count = 1, extra = {}) =>
  envelope({
    uid,
    reason: 'Failed',
    message: notFoundMessage(IMAGE),
    count,
    first: at(0),
    last: at(seconds),
    ...extra,
  });
const backoff = (uid: string, seconds: number, count = 1, pod?: string) =>
  envelope({
    uid,
    reason: 'BackOff',
    message: `Back-off pulling image "${IMAGE}"`,
    count,
    first: at(0),
    last: at(seconds),
    pod,
  });
const errImagePull = (uid: string, seconds: number, count = 1) =>
  envelope({ uid, reason: 'Failed', message: 'Error: ErrImagePull', count, first: at(0), last: at(seconds) });

describe('ingest: dedupe into incidents, notify on change', () => {
  it('opens one incident for a first failure and hands one notice to the notices queue', async () => {
    const s = await setup();
    const report = await s.ingest([record(failed('e1', 0, 2))]);
    expect(report.failed).toEqual([]);
    expect(report.decisions).toEqual([
      { key: KEY, action: 'open', reason: 'new_incident', kind: 'workload' },
    ]);
    const notices = await s.drainNotices();
    expect(notices).toEqual([
      expect.objectContaining({
        v: 1,
        key: KEY,
        seq: 1,
        action: 'open',
        cause: 'tag_not_found',
        count: 2,
        kind: 'workload',
      }),
    ]);
    const stored = await s.store.get(KEY);
    expect(stored).toMatchObject({
      image: IMAGE,
      cause: 'tag_not_found',
      pendingNotice: null,
      pods: ['api-7d9f8c6b5-x2k4p'],
    });
  });

  it('does nothing for an SQS redelivery of the same batch: no write, no notice', async () => {
    const s = await setup();
    const batch = [record(failed('e1', 0)), record(backoff('b1', 5))];
    await s.ingest(batch);
    await s.drainNotices();
    s.advance(120);
    const again = await s.ingest(batch.map((r) => ({ ...r, receiveCount: 2 })));
    expect(again).toMatchObject({ failed: [], writes: 0, notices: [] });
    expect(await s.drainNotices()).toEqual([]);
    expect((await s.store.get(KEY))?.count).toBe(1);
  });

  it('handles out-of-order delivery: cause-less events first, older copies last', async () => {
    const s = await setup();
    const early = await s.ingest([record(backoff('b1', 30, 3)), record(errImagePull('p1', 31, 2))]);
    expect(early.decisions.map((d) => d.reason)).toEqual(['awaiting_cause']);
    expect(await s.drainNotices()).toEqual([]);
    s.advance(5);
    const cause = await s.ingest([record(failed('f1', 29, 5))]);
    expect(cause.decisions.map((d) => d.action)).toEqual(['open']);
    s.advance(5);
    const stale = await s.ingest([record(failed('f1', 10, 3)), record(backoff('b1', 20, 1))]);
    expect(stale.writes).toBe(0);
    const stored = await s.store.get(KEY);
    // Counted are failed pulls (f1 reached count 5); the back-offs only moved lastSeen.
    expect(stored).toMatchObject({ count: 5, cause: 'tag_not_found', firstSeen: at(0), lastSeen: at(31) });
    expect((await s.drainNotices()).map((n) => n.action)).toEqual(['open']);
  });

  it('keeps a known cause when only BackOff follows', async () => {
    const s = await setup();
    await s.ingest([record(failed('f1', 0))]);
    s.advance(300);
    const report = await s.ingest([record(backoff('b1', 300, 4, 'api-7d9f8c6b5-q9z8w'))]);
    expect(report.decisions[0]).toMatchObject({ action: 'update', reason: 'repeat' });
    expect((await s.store.get(KEY))?.cause).toBe('tag_not_found');
    const notices = await s.drainNotices();
    expect(notices.map((n) => [n.action, n.cause])).toEqual([
      ['open', 'tag_not_found'],
      ['update', 'tag_not_found'],
    ]);
  });

  it('fails a malformed record alone and dead-letters a bad envelope from a pack alone', async () => {
    const s = await setup();
    const good = record(failed('f1', 0));
    const notJson = record('{"v":1,"cluster":');
    const future = record({ ...failed('f2', 0), v: 2 });
    const pack = record({
      v: 1,
      pack: [
        backoff('b1', 1),
        { ...failed('f3', 1), event: { reason: 'Failed' } },
        envelope({
          uid: 'w2',
          reason: 'Failed',
          message: notFoundMessage(IMAGE),
          last: at(2),
          deployment: 'web',
        }),
      ],
    });
    const report = await s.ingest([good, notJson, future, pack]);
    expect(report.failed.sort()).toEqual([notJson.messageId, future.messageId].sort());
    expect(report).toMatchObject({ events: 3, deadLettered: 1 });
    expect(report.decisions.map((d) => d.action).sort()).toEqual(['open', 'open']);
    const parked = await s.deadLetters.receive();
    expect(parked).toHaveLength(1);
    expect(parked[0]!.attributes).toMatchObject({
      pullwatch_error: 'envelope_invalid',
      pullwatch_source: pack.messageId,
    });
    expect(JSON.parse(parked[0]!.body).event).toEqual({ reason: 'Failed' });
    const warnings = s.lines.filter((l) => l.level === 'warn').map((l) => l.fields.code);
    expect(warnings.sort()).toEqual(['envelope_invalid', 'envelope_version_unsupported', 'message_not_json']);
    expect(s.lines.find((l) => l.fields.code === 'envelope_version_unsupported')?.fields.error).toMatch(
      /version 2/,
    );
  });

  it('without a dead-letter queue, fails the pack but still processes its good envelopes', async () => {
    const s = await setup({ deadLetters: false });
    const pack = record({ v: 1, pack: [failed('f1', 0), { v: 1, nonsense: true }] });
    const report = await s.ingest([pack]);
    expect(report.failed).toEqual([pack.messageId]);
    expect(report.decisions.map((d) => d.action)).toEqual(['open']);
  });

  it('turns a registry-wide failure across many workloads into one registry incident', async () => {
    const s = await setup();
    const host = 'registry.example.com';
    const batch = Array.from({ length: 14 }, (_, i) => {
      const image = `${host}/team/svc-${i}:v2`;
      return record(
        envelope({
          uid: `tls-${i}`,
          reason: 'Failed',
          message: tlsMessage(image, host),
          last: at(i),
          namespace: `team-${i % 5}`,
          deployment: `svc-${i}`,
          image,
        }),
      );
    });
    const report = await s.ingest(batch);
    const announced = report.decisions.filter((d) => d.action !== 'none');
    expect(announced).toEqual([
      {
        key: registryKey({ cluster: 'prod', registry: host, cause: 'tls' }),
        action: 'open',
        reason: 'new_incident',
        kind: 'registry',
      },
    ]);
    expect(report.decisions.filter((d) => d.reason === 'rolled_up')).toHaveLength(14);
    const notices = await s.drainNotices();
    expect(notices).toHaveLength(1);
    const registry = await s.store.get(announced[0]!.key);
    expect(registry).toMatchObject({
      kind: 'registry',
      cause: 'tls',
      affectedTotal: 14,
      count: 14,
      registry: host,
    });
    expect(new Set(registry?.affected.map((a) => a.namespace)).size).toBe(5);
  });

  it('turns a 10,000-event storm of one bad tag over 50 pods into one open and few updates', async () => {
    const s = await setup({ updateIntervalSeconds: 60 });
    const storm = [...stormEnvelopes({ events: 10_000, pods: 50, image: IMAGE })];
    let writes = 0;
    for (let i = 0; i < storm.length; i += 100) {
      s.advance(0.72);
      const report = await s.ingest(storm.slice(i, i + 100).map((e) => record(e)));
      expect(report.failed).toEqual([]);
      writes += report.writes;
    }
    const notices = await s.drainNotices();
    expect(notices.filter((n) => n.action === 'open')).toHaveLength(1);
    // 100 batches over 72 s with a 60 s update interval: at most two updates.
    expect(notices.filter((n) => n.action === 'update').length).toBeLessThanOrEqual(2);
    expect(notices.filter((n) => n.action !== 'open' && n.action !== 'update')).toEqual([]);
    expect(writes).toBeLessThanOrEqual(100);
    // A quarter of the storm's events are failed pulls; the rest echo them (ErrImagePull, BackOff).
    expect((await s.store.get(KEY))?.count).toBe(2_500);
  }, 120_000);
});
