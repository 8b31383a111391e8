import type { Writable } from 'node:stream';
import {
  alertRecord,
  colourEnabled,
  renderRecapLine,
  renderTerminalAlert,
  type TerminalAlert,
  type TerminalNews,
} from '../notify/terminal.ts';

/**
 * Where rendered alerts go in `pullwatch run`: text blocks (colour when stdout is a terminal) or one JSON
 * object per line with `--json`. Counts what it printed for the closing summary. A closed stdout
 * (`pullwatch run | head`) stops the output quietly; the run itself goes on to a clean end.
 */
export interface AlertOutput {
  write(alert: TerminalAlert, now: number): void;
  readonly counts: Readonly<Record<TerminalNews, number>>;
  /** Incidents that got a full alert block. */
  readonly incidents: ReadonlySet<string>;
  /** Prints the problems still open, one line each (text mode only); returns how many. */
  recap(now: number): number;
}

export interface AlertOutputOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  json: boolean;
  /** Fields added to every JSON record (`replay: true` when the alerts come from a file). */
  jsonExtra?: Record<string, unknown>;
}

export function alertOutput(options: AlertOutputOptions): AlertOutput {
  const { stream } = options;
  const colour = !options.json && colourEnabled(stream, options.env);
  const width = Math.min(120, stream.columns ?? 100);
  const counts: Record<TerminalNews, number> = {
    opened: 0,
    reopened: 0,
    cause_changed: 0,
    reminder: 0,
    snooze_ended: 0,
    resolved: 0,
    updated: 0,
  };
  const incidents = new Set<string>();
  const latest = new Map<string, TerminalAlert>();
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') closed = true;
    else throw error;
  });
  let previousWasBlock = false;
  return {
    counts,
    incidents,
    write(alert, now) {
      counts[alert.news] += 1;
      latest.set(alert.incident.key, alert);
      if (alert.news === 'opened' || alert.news === 'reopened') incidents.add(alert.incident.key);
      if (closed) return;
      if (options.json) {
        stream.write(`${JSON.stringify({ ...alertRecord(alert, { now }), ...options.jsonExtra })}\n`);
        return;
      }
      const lines = renderTerminalAlert(alert, { colour, now, width });
      const block = lines.length > 1;
      // A blank line around each block; one-liners run together between them.
      const before = block || previousWasBlock ? '\n' : '';
      stream.write(`${before}${lines.join('\n')}\n`);
      previousWasBlock = block;
    },
    recap(now) {
      const open = [...latest.values()].filter((alert) => alert.incident.state !== 'resolved');
      if (closed || options.json || open.length === 0) return open.length;
      const lines = open.map((alert) => `  ${renderRecapLine(alert, { colour, now, width })}`);
      stream.write(`\nStill failing (${open.length}):\n${lines.join('\n')}\n`);
      previousWasBlock = true;
      return open.length;
    },
  };
}
