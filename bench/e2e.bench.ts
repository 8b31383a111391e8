import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pushImage } from '../test/support/images.ts';
import { bundleFunctions, bundleSource, PROJECT_ROOT } from '../test/support/lambda-bundle.ts';
import { lambdaEnvironment, serverlessFunction } from '../test/support/lambda-harness.ts';
import {
  deploymentPods,
  kubeletEvent,
  kubeTime,
  type PipelineOptions,
  startPipeline,
} from '../test/support/pipeline-stack.ts';
import { notFoundMessage } from '../test/support/storm.ts';
import type { BenchRow } from './table.ts';

/**
 * The deployed shape on the local stack (test/support/pipeline-stack.ts, the e2e test's harness):
 * - event → Slack post: a kubelet event written to the Kubernetes API stand-in until the Slack stand-in holds
 *   the alert, through the forwarder, SQS (fauxqs), the bundled ingest and notify Lambdas in their own
 *   processes (serverless.yml's batch sizes and windows), dynalite and a real registry check; 200 incidents
 *   arriving 5 per second. DESIGN.md §6: p99 ≤ 3 s. Once more with no batching windows, to show their share.
 * - per function: bundle size (esbuild.config.cjs, as `npm run package` builds it; ≤ 300 KB) and import of
 *   the bundle in a fresh Node 22 process (cold-start proxy; ≤ 50 ms), beside a bare middy handler bundled
 *   the same way.
 */
const INCIDENTS = 200;
const ARRIVAL_MS = 200;
const FUNCTIONS = ['ingest', 'notify', 'slack-actions', 'sweep'] as const;
const IMPORT_RUNS = 5;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function endToEnd(windows: NonNullable<PipelineOptions['batchingWindows']>): Promise<number[]> {
  const pipeline = await startPipeline({ batchingWindows: windows });
  try {
    const { kube, stack } = pipeline;
    const host = stack.registry.host;
    await pushImage({ url: stack.registry.url }, 'team/svc', 'v1.0.0');
    const pods = Array.from({ length: INCIDENTS }, (_, i) => {
      const image = `${host}/team/svc:v1.0.${i + 1}`;
      const [pod] = deploymentPods(kube, { namespace: 'bench', deployment: `svc${i}`, image, pods: 1 });
      return { pod: pod!, image, subject: `bench/svc${i}:` };
    });
    // The pods exist before their events, as in a cluster: let the forwarder's pod cache catch up.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const started = new Map<string, number>();
    const latency = new Map<string, number>();
    let seen = 0;
    const watch = setInterval(() => {
      const messages = stack.slack.messages;
      for (; seen < messages.length; seen += 1) {
        const message = messages[seen]!;
        if (message.threadTs !== null) continue;
        const subject = message.text.match(/bench\/svc\d+:/)?.[0];
        const at = subject ? started.get(subject) : undefined;
        if (subject && at !== undefined && !latency.has(subject))
          latency.set(subject, performance.now() - at);
      }
    }, 5);
    try {
      const t0 = performance.now();
      for (const [i, { pod, image, subject }] of pods.entries()) {
        const wait = t0 + i * ARRIVAL_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const at = kubeTime(Date.now());
        started.set(subject, performance.now());
        kube.upsert(
          'events',
          kubeletEvent({
            namespace: 'bench',
            pod,
            name: `${pod}.f1`,
            type: 'Warning',
            reason: 'Failed',
            message: notFoundMessage(image),
            count: 1,
            firstTimestamp: at,
            lastTimestamp: at,
          }),
        );
      }
      const deadline = Date.now() + 60_000;
      while (latency.size < INCIDENTS && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      clearInterval(watch);
    }
    if (latency.size < INCIDENTS) {
      throw new Error(
        `${INCIDENTS - latency.size} incidents never reached Slack:\n${pipeline.diagnostics()}`,
      );
    }
    return [...latency.values()];
  } finally {
    await pipeline.stop();
  }
}

/**
 * Imports a bundle in a fresh process with the function's deployed environment (NODE_OPTIONS included):
 * in total, and its own code alone with the AWS SDK clients it uses already loaded — the bundles leave the
 * SDK to the runtime, whose load costs the same for every function.
 */
function importMs(bundle: string, env: Record<string, string>): Promise<{ total: number; own: number }> {
  const sdk = [...new Set(readFileSync(bundle, 'utf8').match(/@aws-sdk\/[a-z0-9-]+/g) ?? [])];
  const script = `
    const t0 = performance.now();
    for (const name of ${JSON.stringify(sdk)}) await import(name);
    const t1 = performance.now();
    await import(${JSON.stringify(bundle)});
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ total: t2 - t0, own: t2 - t1 }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { total: number; own: number })
        : reject(new Error(`import of ${bundle} failed: ${err.slice(0, 500)}`)),
    );
  });
}

async function bundles(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'pullwatch-bench-e2e-'));
  try {
    const built = await bundleFunctions(FUNCTIONS, dir);
    const bare = await bundleSource(
      "import middy from '@middy/core';\nexport const handler = middy(async () => ({ statusCode: 200 }));\n",
      join(dir, 'functions', 'bare-middy'),
    );
    // Placeholders for what CloudFormation fills in; nothing is contacted at import.
    const resolved = {
      INCIDENTS_TABLE: 'pullwatch-bench-incidents',
      PULLWATCH_CONFIG: '{}',
      NOTICES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pullwatch-bench-notices',
      NOTICES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pullwatch-bench-notices-dlq',
      EVENTS_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pullwatch-bench-events-dlq',
      ALERTS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:pullwatch-bench-alerts',
      SLACK_BOT_TOKEN_PARAMETER: '/pullwatch/bench/slack-bot-token',
      SLACK_SIGNING_SECRET_PARAMETER: '/pullwatch/bench/slack-signing-secret',
    };
    const local = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
    const targets: Array<{ name: string; bundle: string; env: Record<string, string> }> = [
      ...FUNCTIONS.map((name) => ({
        name,
        bundle: built[name]!,
        env: lambdaEnvironment(serverlessFunction(name), resolved, local),
      })),
      // The baseline gets a deployed function's environment too (NODE_OPTIONS matters; it reads nothing else).
      {
        name: 'bare middy handler',
        bundle: bare,
        env: lambdaEnvironment(serverlessFunction('sweep'), resolved, local),
      },
    ];
    for (const { name, bundle, env } of targets) {
      const baseline = name === 'bare middy handler';
      const kb = statSync(bundle).size / 1024;
      rows.push({
        area: 'e2e',
        metric: `${name} bundle (minified)`,
        value: kb,
        unit: 'KB',
        ...(baseline ? {} : { target: '≤ 300 KB', ok: kb <= 300 }),
        note: 'esbuild.config.cjs; @aws-sdk/* and @smithy/* excluded (the runtime ships them)',
      });
      const runs: Array<{ total: number; own: number }> = [];
      for (let i = 0; i < IMPORT_RUNS; i += 1) runs.push(await importMs(bundle, env));
      const own = percentile(
        runs.map((run) => run.own),
        50,
      );
      rows.push({
        area: 'e2e',
        metric: `${name} import, own code (cold-start proxy)`,
        value: own,
        unit: 'ms',
        ...(baseline ? {} : { target: '≤ 50 ms', ok: own <= 50 }),
        note: `median of ${IMPORT_RUNS} fresh Node 22 processes (min ${Math.min(...runs.map((run) => run.own)).toFixed(0)} ms), the AWS SDK clients it uses preloaded, NODE_OPTIONS=--enable-source-maps as deployed`,
      });
      rows.push({
        area: 'e2e',
        metric: `${name} import with its AWS SDK clients`,
        value: percentile(
          runs.map((run) => run.total),
          50,
        ),
        unit: 'ms',
        note: 'SDK not preloaded: the runtime’s copy loads on every cold start',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const deployed = await endToEnd('deployed');
  const ingest = serverlessFunction('ingest').sqs;
  const notify = serverlessFunction('notify').sqs;
  const windows = `batching windows ${ingest?.maximumBatchingWindowSeconds ?? 0} s + ${notify?.maximumBatchingWindowSeconds ?? 0} s as in serverless.yml`;
  for (const p of [50, 99]) {
    const value = percentile(deployed, p);
    rows.push({
      area: 'e2e',
      metric: `kubelet event → Slack post p${p}`,
      value,
      unit: 'ms',
      ...(p === 99 ? { target: '≤ 3 s', ok: value <= 3_000 } : {}),
      note: `${deployed.length} incidents at ${1000 / ARRIVAL_MS}/s, bundled Lambdas, ${windows}`,
    });
  }
  const immediate = await endToEnd('none');
  for (const p of [50, 99]) {
    rows.push({
      area: 'e2e',
      metric: `kubelet event → Slack post p${p}, no batching windows`,
      value: percentile(immediate, p),
      unit: 'ms',
      note: 'the same, invoked as soon as messages are there: the processing alone',
    });
  }
  rows.push(...(await bundles()));
  return rows;
}
