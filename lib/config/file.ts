import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, validateConfig } from './load.ts';
import { configFromEnv, type PullwatchConfig, pullwatchConfigSchema } from './pullwatch-config.ts';

/** Reads a YAML (or JSON) settings file; a missing file is an error only when the caller says it must exist. */
export function readConfigFile(path: string, options: { required?: boolean } = {}): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT' && !options.required) return {};
    throw new ConfigError('config_unreadable', `cannot read settings file ${path}`, { cause });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (cause) {
    throw new ConfigError(
      'config_not_yaml',
      `settings file ${path} is not valid YAML: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * The settings for processes with a working directory (the CLI, tests): `PULLWATCH_CONFIG` JSON when set
 * (as in the Lambdas), else the YAML file named by `path` or `PULLWATCH_CONFIG_FILE` (it must exist), else
 * `pullwatch.yml` in the working directory if there is one, else the defaults.
 */
export function loadConfig(options: { path?: string; env?: NodeJS.ProcessEnv } = {}): PullwatchConfig {
  const env = options.env ?? process.env;
  if (env.PULLWATCH_CONFIG !== undefined && env.PULLWATCH_CONFIG.trim() !== '') return configFromEnv(env);
  const explicit = options.path ?? env.PULLWATCH_CONFIG_FILE;
  const path = explicit ?? 'pullwatch.yml';
  return validateConfig(
    pullwatchConfigSchema,
    readConfigFile(path, { required: explicit !== undefined }),
    path,
  );
}
