import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ForwarderLogger } from '../../lib/forwarder/logger.ts';

/** Shared helpers of the forwarder's unit tests (not a test file itself). */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Record<string, unknown>;
}

export function recordingLogger(): ForwarderLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, extra: Record<string, unknown> = {}) => {
      lines.push({ level, message, extra });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.extra)}`).join('\n'),
  };
}

/** The value of one labelled series of a counter or gauge (0 when it was never touched). */
export async function metricValue(
  metric: Counter<string> | Gauge<string>,
  labels: Record<string, string> = {},
): Promise<number> {
  const data = await metric.get();
  const series = data.values.find((value) =>
    Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  );
  return series?.value ?? 0;
}

export async function histogramCount(metric: Histogram<string>): Promise<number> {
  const data = await metric.get();
  return data.values
    .filter((value) => value.metricName?.endsWith('_count'))
    .reduce((sum, value) => sum + value.value, 0);
}
