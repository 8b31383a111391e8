import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { createSlackAdapter, type SlackAdapterOptions } from '../adapters/slack.ts';
import { ssmParameters } from '../adapters/ssm.ts';
import { ConfigError } from '../config/load.ts';
import type { PullwatchConfig } from '../config/pullwatch-config.ts';
import type { SlackPort } from '../notify/port.ts';

/**
 * The Slack side of the notify and slack-actions handlers: where the bot token and signing secret come from
 * (environment first, else SSM through middy, cached), and one Slack client per token (rebuilt only when the
 * token rotates).
 */
export type SlackSecretName = 'botToken' | 'signingSecret';

const CONTEXT_KEY: Record<SlackSecretName, string> = {
  botToken: 'pullwatchSlackBotToken',
  signingSecret: 'pullwatchSlackSigningSecret',
};

export interface SlackSecrets {
  /** Fetches what the environment does not hold from SSM before each invocation (cached); else a no-op. */
  middleware: MiddlewareObj;
  read(context: Context): { botToken: string | null; signingSecret: string | null };
}

/**
 * The Slack bot token and signing secret: the environment variables the config names (default
 * SLACK_BOT_TOKEN / SLACK_SIGNING_SECRET) when set, else the SSM SecureString parameters named by
 * `slack.botTokenParameter` / `slack.signingSecretParameter` (or SLACK_BOT_TOKEN_PARAMETER /
 * SLACK_SIGNING_SECRET_PARAMETER). A needed secret with neither fails at cold start, naming both options.
 */
export function slackSecrets(
  slack: PullwatchConfig['slack'],
  options: {
    need: readonly SlackSecretName[];
    cacheKey: string;
    ssmEndpoint?: string | undefined;
    env?: NodeJS.ProcessEnv;
  },
): SlackSecrets {
  const env = options.env ?? process.env;
  const fromEnv: Partial<Record<SlackSecretName, string>> = {};
  const fromSsm: Record<string, string> = {};
  for (const name of options.need) {
    const envName = name === 'botToken' ? slack.botTokenEnv : slack.signingSecretEnv;
    const value = env[envName];
    if (value) {
      fromEnv[name] = value;
      continue;
    }
    const parameter =
      name === 'botToken'
        ? (slack.botTokenParameter ?? env.SLACK_BOT_TOKEN_PARAMETER)
        : (slack.signingSecretParameter ?? env.SLACK_SIGNING_SECRET_PARAMETER);
    if (!parameter) {
      const field = name === 'botToken' ? 'botTokenParameter' : 'signingSecretParameter';
      throw new ConfigError(
        'config_invalid',
        `no Slack ${name === 'botToken' ? 'bot token' : 'signing secret'}: set ${envName}, or name an SSM parameter in slack.${field} (or ${name === 'botToken' ? 'SLACK_BOT_TOKEN_PARAMETER' : 'SLACK_SIGNING_SECRET_PARAMETER'})`,
      );
    }
    fromSsm[CONTEXT_KEY[name]] = parameter;
  }
  const middleware: MiddlewareObj =
    Object.keys(fromSsm).length > 0
      ? ssmParameters({
          parameters: fromSsm,
          cacheKey: options.cacheKey,
          ...(options.ssmEndpoint ? { endpoint: options.ssmEndpoint } : {}),
        })
      : { name: 'pullwatch-secrets-from-env', before: () => undefined };
  const pick = (context: Context, name: SlackSecretName): string | null => {
    if (fromEnv[name]) return fromEnv[name];
    const value = (context as unknown as Record<string, unknown>)[CONTEXT_KEY[name]];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  return {
    middleware,
    read: (context) => ({
      botToken: pick(context, 'botToken'),
      signingSecret: pick(context, 'signingSecret'),
    }),
  };
}

/** One value per secret, rebuilt when the secret changes (SSM rotation), never per invocation. */
export function perSecret<T>(build: (secret: string | null) => T): (secret: string | null) => T {
  let last: { secret: string | null; value: T } | null = null;
  return (secret) => {
    if (last === null || last.secret !== secret) last = { secret, value: build(secret) };
    return last.value;
  };
}

/**
 * The Slack Web API client for a token. When `slack.apiUrl` points at a stand-in or a proxy, response URLs on
 * that same origin are accepted too (they come from the stand-in); otherwise only Slack's hooks host.
 */
export function slackClient(
  slack: PullwatchConfig['slack'],
  token: string,
  options: Omit<SlackAdapterOptions, 'token' | 'slackApiUrl' | 'responseUrlPrefixes'> = {},
): SlackPort {
  const prefixes = ['https://hooks.slack.com/'];
  if (slack.apiUrl) prefixes.push(`${new URL(slack.apiUrl).origin}/`);
  return createSlackAdapter({
    token,
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    responseUrlPrefixes: prefixes,
    ...options,
  });
}
