import { policyConfigSchema } from '../incidents/policy.ts';
import { routingConfigSchema } from '../notify/routing.ts';
import { registryConfigSchema } from '../registry/config.ts';
import * as z from '../zod.ts';
import { ConfigError, validateConfig } from './load.ts';

/**
 * One schema for every setting that `pullwatch run` and the Lambdas share (the forwarder, which runs in the
 * cluster, reads its own environment: lib/forwarder/config.ts). Every section has defaults, so an empty file
 * is a complete configuration. Secrets are never values here — only where to find them.
 */
export const slackConfigSchema = z.strictObject({
  /** Web API base URL; only for a stand-in or a proxy (default: Slack's own). */
  apiUrl: z.optional(z.url()),
  /** Environment variables read when set (local runs, tests). In AWS the SSM parameters below are used. */
  botTokenEnv: z._default(z.string().check(z.minLength(1)), 'SLACK_BOT_TOKEN'),
  signingSecretEnv: z._default(z.string().check(z.minLength(1)), 'SLACK_SIGNING_SECRET'),
  /** SSM SecureString parameter names (loaded and cached by middy's ssm middleware in the Lambdas). */
  botTokenParameter: z.optional(z.string().check(z.minLength(1))),
  signingSecretParameter: z.optional(z.string().check(z.minLength(1))),
});

export const pullwatchConfigSchema = z.strictObject({
  /** The cluster name `pullwatch run` gives the events it watches (the forwarder sets its own in AWS). */
  cluster: z._default(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(128),
        z.regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
      ),
    'local',
  ),
  /** Where diagnoses say they were checked from (default: derived from the runtime, e.g. `lambda eu-west-1`). */
  checkedFrom: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  policy: z.prefault(policyConfigSchema, {}),
  registry: z.prefault(registryConfigSchema, {}),
  routing: z.prefault(routingConfigSchema, {}),
  slack: z.prefault(slackConfigSchema, {}),
});

export type PullwatchConfig = z.infer<typeof pullwatchConfigSchema>;
export type PullwatchConfigInput = z.input<typeof pullwatchConfigSchema>;

/**
 * The settings as the Lambdas get them: the `PULLWATCH_CONFIG` environment variable holding them as JSON
 * (serverless.yml embeds pullwatch.yml at deploy); the defaults when it is unset. No YAML parser here, so the
 * function bundles stay small.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): PullwatchConfig {
  const inline = env.PULLWATCH_CONFIG;
  if (inline === undefined || inline.trim() === '') return pullwatchConfigSchema.parse({});
  let data: unknown;
  try {
    data = JSON.parse(inline);
  } catch (cause) {
    throw new ConfigError('config_not_json', 'PULLWATCH_CONFIG is not valid JSON', { cause });
  }
  return validateConfig(pullwatchConfigSchema, data, 'PULLWATCH_CONFIG');
}
