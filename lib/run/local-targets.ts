import type { PullwatchConfig } from '../config/pullwatch-config.ts';
import { errorMessage } from '../errors.ts';
import { parseRoutingConfig, type RoutingConfig } from '../notify/routing.ts';

/**
 * Where `pullwatch run` sends alerts besides the terminal, decided by the environment, pure:
 * - Slack only when the bot token variable (`slack.botTokenEnv`, default SLACK_BOT_TOKEN) is set. The
 *   channels are the routing settings' ones; SLACK_CHANNEL, when set, is the default route's channel.
 *   A token with no channel anywhere is a warning, and Slack stays off.
 * - SNS only when PULLWATCH_SNS_TOPIC_ARN is set: that topic is the default route's, the rules keep theirs,
 *   and the client uses the topic's region.
 * A kind that is off is stripped from every rule, so a pullwatch.yml shared with the Lambdas never makes a
 * laptop publish to production topics, or log a rejected delivery for every alert.
 */
export interface LocalTargets {
  routing: RoutingConfig;
  slack: { token: string; apiUrl: string | null } | null;
  /** `endpoint`: SNS_ENDPOINT, as for the Lambdas (an emulator, a VPC endpoint). */
  sns: { topicArn: string; region: string; endpoint: string | null } | null;
  /** For the start-up line: `the terminal`, `Slack (#alerts)`, `SNS (arn:…)`. */
  described: string[];
  warnings: string[];
}

export function localTargets(config: PullwatchConfig, env: Record<string, string | undefined>): LocalTargets {
  const warnings: string[] = [];
  const described = ['the terminal'];
  const token = env[config.slack.botTokenEnv]?.trim() || null;
  const channel = checked('SLACK_CHANNEL', 'slack', env.SLACK_CHANNEL, warnings);
  const topic = checked('PULLWATCH_SNS_TOPIC_ARN', 'sns', env.PULLWATCH_SNS_TOPIC_ARN, warnings);
  const source = config.routing;
  let slackOn = token !== null;
  const snsOn = topic !== null;
  const routing: RoutingConfig = {
    rules: source.rules,
    default: {
      slack: slackOn && channel !== null ? [channel] : source.default.slack,
      sns: topic !== null ? [topic] : source.default.sns,
    },
  };

  const slackChannels = new Set([...routing.default.slack, ...routing.rules.flatMap((rule) => rule.slack)]);
  if (slackOn && slackChannels.size === 0) {
    warnings.push(
      `${config.slack.botTokenEnv} is set but no Slack channel is: set SLACK_CHANNEL (or routing in pullwatch.yml). Slack stays off.`,
    );
    slackOn = false;
  }
  if (slackOn) described.push(`Slack (${[...slackChannels].join(', ')})`);
  if (topic !== null) described.push(`SNS (${topic})`);

  const strip = (targets: { slack: string[]; sns: string[] }) => ({
    slack: slackOn ? targets.slack : [],
    sns: snsOn ? targets.sns : [],
  });
  return {
    routing: {
      rules: routing.rules.map((rule) => ({ ...rule, ...strip(rule) })),
      default: strip(routing.default),
    },
    slack: slackOn && token !== null ? { token, apiUrl: config.slack.apiUrl ?? null } : null,
    sns:
      topic !== null
        ? { topicArn: topic, region: topic.split(':')[3] ?? '', endpoint: env.SNS_ENDPOINT?.trim() || null }
        : null,
    described,
    warnings,
  };
}

/** A variable's value when the routing schema accepts it as a target of that kind; else a warning and null. */
function checked(
  name: string,
  kind: 'slack' | 'sns',
  value: string | undefined,
  warnings: string[],
): string | null {
  const text = value?.trim();
  if (!text) return null;
  try {
    parseRoutingConfig({ default: { [kind]: [text] } });
    return text;
  } catch (error) {
    const why = errorMessage(error)
      .replace(/^[^:]*:\s*/, '')
      .replace(/^default\.\w+\[0\]:\s*/, '')
      .replace(/\n\s*/g, ' ');
    warnings.push(`${name} ignored: ${why}`);
    return null;
  }
}
