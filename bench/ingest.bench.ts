import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
  type DynamoStoreOptions,
  itemSize,
} from '../lib/adapters/dynamodb-store.ts';
import type { EnvelopeInput } from '../lib/events/envelope.ts';
import { type IngestRecord, ingestBatch } from '../lib/incidents/ingest.ts';
import type { IncidentRecord } from '../lib/incidents/types.ts';
import { messageBytes } from '../lib/queue/batches.ts';
import { MemoryQueue } from '../lib/queue/memory.ts';
import { createLogger } from '../lib/runtime/logger.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { stormEnvelopes } from '../test/support/storm.ts';
import type { BenchRow } from './table.ts';

/**
 * The ingest stage end to end through `ingestBatch` (what the Lambda handler calls) against DynamoDB's API
 * (dynalite) and an in-process notices queue, counting every API call so the cost per million events
 * follows from list prices rather than guesses.
 *
 * List prices (us-east-1, on-demand, no free tier): SQS $0.40 per million requests, each 64 KiB of payload
 * a request; Lambda $0.0000166667 per GB-s (x86) and $0.20 per million invocations; DynamoDB $0.625 per
 * million write request units (1 KiB each, the larger of the item before and after) and $0.125 per million
 * read request units (strongly consistent: 4 KiB each).
 */
const PRICE = {
  sqsRequest: 0.4 / 1e6,
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  wru: 0.625 / 1e6,
  rru: 0.125 / 1e6,
};
const LAMBDA_MEMORY_GB = 0.25;
const SQS_CHUNK = 64 * 1024;
const BATCH = 100;
const PACK_BYTES = 240 * 1024;

class CountingStore extends DynamoIncidentStore {
  reads = 0;
  readUnits = 0;
  writes = 0;
  writeUnits = 0;

  constructor(options: DynamoStoreOptions) {
    super(options);
  }

  protected override async load(key: string): Promise<IncidentRecord | null> {
    const incident = await super.load(key);
    this.reads += 1;
    this.readUnits += Math.max(1, Math.ceil(itemBytes(incident) / 4096));
    return incident;
  }

  protected override async save(next: IncidentRecord, previous: IncidentRecord | null): Promise<boolean> {
    this.writes += 1;
    this.writeUnits += Math.max(1, Math.ceil(Math.max(itemBytes(next), itemBytes(previous)) / 1024));
    return super.save(next, previous);
  }
}

function itemBytes(incident: IncidentRecord | null): number {
  return incident ? itemSize(incident) : 0;
}

interface Scenario {
  name: string;
  envelopes: EnvelopeInput[];
}

interface Measured {
  events: number;
  batches: number;
  writes: number;
  writeUnits: number;
  readUnits: number;
  notices: number;
  noticeBytes: number;
  opens: number;
  seconds: number;
}

async function measure(
  scenario: Scenario,
  endpoint: string,
  table: string,
  pack: boolean,
): Promise<Measured> {
  const connection = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  const admin = createDynamoClient(connection);
  await createIncidentTable(admin, table);
  admin.destroy();
  const store = new CountingStore({ tableName: table, connection });
  const notices = new MemoryQueue();
  const logger = createLogger('bench', { level: 'SILENT' });
  let clock = Date.parse('2026-11-01T10:00:00Z');
  let opens = 0;
  let noticeCount = 0;
  let noticeBytes = 0;
  const start = performance.now();
  let batches = 0;
  for (let i = 0; i < scenario.envelopes.length; i += BATCH) {
    const slice = scenario.envelopes.slice(i, i + BATCH);
    const records: IngestRecord[] = pack
      ? [{ messageId: `m${i}`, body: JSON.stringify({ v: 1, pack: slice }), receiveCount: 1 }]
      : slice.map((e, j) => ({ messageId: `m${i + j}`, body: JSON.stringify(e), receiveCount: 1 }));
    // The batches of a storm arrive over its duration: one batch every 0.72 s for 10,000 events in 2 h.
    clock += 720;
    const report = await ingestBatch(records, { store, notices, clock: () => clock, logger });
    batches += 1;
    opens += report.decisions.filter((d) => d.action === 'open').length;
    noticeCount += report.notices.length;
    for (const n of report.notices) noticeBytes += messageBytes({ id: 'n', body: JSON.stringify(n) });
  }
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  return {
    events: scenario.envelopes.length,
    batches,
    writes: store.writes,
    writeUnits: store.writeUnits,
    readUnits: store.readUnits,
    notices: noticeCount,
    noticeBytes,
    opens,
    seconds,
  };
}

interface Cost {
  total: number;
  sqs: number;
  lambda: number;
  dynamodb: number;
}

/** Cost of the measured run scaled to a million events, from counted calls and measured duration. */
function costPerMillion(m: Measured, envelopes: EnvelopeInput[], pack: boolean): Cost {
  const scale = 1e6 / m.events;
  let sqsRequests = 0;
  for (let i = 0; i < envelopes.length; i += BATCH) {
    const slice = envelopes.slice(i, i + BATCH);
    const bodies = pack ? packs(slice) : slice.map((e) => Buffer.byteLength(JSON.stringify(e)));
    // Send (SendMessageBatch of 10), receive (the event source mapping's ReceiveMessage), delete (batches of 10).
    for (let b = 0; b < bodies.length; b += 10) {
      const group = bodies.slice(b, b + 10);
      const chunks = Math.max(1, Math.ceil(group.reduce((a, x) => a + x, 0) / SQS_CHUNK));
      sqsRequests += chunks * 2 + 1;
    }
  }
  sqsRequests += Math.ceil(m.notices / 10) * 3;
  const sqs = sqsRequests * PRICE.sqsRequest * scale;
  const lambda =
    (m.seconds * LAMBDA_MEMORY_GB * PRICE.lambdaGbSecond + m.batches * PRICE.lambdaRequest) * scale;
  const dynamodb = (m.writeUnits * PRICE.wru + m.readUnits * PRICE.rru) * scale;
  return { total: sqs + lambda + dynamodb, sqs, lambda, dynamodb };
}

/** The cost and its parts as rows (the table has no notes column). */
function costRows(metric: string, c: Cost, target?: { text: string; max: number }): BenchRow[] {
  return [
    {
      area: 'ingest',
      metric,
      value: c.total,
      unit: '$',
      ...(target ? { target: target.text, ok: c.total <= target.max } : {}),
    },
    { area: 'ingest', metric: '  of which SQS requests', value: c.sqs, unit: '$' },
    {
      area: 'ingest',
      metric: '  of which Lambda (GB-s at measured duration, invocations)',
      value: c.lambda,
      unit: '$',
    },
    { area: 'ingest', metric: '  of which DynamoDB (write and read units)', value: c.dynamodb, unit: '$' },
  ];
}

function packs(envelopes: EnvelopeInput[]): number[] {
  const sizes: number[] = [];
  let current = 0;
  for (const e of envelopes) {
    const bytes = Buffer.byteLength(JSON.stringify(e)) + 1;
    if (current > 0 && current + bytes > PACK_BYTES) {
      sizes.push(current);
      current = 0;
    }
    current += bytes;
  }
  if (current > 0) sizes.push(current);
  return sizes;
}

function distinctIncidents(incidents: number, eventsEach: number): EnvelopeInput[] {
  const out: EnvelopeInput[] = [];
  const streams = Array.from({ length: incidents }, (_, i) => [
    ...stormEnvelopes({
      events: eventsEach,
      pods: 1,
      deployment: `svc-${i}`,
      image: `registry.example.com/team/svc-${i}:bad`,
    }),
  ]);
  for (let round = 0; round < eventsEach; round += 1) for (const stream of streams) out.push(stream[round]!);
  return out;
}

export async function run(): Promise<BenchRow[]> {
  const dynalite = await startDynalite();
  try {
    const storm = [...stormEnvelopes({ events: 10_000, pods: 50 })];
    const rows: BenchRow[] = [];
    const stormPacked = await measure(
      { name: 'storm', envelopes: storm },
      dynalite.endpoint,
      'bench-storm-packed',
      true,
    );
    const stormSingle = await measure(
      { name: 'storm', envelopes: storm },
      dynalite.endpoint,
      'bench-storm-single',
      false,
    );
    const storm$ = costPerMillion(stormPacked, storm, true);
    const stormSingle$ = costPerMillion(stormSingle, storm, false);
    rows.push(
      {
        area: 'ingest',
        metric: 'storm 10k events/50 pods: opens',
        value: stormPacked.opens,
        unit: '',
        target: '1',
        ok: stormPacked.opens === 1,
      },
      {
        area: 'ingest',
        metric: 'storm: store writes (100 batches of 100)',
        value: stormPacked.writes,
        unit: 'writes',
        target: '≤ 1 per fingerprint per batch',
        ok: stormPacked.writes <= stormPacked.batches + stormPacked.notices,
        note: 'includes clearing the outbox after each notice',
      },
      {
        area: 'ingest',
        metric: 'storm: writes per event',
        value: stormPacked.writes / stormPacked.events,
        unit: '',
      },
      {
        area: 'ingest',
        metric: 'storm: write units per write (item size)',
        value: stormPacked.writeUnits / stormPacked.writes,
        unit: 'WRU',
      },
      { area: 'ingest', metric: 'storm: notices (open + updates)', value: stormPacked.notices, unit: '' },
      {
        area: 'ingest',
        metric: 'storm: events/s through the handler (dynalite)',
        value: stormPacked.events / stormPacked.seconds,
        unit: 'ev/s',
      },
      ...costRows('storm: cost per million events, packed', storm$, { text: '≤ $0.05', max: 0.05 }),
      ...costRows('storm: cost per million events, 1 envelope per message', stormSingle$),
    );
    const distinct = distinctIncidents(1000, 5);
    const d = await measure(
      { name: 'distinct', envelopes: distinct },
      dynalite.endpoint,
      'bench-distinct',
      true,
    );
    const distinct$ = costPerMillion(d, distinct, true);
    rows.push(
      {
        area: 'ingest',
        metric: '1,000 distinct incidents: opens',
        value: d.opens,
        unit: '',
        target: '1,000',
        ok: d.opens === 1000,
      },
      {
        area: 'ingest',
        metric: '1,000 incidents × 5 events: writes per event',
        value: d.writes / d.events,
        unit: '',
      },
      { area: 'ingest', metric: '1,000 incidents: notices', value: d.notices, unit: '' },
      {
        area: 'ingest',
        metric: '1,000 incidents: events/s through the handler (dynalite)',
        value: d.events / d.seconds,
        unit: 'ev/s',
      },
      ...costRows('1,000 incidents: cost per million events, packed', distinct$),
    );
    return rows;
  } finally {
    await dynalite.stop();
  }
}
