import { type BenchRow, renderTable } from './table.ts';

/**
 * `npm run bench`: every benchmark module, one table. Modules are listed here so the order is stable;
 * `npm run bench -- classify` runs only the modules whose name contains an argument.
 */
const modules: Record<string, () => Promise<{ run: () => Promise<BenchRow[]> }>> = {
  classify: () => import('./classify.bench.ts'),
  forwarder: () => import('./forwarder.bench.ts'),
  image: () => import('./image.bench.ts'),
  notify: () => import('./notify.bench.ts'),
  registry: () => import('./registry.bench.ts'),
  ingest: () => import('./ingest.bench.ts'),
  e2e: () => import('./e2e.bench.ts'),
  start: () => import('./start.bench.ts'),
};

const filters = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, load] of Object.entries(modules)) {
  if (filters.length > 0 && !filters.some((filter) => name.includes(filter))) continue;
  process.stderr.write(`bench: ${name}…\n`);
  const module = await load();
  rows.push(...(await module.run()));
}
process.stdout.write(`${renderTable(rows)}\n`);
