import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import {
  buildForwarder,
  FORWARDER_NODE_FLAGS,
  FORWARDER_RUNTIME_ENV,
  slimDependencies,
} from '../infra/forwarder/build.ts';
import { parseQueueMessage } from '../lib/events/envelope.ts';
import { type FauxqsService, startFauxqs, TEST_CREDENTIALS, TEST_REGION } from '../test/support/fauxqs.ts';
import {
  eventObject,
  type KubeApiStandIn,
  type KubeObject,
  nodeObject,
  podObject,
  startKubeApi,
} from '../test/support/kube-api.ts';
import type { BenchRow } from './table.ts';

/**
 * The forwarder as it ships: the esbuild bundle the image runs, in its own Node 22 process with the image's
 * Node flags and environment (build.ts), between the Kubernetes API stand-in and the SQS emulator (both in
 * this process, so their memory is not counted).
 * - throughput: a storm of events (new pull failures and growing repeats) as fast as the stand-in streams
 *   them — as many as the default buffer holds, so none may be dropped — until SQS acknowledged every one;
 *   also the forwarder's CPU time per event (the rate one free core sustains, whatever else the machine runs);
 * - delay: a steady stream at a fixed rate; event upsert → SQS SentTimestamp, per event;
 * - peak RSS of the forwarder process over both, split into private (anonymous) memory and pages of files
 *   (mostly the node binary's code and data: shared, clean, reclaimable);
 * - the floor: RSS of an empty Node 22, and of the forwarder's libraries loaded but idle, same flags.
 */
const BURST_EVENTS = 10_000;
const STEADY_RATE = 1_000;
const STEADY_SECONDS = 5;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime + stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Rss {
  total: number;
  anon: number;
  file: number;
}

function rss(pid: number): Rss {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return { total: 0, anon: 0, file: 0 };
  }
}

const MB = 1024 * 1024;

function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...FORWARDER_RUNTIME_ENV,
    ...extra,
  };
}

/** RSS of a Node process running `script` with the image's flags, once it has settled. */
async function settledRss(script: string): Promise<number> {
  const child = spawn(process.execPath, [...FORWARDER_NODE_FLAGS, script], {
    env: childEnv(),
    stdio: 'ignore',
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return rss(child.pid!).total;
  } finally {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** What no tuning of the forwarder's own code can go below: Node itself, and its libraries loaded. */
async function floor(dir: string): Promise<{ empty: number; libraries: number }> {
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, 'setInterval(() => {}, 1000);\n');
  const libraries = join(dir, 'libraries.mjs');
  await build({
    stdin: {
      contents: [
        "import { Registry, collectDefaultMetrics } from 'prom-client';",
        "import { createKubeApi } from './lib/adapters/kubernetes.ts';",
        "import { createSqsClient } from './lib/adapters/sqs.ts';",
        "import { forwarderConfigSchema } from './lib/forwarder/config.ts';",
        "import { createLogger } from './lib/runtime/logger.ts';",
        'globalThis.keep = [createKubeApi, createSqsClient({ region: "us-east-1" }), forwarderConfigSchema,',
        '  createLogger("floor"), collectDefaultMetrics({ register: new Registry() })];',
        'setInterval(() => {}, 1000);',
      ].join('\n'),
      resolveDir: join(import.meta.dirname, '..'),
      loader: 'ts',
    },
    outfile: libraries,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
    plugins: [slimDependencies],
    banner: {
      js: "import { createRequire as __pullwatchRequire } from 'node:module'; const require = __pullwatchRequire(import.meta.url);",
    },
  });
  return { empty: await settledRss(empty), libraries: await settledRss(libraries) };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Polls a condition; a bench that cannot finish reports why instead of hanging. The conditions scrape the
 * forwarder's /metrics, which costs the forwarder CPU and memory, so not more often than every 100 ms (a
 * real Prometheus scrapes every 15-60 s); the burst's end is seen up to 100 ms late, which can only
 * understate its throughput.
 */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`forwarder bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sum of a metric's series on /metrics, optionally only those whose labels contain `labels`. */
async function metric(base: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name && (match[2] ?? '').includes(labels)) sum += Number(match[3]);
  }
  return sum;
}

async function startChild(
  bundle: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [...FORWARDER_NODE_FLAGS, bundle], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  let base = '';
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`forwarder exited ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      for (const line of lines) {
        const log = JSON.parse(line) as { message?: string; http?: string };
        if (log.message === 'forwarder started') base = `http://${log.http}`;
        if (log.message === 'forwarder ready') ready = true;
      }
      if (base && ready) resolve();
    });
  });
  child.removeAllListeners('exit');
  return { child, base };
}

export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pullwatch-bench-fwd-'));
  const bundle = join(dir, 'forwarder.mjs');
  const { bytes } = await buildForwarder(bundle);
  let sqs: FauxqsService | null = null;
  let api: KubeApiStandIn | null = null;
  let child: ChildProcess | null = null;
  try {
    sqs = await startFauxqs();
    api = await startKubeApi({ bookmarkIntervalMs: 5000 });
    const queue = await sqs.createQueue('bench-forwarder');
    const namespaces = Array.from({ length: 20 }, (_, i) => `team-${i}`);
    for (let n = 0; n < 10; n += 1) api.upsert('nodes', nodeObject(`node-${n}`));
    const pods: Array<{ namespace: string; name: string }> = [];
    for (let p = 0; p < 500; p += 1) {
      const namespace = namespaces[p % namespaces.length]!;
      const name = `web-${p}-5f7c9d-x${p}`;
      api.upsert(
        'pods',
        podObject({
          namespace,
          name,
          node: `node-${p % 10}`,
          owner: { kind: 'ReplicaSet', name: `web-${p}-5f7c9d` },
          labels: { 'pod-template-hash': '5f7c9d' },
        }),
      );
      pods.push({ namespace, name });
    }

    const started = await startChild(bundle, {
      PULLWATCH_CLUSTER: 'bench',
      PULLWATCH_QUEUE_URL: queue.url,
      PULLWATCH_SQS_ENDPOINT: sqs.endpoint,
      PULLWATCH_HTTP_PORT: '0',
      KUBECONFIG: api.kubeconfigPath,
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    });
    child = started.child;
    const pid = child.pid!;
    const idle = rss(pid);
    let peak = idle;
    const sampler = setInterval(() => {
      const now = rss(pid);
      if (now.total > peak.total) peak = now;
    }, 20);

    // Events in flight: 70% new failures, 30% repeats of an earlier one (MODIFIED, count + 1).
    const live: KubeObject[] = [];
    let seq = 0;
    const upsertTimes = new Map<string, number>();
    const produce = () => {
      seq += 1;
      let event: KubeObject;
      if (live.length > 0 && seq % 10 < 3) {
        const previous = live[seq % live.length]!;
        event = api!.upsert('events', { ...previous, count: (previous.count as number) + 1 });
        live[seq % live.length] = event;
      } else {
        const pod = pods[seq % pods.length]!;
        event = api!.upsert(
          'events',
          eventObject({
            namespace: pod.namespace,
            pod: pod.name,
            reason: 'Failed',
            message: `Failed to pull image "registry.example.com/web:${seq}": manifest unknown`,
            name: `${pod.name}.${seq}`,
          }),
        );
        if (live.length < 2000) live.push(event);
      }
      upsertTimes.set(`${event.metadata.uid}#${event.count}`, Date.now());
    };
    const forwarded = () =>
      metric(started.base, 'pullwatch_forwarder_events_forwarded_total', 'kind="event"');

    // Throughput: a burst, produced in chunks so the stand-in keeps streaming while we produce.
    const cpuBefore = cpuSeconds(pid);
    const burstStart = Date.now();
    for (let i = 0; i < BURST_EVENTS; i += 500) {
      for (let j = 0; j < 500; j += 1) produce();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(async () => (await forwarded()) >= BURST_EVENTS, 'the burst to be acknowledged');
    const burstSeconds = (Date.now() - burstStart) / 1000;
    const cpuPerEventMs = ((cpuSeconds(pid) - cpuBefore) / BURST_EVENTS) * 1000;
    const burstRss = peak.total;
    const dropped = await metric(started.base, 'pullwatch_forwarder_events_dropped_total');
    const attributes = await sqs.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const inQueue = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
    await sqs.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
    upsertTimes.clear();
    api.compact();

    // Delay: a steady rate, every event timed from its upsert to SQS's SentTimestamp.
    const steadyTotal = STEADY_RATE * STEADY_SECONDS;
    const before = await forwarded();
    const steadyStart = Date.now();
    let produced = 0;
    while (produced < steadyTotal) {
      const due = Math.min(steadyTotal, Math.floor(((Date.now() - steadyStart) / 1000) * STEADY_RATE));
      while (produced < due) {
        produce();
        produced += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(async () => (await forwarded()) >= before + steadyTotal, 'the steady run to be acknowledged');
    clearInterval(sampler);
    const delays: number[] = [];
    const drain = async () => {
      for (;;) {
        const response = await sqs!.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: 10,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        );
        const messages = response.Messages ?? [];
        if (messages.length === 0) return;
        for (const message of messages) {
          const sentAt = Number(message.Attributes?.SentTimestamp);
          for (const result of parseQueueMessage(message.Body ?? '')) {
            if (!result.ok || !('involvedObject' in result.envelope.event)) continue;
            const event = result.envelope.event;
            const at = upsertTimes.get(`${event.metadata?.uid}#${event.count}`);
            if (at !== undefined) delays.push(sentAt - at);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, drain));
    delays.sort((a, b) => a - b);
    const p99 = percentile(delays, 99);
    const rssMb = peak.total / MB;
    const base = await floor(dir);
    const rate = BURST_EVENTS / burstSeconds;
    return [
      {
        area: 'forwarder',
        metric: `burst throughput (${BURST_EVENTS.toLocaleString('en-US')} events, API → SQS ack)`,
        value: rate,
        unit: 'events/s',
        target: '≥ 5,000',
        ok: rate >= 5000,
      },
      {
        area: 'forwarder',
        metric: 'forwarder CPU time per event in the burst, all threads (→ events/s per CPU second)',
        value: cpuPerEventMs,
        unit: `ms (${Math.round(1000 / cpuPerEventMs).toLocaleString('en-US')}/s)`,
        target: '≤ 0.2 ms (≥ 5,000/s)',
        ok: cpuPerEventMs <= 0.2,
      },
      {
        area: 'forwarder',
        metric: 'peak RSS of the forwarder process (burst + steady)',
        value: rssMb,
        unit: 'MB',
        target: '≤ 80',
        ok: rssMb <= 80,
      },
      {
        area: 'forwarder',
        metric: 'peak RSS: private (anonymous) memory of the forwarder process',
        value: peak.anon / MB,
        unit: 'MB',
        note: `+ ${(peak.file / MB).toFixed(1)} MB of file pages (node binary: shared, clean); burst peak ${(burstRss / MB).toFixed(1)} MB`,
      },
      {
        area: 'forwarder',
        metric: 'RSS of the forwarder once ready, before any event',
        value: idle.total / MB,
        unit: 'MB',
        note: `private ${(idle.anon / MB).toFixed(1)} MB`,
      },
      {
        area: 'forwarder',
        metric: 'floor: RSS of an empty Node 22 with the same flags',
        value: base.empty / MB,
        unit: 'MB',
      },
      {
        area: 'forwarder',
        metric: 'floor: RSS with client-node, SQS client, prom-client, zod, logger loaded, idle',
        value: base.libraries / MB,
        unit: 'MB',
      },
      {
        area: 'forwarder',
        metric: `p99 event → SQS ack delay at ${STEADY_RATE.toLocaleString('en-US')} events/s`,
        value: p99 / 1000,
        unit: 's',
        target: '≤ 1 s',
        ok: p99 <= 1000,
      },
      {
        area: 'forwarder',
        metric: `p50 event → SQS ack delay at ${STEADY_RATE.toLocaleString('en-US')} events/s`,
        value: percentile(delays, 50) / 1000,
        unit: 's',
      },
      {
        area: 'forwarder',
        metric: 'events timed in the delay run',
        value: delays.length,
        unit: 'events',
        target: `= ${steadyTotal.toLocaleString('en-US')}`,
        ok: delays.length === steadyTotal,
      },
      {
        area: 'forwarder',
        metric: 'burst envelopes dropped',
        value: dropped,
        unit: 'envelopes',
        target: '= 0',
        ok: dropped === 0,
      },
      {
        area: 'forwarder',
        metric: 'SQS messages for the burst (automatic packing)',
        value: inQueue,
        unit: 'messages',
        note: `${(BURST_EVENTS / Math.max(1, inQueue)).toFixed(1)} envelopes per message`,
      },
      { area: 'forwarder', metric: 'image bundle size (esbuild, minified)', value: bytes / 1024, unit: 'KB' },
    ];
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await api?.close();
    await sqs?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
