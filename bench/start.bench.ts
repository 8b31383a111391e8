import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './table.ts';

/**
 * `pullwatch run` as `npm start` runs it on a machine with no cluster: the CLI in its own process replays the
 * bundled example. Measured: time to the first alert on stdout and to the end (median of a few runs), with
 * node_modules present — a fresh clone adds `npm ci` in front. Registry checks are kept off the network
 * (test/support/no-internet.ts), so every run takes the same path.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;

interface Timing {
  firstAlertMs: number;
  totalMs: number;
  code: number | null;
}

function once(cwd: string): Promise<Timing> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/pullwatch.js'), 'run'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      KUBECONFIG: join(cwd, 'none'),
      NODE_OPTIONS: `--import ${join(ROOT, 'test/support/no-internet.ts')}`,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let firstAlertMs = Number.NaN;
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (Number.isNaN(firstAlertMs) && /^● /m.test(out)) firstAlertMs = performance.now() - started;
  });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ firstAlertMs, totalMs: performance.now() - started, code }));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function run(): Promise<BenchRow[]> {
  const timings: Timing[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const cwd = mkdtempSync(join(tmpdir(), 'pullwatch-bench-start-'));
    try {
      timings.push(await once(cwd));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  const failed = timings.filter((t) => t.code !== 0 || Number.isNaN(t.firstAlertMs)).length;
  const first = median(timings.map((t) => t.firstAlertMs)) / 1000;
  return [
    {
      area: 'run',
      metric: 'npm start, no cluster → first alert (node_modules present)',
      value: first,
      unit: 's',
      target: '≤ 60 s',
      ok: failed === 0 && first <= 60,
      note: `median of ${RUNS}; a fresh clone adds npm ci`,
    },
    {
      area: 'run',
      metric: 'bundled example replayed end to end (363 events, 6 alerts)',
      value: median(timings.map((t) => t.totalMs)) / 1000,
      unit: 's',
    },
  ];
}
