import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../lib/config/file.ts';
import { ConfigError, redactConfig, validateConfig } from '../../lib/config/load.ts';
import * as z from '../../lib/zod.ts';

const dir = mkdtempSync(join(tmpdir(), 'pullwatch-config-'));

describe('readConfigFile', () => {
  it('reads YAML, treats a missing optional file as empty and names a broken one', () => {
    const good = join(dir, 'good.yml');
    writeFileSync(good, 'cluster: prod\npolicy:\n  updateIntervalSeconds: 60\n');
    expect(readConfigFile(good)).toEqual({ cluster: 'prod', policy: { updateIntervalSeconds: 60 } });
    expect(readConfigFile(join(dir, 'missing.yml'))).toEqual({});
    expect(() => readConfigFile(join(dir, 'missing.yml'), { required: true })).toThrow(ConfigError);
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'cluster: [unclosed\n');
    expect(() => readConfigFile(bad)).toThrow(/bad\.yml is not valid YAML/);
  });
});

describe('validateConfig', () => {
  const schema = z.object({
    cluster: z._default(z.string(), 'local'),
    rules: z._default(z.array(z.object({ namespace: z.string() })), []),
  });

  it('applies defaults', () => {
    expect(validateConfig(schema, {}, 'test')).toEqual({ cluster: 'local', rules: [] });
  });

  it('names every offending field by its path', () => {
    try {
      validateConfig(schema, { cluster: 3, rules: [{ namespace: 'a' }, { namespace: 1 }] }, 'pullwatch.yml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('config_invalid');
      expect((error as Error).message).toMatch(/pullwatch\.yml/);
      expect((error as Error).message).toMatch(/cluster:/);
      expect((error as Error).message).toMatch(/rules\.1\.namespace:/);
    }
  });
});

describe('redactConfig', () => {
  it('hides secret values but keeps references to where secrets live', () => {
    const redacted = redactConfig({
      slack: { botToken: 'xoxb-1', botTokenEnv: 'SLACK_BOT_TOKEN', signingSecret: 's' },
      registries: [{ host: 'r.example.com', password: 'p', passwordSecretArn: 'arn:aws:secretsmanager:x' }],
    });
    expect(redacted).toEqual({
      slack: { botToken: '<secret>', botTokenEnv: 'SLACK_BOT_TOKEN', signingSecret: '<secret>' },
      registries: [
        { host: 'r.example.com', password: '<secret>', passwordSecretArn: 'arn:aws:secretsmanager:x' },
      ],
    });
  });
});
