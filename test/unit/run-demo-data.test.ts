import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildDemo, DEMO_CLUSTER, DEMO_FILE } from '../../examples/make-demo.ts';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { type ReplayLine, replay } from '../../lib/cli/replay.ts';
import { parseEnvelope } from '../../lib/events/envelope.ts';
import { readEnvelope } from '../../lib/incidents/from-envelope.ts';
import { DEMO_FILE as RUN_DEMO_FILE } from '../../lib/run/demo.ts';

/**
 * The bundled example is data a newcomer's first impression rests on: it must be what its generator writes,
 * valid envelopes, fictional, and tell the story examples/README.md promises through the real pipeline.
 */
const lines = readFileSync(DEMO_FILE, 'utf8').trimEnd().split('\n');
const envelopes = lines.map((line) => parseEnvelope(JSON.parse(line)));

describe('examples/demo-events.ndjson', () => {
  it('is exactly what examples/make-demo.ts generates (regenerate it after changing the script)', () => {
    expect(buildDemo()).toEqual(lines);
    expect(buildDemo()).toEqual(buildDemo());
  });

  it('is the file `pullwatch run` falls back to', () => {
    expect(RUN_DEMO_FILE).toBe(DEMO_FILE);
  });

  it('holds forwarder envelopes of one fictional cluster, in time order, over about twenty minutes', () => {
    expect(envelopes.length).toBeGreaterThan(100);
    const times = envelopes.map((e) =>
      Date.parse('lastTimestamp' in e.event ? (e.event.lastTimestamp ?? '') : ''),
    );
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const minutes = (times.at(-1)! - times[0]!) / 60_000;
    expect(minutes).toBeGreaterThan(15);
    expect(minutes).toBeLessThan(25);
    for (const envelope of envelopes) {
      expect(envelope.cluster).toBe(DEMO_CLUSTER);
      expect(envelope.pod?.workload?.name).toBeTruthy();
      expect(envelope.node?.arch).toMatch(/^(amd64|arm64)$/);
    }
  });

  it('names only hosts that are reserved for examples, or Docker Hub', () => {
    const hosts = new Set<string>();
    for (const line of lines) {
      for (const match of line.matchAll(/(?:https?:\/\/|")([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?\//g)) {
        hosts.add(match[1]!);
      }
    }
    expect(hosts.size).toBeGreaterThan(0);
    for (const host of hosts) {
      expect(host).toMatch(/(^|\.)example\.com$|^(registry-1\.)?docker\.io$|^www\.docker\.com$/);
    }
  });

  it('repeats one Kubernetes event with a growing count, as kubelet does', () => {
    const counts = new Map<string, number[]>();
    for (const envelope of envelopes) {
      const uid = envelope.event.metadata?.uid ?? '';
      const list = counts.get(uid) ?? [];
      list.push('count' in envelope.event ? (envelope.event.count ?? 0) : 0);
      counts.set(uid, list);
    }
    const repeated = [...counts.values()].filter((list) => list.length > 3);
    expect(repeated.length).toBeGreaterThan(5);
    for (const list of repeated) expect(list).toEqual(list.map((_, i) => i + 1));
  });

  it('classifies into the story: one cause per workload', () => {
    const causes = new Map<string, Set<string>>();
    for (const envelope of envelopes) {
      const reading = readEnvelope(envelope);
      for (const observation of reading.observations) {
        if (observation.kind !== 'workload' || observation.failure === null) continue;
        if (observation.failure.cause === 'none') continue;
        const name = `${observation.namespace}/${observation.workload?.name}`;
        const set = causes.get(name) ?? new Set<string>();
        set.add(observation.failure.cause);
        causes.set(name, set);
      }
    }
    expect(Object.fromEntries([...causes].map(([name, set]) => [name, [...set]]))).toEqual({
      'shop/checkout-api': ['tag_not_found'],
      'billing/invoice-worker': ['repo_not_found_or_denied'],
      'payments/ledger-api': ['tls'],
      'payments/fraud-scorer': ['tls'],
      'search/indexer': ['tls'],
      'data/nightly-export': ['tls'],
      'web/storefront-proxy': ['rate_limited'],
      'ml/feature-store': ['platform_mismatch'],
      'tools/debug-shell': ['invalid_reference'],
    });
  });

  it('through grouping and the policy: six problems open once each, the fixed one resolves', async () => {
    const store = new SqliteIncidentStore({ path: ':memory:' });
    const decisions: ReplayLine[] = [];
    try {
      const summary = await replay(Readable.from(lines.map((line) => `${line}\n`)), store, (line) =>
        decisions.push(line),
      );
      expect(summary.invalid).toBe(0);
    } finally {
      await store.close();
    }
    const opened = decisions.filter((d) => d.action === 'open');
    expect(opened.map((d) => `${d.kind}:${d.cause}`).sort()).toEqual([
      'registry:rate_limited',
      'registry:tls',
      'workload:invalid_reference',
      'workload:platform_mismatch',
      'workload:repo_not_found_or_denied',
      'workload:tag_not_found',
    ]);
    const tls = decisions.filter((d) => d.kind === 'registry' && d.cause === 'tls').at(-1);
    expect(tls?.affectedTotal).toBe(4);
    const resolved = decisions.filter((d) => d.action === 'resolve');
    expect(resolved.map((d) => `${d.namespace}/${d.workload}`)).toEqual(['shop/Deployment/checkout-api']);
    // Nothing else changes state: the rest are repeats (updates) of the same six.
    expect(new Set(decisions.map((d) => d.action))).toEqual(new Set(['open', 'update', 'resolve']));
  });
});
