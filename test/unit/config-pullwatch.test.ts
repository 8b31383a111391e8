import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/file.ts';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'pullwatch-settings-'));

describe('pullwatch settings', () => {
  it('an empty file is a complete configuration', () => {
    const config = pullwatchConfigSchema.parse({});
    expect(config.cluster).toBe('local');
    expect(config.policy.updateIntervalSeconds).toBe(60);
    expect(config.registry.allowHosts).toEqual([]);
    expect(config.routing.rules).toEqual([]);
    expect(config.slack.botTokenEnv).toBe('SLACK_BOT_TOKEN');
  });

  it('reads the file named by PULLWATCH_CONFIG_FILE and names bad fields with their section', () => {
    const path = join(dir, 'bad.yml');
    writeFileSync(
      path,
      'cluster: prod\npolicy:\n  updateIntervalSeconds: -5\nrouting:\n  rules:\n    - match: { namespace: 7 }\n',
    );
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG_FILE: path } })).toThrow(
      /policy\.updateIntervalSeconds/,
    );
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG_FILE: path } })).toThrow(/routing\.rules\.0/);
  });

  it('rejects unknown keys so a typo is not silently ignored', () => {
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG: JSON.stringify({ polcy: {} }) } })).toThrow(/polcy/);
    // In every section: a misspelt registry key would otherwise leave a private registry unchecked.
    const registry = JSON.stringify({ registry: { alowHosts: ['10.0.0.0/8'], timeouts: { dnsMS: 5 } } });
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG: registry } })).toThrow(
      /registry: Unrecognized key: "alowHosts"/,
    );
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG: registry } })).toThrow(
      /registry\.timeouts: Unrecognized key: "dnsMS"/,
    );
  });

  it('prefers inline JSON (the Lambdas) over files, and a missing explicit file is an error', () => {
    const config = loadConfig({ env: { PULLWATCH_CONFIG: '{"cluster":"prod-eu"}' } });
    expect(config.cluster).toBe('prod-eu');
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG: '{' } })).toThrow(
      /PULLWATCH_CONFIG is not valid JSON/,
    );
    expect(() => loadConfig({ env: { PULLWATCH_CONFIG_FILE: join(dir, 'nope.yml') } })).toThrow(
      /cannot read/,
    );
  });

  it('falls back to defaults when no file exists at the default path', () => {
    expect(loadConfig({ path: undefined, env: {} }).cluster).toBe('local');
  });
});

describe('pullwatch.example.yml', () => {
  it('is a valid settings file, so the documented example never rots', () => {
    const config = loadConfig({ path: 'pullwatch.example.yml', env: {} });
    expect(config.routing.rules.length).toBeGreaterThan(0);
    expect(Object.keys(config.registry.credentials)).toContain('registry.internal.example.com');
  });
});
