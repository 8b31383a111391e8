import type { Writable } from 'node:stream';
import type { ForwarderLogger } from '../forwarder/logger.ts';
import type { IngestDependencies } from '../incidents/ingest.ts';

/**
 * Logs for a person at a terminal: the stages log what the Lambdas log (Powertools-style message + fields),
 * shown here as one readable line each on stderr, warnings and errors only unless PULLWATCH_LOG_LEVEL says
 * otherwise — the alerts on stdout are the point of `pullwatch run`.
 */
export type RunLogger = IngestDependencies['logger'] & ForwarderLogger;

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

export function terminalLogger(stream: Writable, level: string | undefined = 'warn'): RunLogger {
  const wanted = LEVELS.indexOf((level?.toLowerCase() ?? 'warn') as Level);
  const threshold = wanted < 0 ? LEVELS.indexOf('warn') : wanted;
  const at =
    (name: Level) =>
    (message: unknown, ...extra: unknown[]): void => {
      if (LEVELS.indexOf(name) < threshold) return;
      stream.write(`pullwatch ${name}: ${String(message)}${formatFields(extra)}\n`);
    };
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  // Powertools' method types are overloads over its own item types; every call shape they allow ends here.
  return logger as unknown as RunLogger;
}

function formatFields(extra: unknown[]): string {
  const parts: string[] = [];
  for (const item of extra) {
    if (item instanceof Error) parts.push(`error=${JSON.stringify(item.message)}`);
    else if (typeof item === 'object' && item !== null) {
      for (const [key, value] of Object.entries(item)) {
        if (value === undefined) continue;
        parts.push(`${key}=${JSON.stringify(value)}`);
      }
    } else if (item !== undefined) parts.push(String(item));
  }
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}
