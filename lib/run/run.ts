import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { relative } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SqliteIncidentStore } from '../adapters/sqlite-store.ts';
import { loadConfig } from '../config/file.ts';
import type { PullwatchConfig } from '../config/pullwatch-config.ts';
import { errorMessage } from '../errors.ts';
import { resolvePolicy } from '../incidents/policy.ts';
import { formatDuration } from '../notify/text.ts';
import { systemClock } from '../runtime/clock.ts';
import { type AlertOutput, alertOutput } from './alert-output.ts';
import { createRunNotifier } from './deliver-alerts.ts';
import { DEMO_DESCRIPTION, DEMO_FILE } from './demo.ts';
import { clusterNameOf, findCluster } from './find-cluster.ts';
import { type RunLogger, terminalLogger } from './log.ts';
import type { RunOptions } from './options.ts';
import { InProcessPipeline } from './pipeline.ts';
import { emptyCounts, type ReplayCounts, replayBatches } from './replay-feed.ts';
import { prepareState, type StatePaths } from './state-dir.ts';

/**
 * `pullwatch run`: the whole pipeline in this process — forwarder (or a recorded file) → in-process queue →
 * ingest → notices → notify, with SQLite state — and the alerts in the terminal (plus Slack/SNS when the
 * environment configures them). Without a cluster to watch it says why and replays the bundled example.
 */
export interface RunIo {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Aborted by Ctrl-C / SIGTERM: a watch stops cleanly, a replay stops reading. */
  signal: AbortSignal;
}

const SHUTDOWN_DEADLINE_MS = 10_000;

type Source =
  | { kind: 'replay'; file: string; label: string; demo: boolean }
  | {
      kind: 'cluster';
      kube: Awaited<ReturnType<typeof findCluster>> & { found: true };
    };

export async function runPullwatch(options: RunOptions, io: RunIo): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const logger = terminalLogger(io.stderr, io.env.PULLWATCH_LOG_LEVEL);
  let config: PullwatchConfig;
  try {
    config = loadConfig({ ...(options.config ? { path: options.config } : {}), env: io.env });
  } catch (error) {
    say(`pullwatch run: ${errorMessage(error)}`);
    return 1;
  }

  let source: Source;
  if (options.replay !== null) {
    source = { kind: 'replay', file: options.replay, label: options.replay, demo: false };
  } else {
    const cluster = await findCluster({
      ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      ...(options.context ? { context: options.context } : {}),
      namespaces: options.namespaces,
      env: io.env,
    });
    if (cluster.found) source = { kind: 'cluster', kube: cluster };
    else if (options.kubeconfig || options.context) {
      say(`pullwatch run: cannot watch the cluster: ${cluster.reason}`);
      return 1;
    } else {
      say(`No cluster to watch: ${cluster.reason}. Replaying the bundled example instead.`);
      source = { kind: 'replay', file: DEMO_FILE, label: displayPath(DEMO_FILE), demo: true };
    }
  }
  if (io.signal.aborted) return 0;

  let state: StatePaths;
  let store: SqliteIncidentStore;
  try {
    state = prepareState(options.state, { replay: source.kind === 'replay', fresh: options.fresh });
    store = new SqliteIncidentStore({ path: state.incidents, policy: resolvePolicy(config.policy) });
  } catch (error) {
    say(`pullwatch run: ${errorMessage(error)}`);
    return 1;
  }
  const output = alertOutput({
    stream: io.stdout,
    env: io.env,
    json: options.json,
    jsonExtra: { replay: source.kind === 'replay' },
  });
  // A replay judges everything by the events' own time; a watch by the wall clock.
  const replayClock = { now: 0 };
  const clock = source.kind === 'replay' ? () => replayClock.now : systemClock;
  const clusterName =
    source.kind === 'cluster' && config.cluster === 'local'
      ? clusterNameOf(source.kube.context)
      : config.cluster;
  let notifier: Awaited<ReturnType<typeof createRunNotifier>>;
  try {
    notifier = await createRunNotifier({
      config,
      store,
      state,
      clock,
      logger,
      output,
      env: io.env,
      checkedFrom: config.checkedFrom ?? `pullwatch run on ${hostname()}`,
    });
  } catch (error) {
    say(`pullwatch run: ${errorMessage(error)}`);
    await store.close();
    return 1;
  }
  const pipeline = new InProcessPipeline({ store, clock, logger, notify: notifier.notify });
  try {
    if (source.kind === 'replay') {
      return await replayInto(pipeline, source, replayClock, output, options, io, notifier.targets);
    }
    return await watchInto(
      pipeline,
      source,
      clusterName,
      state,
      output,
      options,
      io,
      logger,
      notifier.targets,
    );
  } catch (error) {
    say(`pullwatch run: ${errorMessage(error)}`);
    return 1;
  } finally {
    await notifier.close();
    await store.close();
  }
}

async function replayInto(
  pipeline: InProcessPipeline,
  source: Extract<Source, { kind: 'replay' }>,
  clock: { now: number },
  output: AlertOutput,
  options: RunOptions,
  io: RunIo,
  targets: readonly string[],
): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const started = Date.now();
  say(
    source.demo
      ? `Replaying ${source.label}: ${DEMO_DESCRIPTION} Alerts go to ${targets.join(', ')}.`
      : `Replaying ${source.label}. Alerts go to ${targets.join(', ')}.`,
  );
  say("Times shown are the events' own; the replay does not wait for them.");
  const input = source.file === '-' ? io.stdin : createReadStream(source.file, 'utf8');
  const counts: ReplayCounts = emptyCounts();
  const reading = new Promise<void>((resolve, reject) => {
    input.once('error', reject);
    input.once('end', resolve);
    input.once('close', resolve);
  });
  reading.catch(() => {});
  for await (const batch of replayBatches(input, counts, {
    namespaces: options.namespaces,
    signal: io.signal,
    onProblem: (problem) =>
      say(
        `pullwatch run: ${source.label}:${problem.line}${problem.entry === null ? '' : ` (entry ${problem.entry})`}: ${problem.message}`,
      ),
  })) {
    clock.now = batch.at;
    await pipeline.events.send(batch.bodies.map((body, i) => ({ id: `e${i}`, body })));
    await pipeline.drain();
  }
  // Stopped by Ctrl-C: the rest of the input is never read (a pipe would otherwise hold the process open).
  if (io.signal.aborted) input.destroy();
  else await reading;
  const drained = await pipeline.settle(SHUTDOWN_DEADLINE_MS);
  output.recap(clock.now);
  say('');
  say(replaySummary(source, counts, output, pipeline, Date.now() - started, drained));
  if (source.demo) {
    say(
      'That was a replay of a recorded example, not your cluster. Make a kubeconfig context reachable (or pass --kubeconfig/--context) to watch a cluster live.',
    );
  }
  return counts.invalid > 0 ? 1 : 0;
}

function replaySummary(
  source: Extract<Source, { kind: 'replay' }>,
  counts: ReplayCounts,
  output: AlertOutput,
  pipeline: InProcessPipeline,
  tookMs: number,
  drained: boolean,
): string {
  const span =
    Number.isFinite(counts.first) && Number.isFinite(counts.last)
      ? ` spanning ${formatDuration(counts.last - counts.first)} (${clockText(counts.first)} – ${clockText(counts.last)})`
      : '';
  const c = output.counts;
  const parts = [
    `${c.opened + c.reopened} ${c.opened + c.reopened === 1 ? 'alert' : 'alerts'}`,
    `${c.updated} updates`,
    `${c.resolved} resolved`,
  ];
  const problems = [
    counts.invalid > 0 ? `${counts.invalid} invalid lines skipped` : '',
    counts.skipped > 0 ? `${counts.skipped} events outside the chosen namespaces` : '',
    pipeline.stats.givenUp > 0 ? `${pipeline.stats.givenUp} messages given up after repeated failures` : '',
    drained ? '' : 'some work was still queued at the end',
  ].filter((text) => text !== '');
  return `Replay of ${source.label} done in ${(tookMs / 1000).toFixed(1)} s: ${counts.events} events${span} → ${parts.join(', ')}.${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`;
}

async function watchInto(
  pipeline: InProcessPipeline,
  source: Extract<Source, { kind: 'cluster' }>,
  clusterName: string,
  state: StatePaths,
  output: AlertOutput,
  options: RunOptions,
  io: RunIo,
  logger: RunLogger,
  targets: readonly string[],
): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const scope =
    options.namespaces.length > 0 ? `namespaces ${options.namespaces.join(', ')}` : 'all namespaces';
  say(
    `Watching context "${source.kube.context}" (${source.kube.server}) as cluster "${clusterName}", ${scope}. Alerts go to ${targets.join(', ')}; state in ${displayPath(state.dir)}.${options.once ? '' : ' Ctrl-C to stop.'}`,
  );
  // Loaded only for a watch: the forwarder brings prom-client and the Kubernetes client with it.
  const { watchCluster } = await import('./cluster-watch.ts');
  const watch = watchCluster({
    kube: source.kube.kube,
    pipeline,
    clusterName,
    namespaces: options.namespaces,
    checkpointPath: state.checkpoint,
    logger,
    env: io.env,
  });
  const aborted = new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const ready = watch.forwarder.ready.then(() => 'ready' as const);
  const first = await Promise.race([ready, aborted.then(() => 'aborted' as const)]);
  if (first === 'ready') {
    // What the first lists found is still in the forwarder's buffer for its linger time: hand it over first.
    const end = Date.now() + SHUTDOWN_DEADLINE_MS;
    while (watch.forwarder.buffered() > 0 && Date.now() < end && !io.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await pipeline.settle(SHUTDOWN_DEADLINE_MS);
    const open = output.incidents.size;
    say(
      open === 0
        ? 'Listed the recent events: no image pull failures.' +
            (options.once ? '' : ' Watching for new ones…')
        : `Listed the recent events: ${open} ${open === 1 ? 'problem' : 'problems'} above.${options.once ? '' : ' Watching for changes…'}`,
    );
    if (!options.once) await aborted;
  }
  say('Stopping: finishing what is queued…');
  const stopped = await watch.stop(SHUTDOWN_DEADLINE_MS);
  if (options.once) output.recap(Date.now());
  const lost = stopped.forwarder.abandoned;
  say(
    `Stopped. ${pipeline.stats.events} events handled, ${output.counts.opened + output.counts.reopened} alerts, ${output.counts.resolved} resolved.${stopped.drained ? '' : ' Some work was still queued.'}${lost > 0 ? ` ${lost} events were not handed over in time.` : ''}`,
  );
  return 0;
}

function clockText(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** Paths relative to the working directory when they are inside it: shorter, and what the user typed. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}
