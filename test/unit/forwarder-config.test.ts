import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORWARDER_ENV, forwarderConfigSchema, loadForwarderConfig } from '../../lib/forwarder/config.ts';

describe('forwarder settings', () => {
  it('fills every default from the cluster name alone', () => {
    const config = loadForwarderConfig({ PULLWATCH_CLUSTER: 'prod-eu' });
    expect(config).toMatchObject({
      clusterName: 'prod-eu',
      namespaces: [],
      forwardAllWarnings: false,
      lingerMs: 250,
      bufferMaxEvents: 10_000,
      inspectPullSecrets: false,
      watchSilenceSeconds: 90,
      httpHost: '127.0.0.1',
    });
  });

  it('reads lists, booleans and integers from their variables', () => {
    const config = loadForwarderConfig({
      PULLWATCH_CLUSTER: 'c',
      PULLWATCH_NAMESPACES: ' shop, payments ,,',
      PULLWATCH_FORWARD_ALL_WARNINGS: 'yes',
      PULLWATCH_LINGER_MS: '100',
      PULLWATCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/pullwatch-events',
      PULLWATCH_INSPECT_PULL_SECRETS: 'false',
    });
    expect(config.namespaces).toEqual(['shop', 'payments']);
    expect(config.forwardAllWarnings).toBe(true);
    expect(config.lingerMs).toBe(100);
    expect(config.inspectPullSecrets).toBe(false);
  });

  it('names the variable in every error', () => {
    expect(() => loadForwarderConfig({})).toThrow(/PULLWATCH_CLUSTER: required/);
    expect(() => loadForwarderConfig({ PULLWATCH_CLUSTER: 'c', PULLWATCH_LINGER_MS: 'fast' })).toThrow(
      /PULLWATCH_LINGER_MS: expected an integer, got "fast"/,
    );
    expect(() => loadForwarderConfig({ PULLWATCH_CLUSTER: 'c', PULLWATCH_PACK: 'maybe' })).toThrow(
      /PULLWATCH_PACK/,
    );
    expect(() => loadForwarderConfig({ PULLWATCH_CLUSTER: 'c', PULLWATCH_LINGER_MS: '-5' })).toThrow(
      /PULLWATCH_LINGER_MS/,
    );
    expect(() => loadForwarderConfig({ PULLWATCH_CLUSTER: 'bad name!' })).toThrow(/PULLWATCH_CLUSTER/);
    expect(() => loadForwarderConfig({ PULLWATCH_CLUSTER: 'c', PULLWATCH_QUEUE_URL: 'not a url' })).toThrow(
      /PULLWATCH_QUEUE_URL/,
    );
  });

  it('maps every setting of the schema to exactly one variable', () => {
    const keys = Object.keys(forwarderConfigSchema.shape).sort();
    expect(FORWARDER_ENV.map((entry) => entry.key).sort()).toEqual(keys);
    expect(new Set(FORWARDER_ENV.map((entry) => entry.env)).size).toBe(FORWARDER_ENV.length);
  });

  it('documents every variable, with its default, in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // The section runs to the next second-level heading, wherever the README puts it.
    const start = readme.indexOf('\n## The in-cluster forwarder');
    expect(start).toBeGreaterThan(-1);
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    const defaults = forwarderConfigSchema.parse({ clusterName: 'c' }) as Record<string, unknown>;
    for (const { env, key } of FORWARDER_ENV) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${env}\``));
      expect([env, row !== undefined]).toEqual([env, true]);
      const value = defaults[key];
      if (
        typeof value === 'number' ||
        typeof value === 'boolean' ||
        (typeof value === 'string' && value !== 'c')
      ) {
        expect([env, row!.includes(`\`${String(value)}\``)]).toEqual([env, true]);
      }
    }
  });
});
