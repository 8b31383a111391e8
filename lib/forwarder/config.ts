import * as z from 'zod';
import { PullwatchError } from '../errors.ts';

const dnsLabelish = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const names = z.array(z.string().min(1).max(253)).max(1000);

/**
 * Every forwarder setting with its default. `loadForwarderConfig` reads them from environment variables
 * (FORWARDER_ENV below); the lead's config files can build the same object and parse it with this schema.
 */
export const forwarderConfigSchema = z.object({
  /** Written on every envelope, so one queue can serve several clusters. */
  clusterName: z.string().min(1).max(128).regex(dnsLabelish, 'letters, digits, ".", "_" or "-"'),
  /** Namespaces to watch; empty means all (one cluster-wide watch). */
  namespaces: names.default([]),
  excludeNamespaces: names.default([]),
  /** Reasons forwarded in addition to the pull-failure ones, whatever their type. */
  includeReasons: names.default([]),
  /** Reasons never forwarded (wins over everything else). */
  excludeReasons: names.default([]),
  /** Forward every Warning event, not only the image-pull ones. */
  forwardAllWarnings: z.boolean().default(false),
  /** A `Pulled` event becomes a `resolved` envelope when the pod had a forwarded pull failure this recently. */
  resolveWindowSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(3600),

  queueUrl: z.url().optional(),
  /** Only for VPC endpoints and emulators; unset in AWS (the SDK resolves the regional endpoint). */
  sqsEndpoint: z.url().optional(),
  lingerMs: z.number().int().min(0).max(60_000).default(250),
  bufferMaxEvents: z.number().int().min(1).max(1_000_000).default(10_000),
  bufferMaxBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /** Concurrent SendMessageBatch calls. */
  sendConcurrency: z.number().int().min(1).max(64).default(4),
  sendRetryBaseMs: z.number().int().min(1).max(60_000).default(200),
  sendRetryMaxMs: z.number().int().min(1).max(300_000).default(20_000),
  /**
   * Pack several envelopes into one SQS message (`{ v: 1, pack: [...] }`): `auto` only when more than one
   * batch is waiting (a storm: fewer requests, lower cost and CPU), `always`, or `never`.
   */
  pack: z.enum(['auto', 'always', 'never']).default('auto'),
  packMaxBytes: z
    .number()
    .int()
    .min(4 * 1024)
    .max(240 * 1024)
    .default(64 * 1024),

  /** Opt-in: report whether each imagePullSecret exists, its type and its registry hosts (never credentials). */
  inspectPullSecrets: z.boolean().default(false),
  /** Opt-in: cache ReplicaSets and Jobs to resolve workloads exactly (needs the workload-owners RBAC overlay). */
  watchWorkloads: z.boolean().default(false),

  /** Restart a watch that delivered no event and no bookmark for this long. */
  watchSilenceSeconds: z.number().int().min(5).max(3600).default(90),
  /** Server-side watch timeout; each watch picks a random value between this and twice this. */
  watchTimeoutSeconds: z.number().int().min(30).max(3600).default(300),
  watchRetryBaseMs: z.number().int().min(1).max(60_000).default(500),
  watchRetryMaxMs: z.number().int().min(1).max(600_000).default(30_000),
  listPageSize: z.number().int().min(10).max(5000).default(500),

  /** File recording what SQS acknowledged, so a restarted container does not forward it again. */
  checkpointPath: z.string().min(1).optional(),
  checkpointIntervalSeconds: z.number().int().min(1).max(3600).default(10),
  /** SIGTERM: how long the buffer may take to drain before the rest is counted as dropped. */
  shutdownDeadlineSeconds: z.number().int().min(1).max(600).default(20),

  httpHost: z.string().min(1).default('127.0.0.1'),
  httpPort: z.number().int().min(0).max(65_535).default(8080),
});

export type ForwarderConfig = z.infer<typeof forwarderConfigSchema>;
export type ForwarderConfigInput = z.input<typeof forwarderConfigSchema>;

type Kind = 'string' | 'int' | 'bool' | 'list';

/** Environment variable → setting. The README lists the same table. */
export const FORWARDER_ENV: ReadonlyArray<{ env: string; key: keyof ForwarderConfig; kind: Kind }> = [
  { env: 'PULLWATCH_CLUSTER', key: 'clusterName', kind: 'string' },
  { env: 'PULLWATCH_NAMESPACES', key: 'namespaces', kind: 'list' },
  { env: 'PULLWATCH_EXCLUDE_NAMESPACES', key: 'excludeNamespaces', kind: 'list' },
  { env: 'PULLWATCH_INCLUDE_REASONS', key: 'includeReasons', kind: 'list' },
  { env: 'PULLWATCH_EXCLUDE_REASONS', key: 'excludeReasons', kind: 'list' },
  { env: 'PULLWATCH_FORWARD_ALL_WARNINGS', key: 'forwardAllWarnings', kind: 'bool' },
  { env: 'PULLWATCH_RESOLVE_WINDOW_SECONDS', key: 'resolveWindowSeconds', kind: 'int' },
  { env: 'PULLWATCH_QUEUE_URL', key: 'queueUrl', kind: 'string' },
  { env: 'PULLWATCH_SQS_ENDPOINT', key: 'sqsEndpoint', kind: 'string' },
  { env: 'PULLWATCH_LINGER_MS', key: 'lingerMs', kind: 'int' },
  { env: 'PULLWATCH_BUFFER_MAX_EVENTS', key: 'bufferMaxEvents', kind: 'int' },
  { env: 'PULLWATCH_BUFFER_MAX_BYTES', key: 'bufferMaxBytes', kind: 'int' },
  { env: 'PULLWATCH_SEND_CONCURRENCY', key: 'sendConcurrency', kind: 'int' },
  { env: 'PULLWATCH_SEND_RETRY_BASE_MS', key: 'sendRetryBaseMs', kind: 'int' },
  { env: 'PULLWATCH_SEND_RETRY_MAX_MS', key: 'sendRetryMaxMs', kind: 'int' },
  { env: 'PULLWATCH_PACK', key: 'pack', kind: 'string' },
  { env: 'PULLWATCH_PACK_MAX_BYTES', key: 'packMaxBytes', kind: 'int' },
  { env: 'PULLWATCH_INSPECT_PULL_SECRETS', key: 'inspectPullSecrets', kind: 'bool' },
  { env: 'PULLWATCH_WATCH_WORKLOADS', key: 'watchWorkloads', kind: 'bool' },
  { env: 'PULLWATCH_WATCH_SILENCE_SECONDS', key: 'watchSilenceSeconds', kind: 'int' },
  { env: 'PULLWATCH_WATCH_TIMEOUT_SECONDS', key: 'watchTimeoutSeconds', kind: 'int' },
  { env: 'PULLWATCH_WATCH_RETRY_BASE_MS', key: 'watchRetryBaseMs', kind: 'int' },
  { env: 'PULLWATCH_WATCH_RETRY_MAX_MS', key: 'watchRetryMaxMs', kind: 'int' },
  { env: 'PULLWATCH_LIST_PAGE_SIZE', key: 'listPageSize', kind: 'int' },
  { env: 'PULLWATCH_CHECKPOINT_PATH', key: 'checkpointPath', kind: 'string' },
  { env: 'PULLWATCH_CHECKPOINT_INTERVAL_SECONDS', key: 'checkpointIntervalSeconds', kind: 'int' },
  { env: 'PULLWATCH_SHUTDOWN_DEADLINE_SECONDS', key: 'shutdownDeadlineSeconds', kind: 'int' },
  { env: 'PULLWATCH_HTTP_HOST', key: 'httpHost', kind: 'string' },
  { env: 'PULLWATCH_HTTP_PORT', key: 'httpPort', kind: 'int' },
];

export class ForwarderConfigError extends PullwatchError {
  override readonly name: string = 'ForwarderConfigError';
}

function convert(env: string, kind: Kind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return text;
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    case 'bool': {
      const lower = text.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off'].includes(lower)) return false;
      throw new ForwarderConfigError(
        'config_invalid',
        `${env}: expected true or false, got ${JSON.stringify(raw)}`,
      );
    }
    case 'int': {
      if (!/^-?\d+$/.test(text)) {
        throw new ForwarderConfigError(
          'config_invalid',
          `${env}: expected an integer, got ${JSON.stringify(raw)}`,
        );
      }
      return Number(text);
    }
  }
}

/** Validates a settings object; errors name the setting (`clusterName: …`). */
export function parseForwarderConfig(input: unknown): ForwarderConfig {
  const result = forwarderConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ForwarderConfigError('config_invalid', `invalid forwarder settings: ${detail}`, {
    cause: result.error,
  });
}

/**
 * Reads the settings from environment variables. Empty variables count as unset. Every error names the
 * variable, e.g. `PULLWATCH_LINGER_MS: expected an integer, got "fast"`.
 */
export function loadForwarderConfig(env: Record<string, string | undefined>): ForwarderConfig {
  const input: Record<string, unknown> = {};
  for (const { env: name, key, kind } of FORWARDER_ENV) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    input[key] = convert(name, kind, raw);
  }
  const result = forwarderConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path[0];
    const name = FORWARDER_ENV.find((entry) => entry.key === key)?.env ?? String(key);
    const missing = issue.code === 'invalid_type' && input[String(key)] === undefined;
    return missing ? `${name}: required` : `${name}: ${issue.message}`;
  });
  throw new ForwarderConfigError('config_invalid', `invalid forwarder settings: ${problems.join('; ')}`, {
    cause: result.error,
  });
}
