import { performance } from 'node:perf_hooks';
import { diagnose } from '../lib/diagnose/index.ts';
import { RegistryProber } from '../lib/registry/index.ts';
import type { ProbeTarget } from '../lib/registry/types.ts';
import { type RegistryLab, startRegistryLab } from '../test/support/registry-lab.ts';
import type { BenchRow } from './table.ts';

/**
 * Registry probe against the local lab (Debian's docker-registry + the lab token server on 127.0.0.1):
 * a full probe's latency, the token cache's effect (cold: a new prober per probe; warm: one shared prober),
 * and 50 diagnoses at once. Target (DESIGN.md §6): a responsive registry diagnosed in ≤ 1.5 s.
 */

const TARGET_MS = 1500;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function series(count: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(await time(fn));
  return out;
}

function latencyRows(metric: string, samples: number[], note: string): BenchRow[] {
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  return [
    {
      area: 'registry',
      metric: `${metric} p50`,
      value: p50,
      unit: 'ms',
      target: '≤ 1.5 s',
      ok: p50 <= TARGET_MS,
      note,
    },
    {
      area: 'registry',
      metric: `${metric} p99`,
      value: p99,
      unit: 'ms',
      target: '≤ 1.5 s',
      ok: p99 <= TARGET_MS,
      note,
    },
  ];
}

export async function run(): Promise<BenchRow[]> {
  const lab: RegistryLab = await startRegistryLab();
  try {
    const config = { allowHosts: lab.allowHosts };
    const plain: ProbeTarget = { registry: lab.plain.host, repository: 'team/api', tag: 'v1' };
    const token: ProbeTarget = { registry: lab.token.host, repository: 'team/api', tag: 'v1' };
    const missing: ProbeTarget = { registry: lab.plain.host, repository: 'team/api', tag: 'v9' };

    const shared = new RegistryProber({ config });
    await shared.probe(plain);
    const rows: BenchRow[] = [];
    rows.push(
      ...latencyRows(
        'full probe, tag exists (plain HTTP)',
        await series(100, () => shared.probe(plain)),
        '100 sequential',
      ),
    );
    rows.push(
      ...latencyRows(
        'full probe, tag missing + tag list',
        await series(100, () => shared.probe(missing)),
        '100 sequential',
      ),
    );
    rows.push(
      ...latencyRows(
        'Bearer auth, cold token cache',
        await series(50, () => new RegistryProber({ config }).probe(token)),
        'new prober per probe',
      ),
    );
    await shared.probe(token);
    rows.push(
      ...latencyRows(
        'Bearer auth, warm token cache',
        await series(100, () => shared.probe(token)),
        'shared prober',
      ),
    );

    const each: number[] = [];
    const wall = await time(() =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          time(async () => {
            const target = i % 2 === 0 ? token : missing;
            const result = await shared.probe(target);
            diagnose({ probe: result, checkedFrom: 'bench' });
          }).then((ms) => each.push(ms)),
        ),
      ),
    );
    rows.push(
      {
        area: 'registry',
        metric: '50 concurrent diagnoses, wall time',
        value: wall,
        unit: 'ms',
        note: 'one shared prober',
      },
      ...latencyRows('50 concurrent diagnoses, each', each, 'half token auth, half tag missing'),
    );
    return rows;
  } finally {
    await lab.stop();
  }
}
