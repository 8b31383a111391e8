import { SqliteAlertStateStore } from '../adapters/sqlite-alert-state.ts';
import type { PullwatchConfig } from '../config/pullwatch-config.ts';
import { resolvePolicy } from '../incidents/policy.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { AlertNews } from '../notify/alert-news.ts';
import type { TerminalNews } from '../notify/terminal.ts';
import type { AlertDelivery } from '../pipeline/deliver-alert.ts';
import { registryDiagnoser } from '../pipeline/diagnose-incident.ts';
import { createNotifier } from '../pipeline/notify.ts';
import { RegistryProber } from '../registry/prober.ts';
import type { Clock } from '../runtime/clock.ts';
import type { AlertOutput } from './alert-output.ts';
import { localTargets } from './local-targets.ts';
import type { RunLogger } from './log.ts';
import type { NoticeHandler } from './pipeline.ts';
import type { StatePaths } from './state-dir.ts';

/**
 * The notify stage of `pullwatch run`: the Lambda's own delivery core (claims, registry check, routing,
 * Slack/SNS, alert state) on SQLite, with the terminal as one more sink. Registry probes run live from this
 * machine, behind the SSRF guard and the `registry` settings.
 */
export interface RunNotifier {
  notify: NoticeHandler;
  /** Where alerts go, for the start-up line. */
  targets: string[];
  close(): Promise<void>;
}

export interface RunNotifierOptions {
  config: PullwatchConfig;
  store: IncidentStore;
  state: StatePaths;
  clock: Clock;
  logger: RunLogger;
  output: AlertOutput;
  env: Record<string, string | undefined>;
  checkedFrom: string;
}

/** Time a delivery may take, registry check included (the Lambda's budget is its remaining time). */
const DELIVERY_BUDGET_MS = 60_000;

export async function createRunNotifier(options: RunNotifierOptions): Promise<RunNotifier> {
  const targets = localTargets(options.config, options.env);
  for (const warning of targets.warnings) options.logger.warn(warning);
  const alerts = new SqliteAlertStateStore({ path: options.state.incidents });
  const prober = new RegistryProber({ config: options.config.registry, env: options.env });
  const policy = resolvePolicy(options.config.policy);
  const notifier = createNotifier({
    store: options.store,
    alerts,
    routing: targets.routing,
    // The SDKs load only when the environment turns their target on.
    slack: targets.slack
      ? (await import('../adapters/slack.ts')).createSlackAdapter({
          token: targets.slack.token,
          ...(targets.slack.apiUrl ? { slackApiUrl: targets.slack.apiUrl } : {}),
        })
      : null,
    sns: targets.sns
      ? (await import('../adapters/sns.ts')).createSnsAdapter({
          region: targets.sns.region,
          ...(targets.sns.endpoint ? { endpoint: targets.sns.endpoint } : {}),
        })
      : null,
    sinks: [(delivery) => options.output.write(terminalAlertOf(delivery), options.clock())],
    diagnose: registryDiagnoser(prober, options.checkedFrom),
    probeDeadlineMs: prober.config.deadlineMs,
    snoozeSeconds: policy.snoozeDurationsMs.map((ms) => Math.round(ms / 1000)),
    clock: options.clock,
    logger: options.logger,
    deadLetters: null,
    defer: null,
  });
  return {
    targets: targets.described,
    notify: async (records) => {
      const started = Date.now();
      const report = await notifier(records, {
        remainingMs: () => DELIVERY_BUDGET_MS - (Date.now() - started),
      });
      return { failed: report.failed };
    },
    close: () => alerts.close(),
  };
}

const NEWS_ORDER: readonly AlertNews['type'][] = [
  'opened',
  'reopened',
  'cause_changed',
  'resolved',
  'snooze_ended',
  'reminder',
];

/** One terminal entry per delivery: its most important news, or a silent update. */
export function terminalAlertOf(delivery: AlertDelivery): {
  incident: AlertDelivery['incident'];
  diagnosis: AlertDelivery['diagnosis'];
  news: TerminalNews;
} {
  const types = new Set(delivery.news.map((item) => item.type));
  const news = NEWS_ORDER.find((type) => types.has(type)) ?? 'updated';
  return { incident: delivery.incident, diagnosis: delivery.diagnosis, news };
}
