import { PullwatchError } from '../errors.ts';
import * as z from '../zod.ts';

export class ConfigError extends PullwatchError {
  override readonly name: string = 'ConfigError';
}

/**
 * Validates settings once, at start. The error names every offending field by its path in the file
 * (`routing.rules.2.namespace: …`), so a bad deploy fails loudly before it handles a single event.
 */
export function validateConfig<S extends z.core.$ZodType>(
  schema: S,
  data: unknown,
  source: string,
): z.output<S> {
  const result = z.safeParse(schema, data);
  if (result.success) return result.data;
  const lines = result.error.issues.map(
    (issue) => `  ${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  );
  throw new ConfigError('config_invalid', `invalid settings in ${source}:\n${lines.join('\n')}`, {
    cause: result.error,
  });
}

const SECRET_KEY = /(token|secret|password|passwd|credential|apikey|api_key|authorization)$/i;

/**
 * A copy safe to print or log: values under keys that end like a secret (`botToken`, `password`) become
 * `<secret>`. References to where a secret lives (`botTokenEnv`, `passwordSecretArn`) do not end that way and
 * stay readable — they are how an operator debugs.
 */
export function redactConfig<T>(value: T): T {
  return redact(value, '') as T;
}

function redact(value: unknown, key: string): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined) {
    return '<secret>';
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, ''));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
