/** One measured value beside its DESIGN.md §6 target; every bench module returns rows of these. */
export interface BenchRow {
  area: string;
  metric: string;
  value: number;
  unit: string;
  /** Human text of the target, e.g. `≥ 200,000` or `≤ 1.5 s`; empty when informational. */
  target?: string;
  /** Whether the target is met; undefined when there is no target. */
  ok?: boolean;
  note?: string;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function renderTable(rows: readonly BenchRow[]): string {
  const header = ['area', 'metric', 'measured', 'target', 'met'];
  const body = rows.map((row) => [
    row.area,
    row.metric,
    `${formatNumber(row.value)} ${row.unit}`.trim(),
    row.target ?? '',
    row.ok === undefined ? '' : row.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...body.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
