import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { notifyBatch } from '../lib/pipeline/notify.ts';
import {
  failedPull,
  ingest,
  notifyDeps,
  receiveNotices,
  startAlertStack,
} from '../test/support/alert-stack.ts';
import type { BenchRow } from './table.ts';

/**
 * The alert path on the local stack and the three alert functions as shipped:
 * - event → Slack message: a kubelet event through ingest (dynalite, fauxqs), the notice through notify with
 *   its registry check (Debian's registry) to the Slack stand-in; DESIGN.md §6: p99 ≤ 3 s;
 * - bundle size (esbuild as serverless.yml configures it, AWS SDK left to the runtime): ≤ 300 KB;
 * - import of the bundle in a fresh Node 22 process (cold-start proxy): ≤ 50 ms.
 */
const FUNCTIONS = ['notify', 'slack-actions', 'sweep'] as const;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function endToEnd(count: number): Promise<number[]> {
  const stack = await startAlertStack({ noticeVisibilitySeconds: 30 });
  try {
    const deps = notifyDeps(stack, { clock: Date.now });
    const samples: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const image = `${stack.registry.host}/team/api:v9-${i}`;
      const started = performance.now();
      const [notice] = await ingest(stack, [
        failedPull({ uid: `b${i}`, image, namespace: 'web', deployment: `svc${i}` }),
      ]);
      const messages = await receiveNotices(stack.notices, [notice!.key], 1, 5);
      await notifyBatch(
        messages.map((m) => ({ ...m, receiveCount: 1 })),
        deps,
        { remainingMs: () => 30_000 },
      );
      if (!stack.slack.messages.some((m) => m.metadata?.event_payload.incident_key === notice!.key)) {
        throw new Error(`no Slack message for ${notice!.key}`);
      }
      samples.push(performance.now() - started);
      await stack.notices.queue.delete(messages.map((m) => m.receiptHandle));
    }
    return samples;
  } finally {
    await stack.stop();
  }
}

/**
 * Imports the bundle in a fresh process: in total, and its own code alone with the AWS SDK clients it uses
 * already loaded (the runtime ships the SDK; loading it costs the same for every function, e.g. ~150 ms for
 * the DynamoDB client here).
 */
function importMs(bundle: string): Promise<{ total: number; own: number }> {
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
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '',
        INCIDENTS_TABLE: 'pullwatch-bench',
        NOTICES_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/notices',
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_SIGNING_SECRET: 'bench',
        AWS_REGION: 'eu-west-1',
      },
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

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const samples = await endToEnd(30);
  for (const p of [50, 99]) {
    const value = percentile(samples, p);
    rows.push({
      area: 'alerts',
      metric: `event → Slack message p${p} (ingest, registry check, post)`,
      value,
      unit: 'ms',
      target: '≤ 3 s',
      ok: value <= 3_000,
      note: `${samples.length} incidents, local stack`,
    });
  }

  const dir = join(process.cwd(), 'node_modules', '.cache', 'pullwatch-bench-alerts');
  mkdirSync(dir, { recursive: true });
  try {
    for (const name of FUNCTIONS) {
      const outfile = join(dir, `${name}.mjs`);
      await build({
        entryPoints: [`functions/${name}.ts`],
        bundle: true,
        minify: true,
        keepNames: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*', '@smithy/*'],
        banner: {
          js: "import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);",
        },
        outfile,
        logLevel: 'error',
      });
      const kb = statSync(outfile).size / 1024;
      rows.push({
        area: 'alerts',
        metric: `${name} bundle (minified)`,
        value: kb,
        unit: 'KB',
        target: '≤ 300 KB',
        ok: kb <= 300,
      });
      const imports: Array<{ total: number; own: number }> = [];
      for (let i = 0; i < 5; i += 1) imports.push(await importMs(outfile));
      const own = percentile(
        imports.map((m) => m.own),
        50,
      );
      rows.push({
        area: 'alerts',
        metric: `${name} bundle import, own code (cold-start proxy)`,
        value: own,
        unit: 'ms',
        target: '≤ 50 ms',
        ok: own <= 50,
        note: 'median of 5 fresh processes, AWS SDK preloaded',
      });
      rows.push({
        area: 'alerts',
        metric: `${name} bundle import with the AWS SDK`,
        value: percentile(
          imports.map((m) => m.total),
          50,
        ),
        unit: 'ms',
        note: 'the runtime’s SDK clients load on every cold start',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
