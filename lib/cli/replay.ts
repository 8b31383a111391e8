import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SqliteIncidentStore } from '../adapters/sqlite-store.ts';
import { errorMessage } from '../errors.ts';
import {
  ENVELOPE_VERSION,
  EnvelopeError,
  type EnvelopeResult,
  parseEnvelope,
  parseQueueMessage,
} from '../events/envelope.ts';
import { normalizeEvent } from '../events/normalize.ts';
import { readEnvelope } from '../incidents/from-envelope.ts';
import { aggregate, timeOf } from '../incidents/observation.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { formatWorkload } from '../incidents/workload.ts';
import { plural } from '../notify/text.ts';
import type { CliIo, Command } from './commands.ts';

/**
 * `pullwatch replay FILE [--json] [--state PATH]`: runs a recorded event stream through classify → aggregate →
 * policy on the embedded store and prints every decision other than `none`. The clock is the events' own
 * timestamps, so the same file always prints the same decisions: a way to see what pullwatch would have
 * said about last night's outage, or to check a policy change against it.
 */
const USAGE = `usage: pullwatch replay FILE [--json] [--state PATH]     (FILE "-" reads stdin)

Replays an NDJSON file of envelopes (single or packed) or bare Kubernetes Events (wrapped with cluster
"local") through classification, grouping and the notification policy, with each event's own timestamps
as the clock, and prints every decision that is not "none".

  --json         one JSON object per decision
  --state PATH   keep incident state in this SQLite file (default: a temporary file, deleted after)
`;

export interface ReplayLine {
  at: string;
  action: string;
  reason: string;
  incident: string;
  kind: string;
  cluster: string;
  namespace: string | null;
  workload: string | null;
  image: string | null;
  registry: string | null;
  cause: string;
  state: string;
  count: number;
  affectedTotal?: number;
}

export const command: Command = {
  async run(args: string[], io: CliIo): Promise<number> {
    let parsed: ReturnType<typeof parseReplayArgs>;
    try {
      parsed = parseReplayArgs(args);
    } catch (error) {
      io.stderr.write(`pullwatch replay: ${errorMessage(error)}\n\n${USAGE}`);
      return 2;
    }
    if (parsed.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const temp = parsed.state ? null : mkdtempSync(join(tmpdir(), 'pullwatch-replay-'));
    let store: SqliteIncidentStore | null = null;
    try {
      store = new SqliteIncidentStore({ path: parsed.state ?? join(temp!, 'state.db') });
      const input = parsed.file === '-' ? io.stdin : createReadStream(parsed.file, 'utf8');
      // `pullwatch replay … | head` closes our stdout early: stop quietly instead of crashing on EPIPE.
      const stop = new AbortController();
      io.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') stop.abort();
        else io.stderr.write(`pullwatch replay: cannot write output: ${error.message}\n`);
      });
      const summary = await replay(
        input,
        store,
        (line) => {
          io.stdout.write(`${parsed.json ? JSON.stringify(line) : formatLine(line)}\n`);
        },
        (problem) => io.stderr.write(`pullwatch replay: ${parsed.file}:${problem}\n`),
        stop.signal,
      );
      if (stop.signal.aborted) return 0;
      if (!parsed.json) {
        io.stderr.write(
          `${summary.lines} lines, ${summary.events} events, ${summary.decisions} decisions, ${summary.invalid} invalid\n`,
        );
      }
      return summary.invalid > 0 ? 1 : 0;
    } catch (error) {
      io.stderr.write(`pullwatch replay: ${errorMessage(error)}\n`);
      return 1;
    } finally {
      await store?.close();
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  },
};

function parseReplayArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, state: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return { help: true, file: '', json: false, state: undefined };
  if (positionals.length !== 1) throw new Error('expected exactly one FILE');
  return { help: false, file: positionals[0]!, json: values.json ?? false, state: values.state };
}

export interface ReplaySummary {
  lines: number;
  events: number;
  decisions: number;
  invalid: number;
}

/**
 * The replay loop, for the CLI and tests: one line at a time, in file order. The clock only moves forward
 * (the latest event time seen so far), so an out-of-order line is judged as late, as it would be live.
 */
export async function replay(
  input: AsyncIterable<string> | NodeJS.ReadableStream,
  store: IncidentStore,
  emit: (line: ReplayLine) => void,
  problem: (text: string) => void = () => {},
  signal?: AbortSignal,
): Promise<ReplaySummary> {
  const summary: ReplaySummary = { lines: 0, events: 0, decisions: 0, invalid: 0 };
  let clock = Number.NEGATIVE_INFINITY;
  const lines = createInterface({
    input: input as NodeJS.ReadableStream,
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const text of lines) {
    if (signal?.aborted) break;
    summary.lines += 1;
    if (text.trim() === '') continue;
    const results = readReplayLine(text, clock);
    for (const result of results) {
      if (!result.ok) {
        summary.invalid += 1;
        problem(
          `${summary.lines}${results.length > 1 ? ` (entry ${result.index})` : ''}: ${result.error.message}`,
        );
        continue;
      }
      summary.events += 1;
      const event = normalizeEvent(result.envelope.event);
      const when = timeOf(event.lastSeen ?? result.envelope.forwardedAt);
      if (Number.isFinite(when) && when > clock) clock = when;
      const reading = readEnvelope(result.envelope);
      for (const observation of aggregate(reading.observations)) {
        const outcome = await store.observe(observation, Number.isFinite(clock) ? clock : 0);
        if (outcome.decision.action === 'none' || outcome.incident === null) continue;
        summary.decisions += 1;
        emit(toLine(outcome.decision, outcome.incident, clock));
      }
    }
  }
  return summary;
}

/** An envelope or pack as the queue carries it; a bare Event is wrapped as the forwarder would wrap it. */
export function readReplayLine(text: string, clock: number): EnvelopeResult[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return parseQueueMessage(text);
  }
  if (typeof parsed === 'object' && parsed !== null && ('v' in parsed || 'pack' in parsed)) {
    return parseQueueMessage(text);
  }
  const event = parsed as Record<string, unknown>;
  const forwardedAt =
    firstTime(event) ?? (Number.isFinite(clock) ? new Date(clock).toISOString() : new Date(0).toISOString());
  const wrapped = { v: ENVELOPE_VERSION, cluster: 'local', forwardedAt, kind: 'event', event };
  try {
    return [{ ok: true, index: 0, envelope: parseEnvelope(wrapped) }];
  } catch (error) {
    if (error instanceof EnvelopeError) return [{ ok: false, index: 0, error, raw: event }];
    throw error;
  }
}

function firstTime(event: Record<string, unknown>): string | null {
  for (const field of ['lastTimestamp', 'deprecatedLastTimestamp', 'eventTime', 'firstTimestamp']) {
    const value = event[field];
    if (typeof value === 'string' && Number.isFinite(Date.parse(value))) return new Date(value).toISOString();
  }
  return null;
}

function toLine(
  decision: { action: string; reason: string },
  incident: IncidentRecord,
  clock: number,
): ReplayLine {
  return {
    at: new Date(Number.isFinite(clock) ? clock : 0).toISOString(),
    action: decision.action,
    reason: decision.reason,
    incident: incident.key,
    kind: incident.kind,
    cluster: incident.cluster,
    namespace: incident.namespace,
    workload: formatWorkload(incident.workload),
    image: incident.image,
    registry: incident.registry,
    cause: incident.cause,
    state: incident.state,
    count: incident.count,
    ...(incident.kind === 'registry' ? { affectedTotal: incident.affectedTotal } : {}),
  };
}

export function formatLine(line: ReplayLine): string {
  const subject =
    line.kind === 'registry'
      ? `registry ${line.registry} (${plural(line.affectedTotal ?? 0, 'workload')})`
      : `${line.namespace}/${line.workload} ${line.image}`;
  return `${line.at}  ${line.action.padEnd(13)} ${line.reason.padEnd(24)} ${line.cause.padEnd(22)} count=${String(line.count).padEnd(6)} ${line.cluster}: ${subject}  [${line.incident}]`;
}
