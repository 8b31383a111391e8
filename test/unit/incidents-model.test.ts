import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claim, noticeSent, record, release } from '../../lib/incidents/claims.ts';
import { evaluate } from '../../lib/incidents/decide.ts';
import { registryKey, workloadKey } from '../../lib/incidents/fingerprint.ts';
import { formatLedger, parseLedger, recordCount } from '../../lib/incidents/ledger.ts';
import { aggregate, causeReplaces } from '../../lib/incidents/observation.ts';
import { DEFAULT_POLICY, policyConfigSchema, resolvePolicy } from '../../lib/incidents/policy.ts';
import { applyTransition } from '../../lib/incidents/state.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { fromOwner, fromPodName, resolveWorkload } from '../../lib/incidents/workload.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';

describe('workload of a pod', () => {
  it('maps a ReplicaSet owner to its Deployment and a CronJob’s Job to the CronJob', () => {
    expect(fromOwner({ kind: 'ReplicaSet', name: 'api-7d9f8c6b5' })).toEqual({
      kind: 'Deployment',
      name: 'api',
    });
    expect(fromOwner({ kind: 'ReplicaSet', name: 'web-frontend-5c6b7d8f9b' })).toEqual({
      kind: 'Deployment',
      name: 'web-frontend',
    });
    expect(fromOwner({ kind: 'Job', name: 'nightly-backup-29384756' })).toEqual({
      kind: 'CronJob',
      name: 'nightly-backup',
    });
    // A hand-made ReplicaSet or Job whose name is not generated stays what it is.
    expect(fromOwner({ kind: 'ReplicaSet', name: 'legacy' })).toEqual({ kind: 'ReplicaSet', name: 'legacy' });
    expect(fromOwner({ kind: 'Job', name: 'migrate-2' })).toEqual({ kind: 'Job', name: 'migrate-2' });
    expect(fromOwner({ kind: 'StatefulSet', name: 'db' })).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(fromOwner({ kind: 'DaemonSet', name: 'agent' })).toEqual({ kind: 'DaemonSet', name: 'agent' });
  });

  it('falls back to the pod name shape only when nothing better is known', () => {
    expect(fromPodName('api-7d9f8c6b5-x2k4p')).toEqual({ kind: 'Deployment', name: 'api' });
    expect(fromPodName('report-29384756-b7x2q')).toEqual({ kind: 'CronJob', name: 'report' });
    expect(fromPodName('db-0')).toEqual({ kind: 'StatefulSet', name: 'db' });
    // Vowels never appear in generated suffixes: an ordinary hyphenated name is not mistaken for one.
    expect(fromPodName('my-debug-pod')).toEqual({ kind: 'Pod', name: 'my-debug-pod' });
    expect(fromPodName('agent-x7k2p')).toEqual({ kind: 'Pod', name: 'agent-x7k2p' });
  });

  it('prefers the forwarder’s resolved workload, then the owner, then the name', () => {
    expect(
      resolveWorkload({
        workload: { kind: 'Rollout', name: 'api' },
        owner: { kind: 'ReplicaSet', name: 'api-7d9f8c6b5' },
        podName: 'api-7d9f8c6b5-x2k4p',
      }),
    ).toEqual({ kind: 'Rollout', name: 'api' });
    expect(resolveWorkload({ owner: { kind: 'ReplicaSet', name: 'api-7d9f8c6b5' }, podName: 'x' })).toEqual({
      kind: 'Deployment',
      name: 'api',
    });
    expect(resolveWorkload({ podName: null })).toBeNull();
  });
});

describe('fingerprints', () => {
  const base = {
    cluster: 'prod',
    namespace: 'shop',
    workload: { kind: 'Deployment', name: 'api' },
    image: 'docker.io/library/nginx:1.99',
  };

  it('is stable and differs when any part differs', () => {
    const key = workloadKey(base);
    expect(workloadKey({ ...base })).toBe(key);
    expect(key).toMatch(/^w-[A-Za-z0-9_-]{22}$/);
    for (const other of [
      { ...base, cluster: 'staging' },
      { ...base, namespace: 'shop2' },
      { ...base, workload: { kind: 'StatefulSet', name: 'api' } },
      { ...base, image: 'docker.io/library/nginx:1.98' },
    ]) {
      expect(workloadKey(other)).not.toBe(key);
    }
  });

  it('keeps the keys stored incidents carry: SHA-256 of the NUL-joined parts, base64url, 22 characters', () => {
    const expected = createHash('sha256')
      .update(['w', 'prod', 'shop', 'Deployment', 'api', 'docker.io/library/nginx:1.99'].join('\u0000'))
      .digest('base64url')
      .slice(0, 22);
    expect(workloadKey(base)).toBe(`w-${expected}`);
  });

  it('cannot be confused by moving text between parts', () => {
    expect(workloadKey({ ...base, namespace: 'a-b', workload: { kind: 'Deployment', name: 'c' } })).not.toBe(
      workloadKey({ ...base, namespace: 'a', workload: { kind: 'Deployment', name: 'b-c' } }),
    );
  });

  it('keys registry incidents by cluster, host (case-insensitive) and cause', () => {
    const key = registryKey({ cluster: 'prod', registry: 'Registry.Example.com', cause: 'tls' });
    expect(key).toBe(registryKey({ cluster: 'prod', registry: 'registry.example.com', cause: 'tls' }));
    expect(key).not.toBe(registryKey({ cluster: 'prod', registry: 'registry.example.com', cause: 'dns' }));
    expect(key).toMatch(/^r-/);
  });
});

describe('event ledger', () => {
  it('adds only growth, survives a round trip, and evicts the longest-idle entries', () => {
    const ledger = parseLedger('');
    expect(recordCount(ledger, 'a', 3)).toBe(3);
    expect(recordCount(ledger, 'a', 3)).toBe(0);
    expect(recordCount(ledger, 'a', 2)).toBe(0);
    expect(recordCount(ledger, 'a', 5)).toBe(2);
    expect(recordCount(ledger, 'b', 1)).toBe(1);
    expect(parseLedger(formatLedger(ledger))).toEqual(ledger);
    const big = parseLedger('');
    for (let i = 0; i < 10; i += 1) recordCount(big, `e${i}`, 1);
    recordCount(big, 'e0', 2);
    expect([...parseLedger(formatLedger(big, 3)).keys()]).toEqual(['e8', 'e9', 'e0']);
  });

  it('ignores damaged entries instead of failing', () => {
    expect([...parseLedger('a:1 junk b:x c:2 :3')]).toEqual([
      ['a', 1],
      ['c', 2],
    ]);
  });
});

describe('aggregation within a batch', () => {
  it('folds a batch into one observation per key, keeping the strongest, newest cause', () => {
    const a = workloadFailure({ at: t(1), events: [['e1', 2]], cause: 'unknown' });
    const b = workloadFailure({
      at: t(2),
      events: [
        ['e1', 5],
        ['e2', 1],
      ],
      cause: 'none',
    });
    const c = workloadFailure({ at: t(0), events: [['e3', 1]], cause: 'unauthorized' });
    const other = workloadFailure({ at: t(0), workload: { kind: 'Deployment', name: 'web' } });
    const merged = aggregate([a, other, b, c]);
    expect(merged.map((o) => o.key)).toEqual([a.key, other.key]);
    const f = merged[0]!.failure!;
    expect(f.cause).toBe('unauthorized');
    // The cause-less observation's events are not failed pulls and do not count.
    expect(Object.fromEntries(f.events)).toEqual({ e1: 2, e3: 1 });
    expect(f.firstSeen).toBe(t(0));
    expect(f.lastSeen).toBe(t(2));
  });

  it('orders causes: none < unknown < a named cause; equal ranks by event time', () => {
    expect(causeReplaces({ cause: 'tls', causeAt: t(0) }, { cause: 'none', causeAt: null })).toBe(false);
    expect(causeReplaces({ cause: 'tls', causeAt: t(0) }, { cause: 'unknown', causeAt: t(9) })).toBe(false);
    expect(causeReplaces({ cause: 'unknown', causeAt: t(9) }, { cause: 'tls', causeAt: t(0) })).toBe(true);
    expect(causeReplaces({ cause: 'tls', causeAt: t(5) }, { cause: 'dns', causeAt: t(4) })).toBe(false);
    expect(causeReplaces({ cause: 'tls', causeAt: t(5) }, { cause: 'dns', causeAt: t(6) })).toBe(true);
  });
});

describe('policy knobs', () => {
  it('has defaults for every knob and converts to milliseconds', () => {
    expect(resolvePolicy({})).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({ updateIntervalSeconds: 5 }).updateIntervalMs).toBe(5000);
    expect(DEFAULT_POLICY.snoozeDurationsMs.length).toBeGreaterThan(0);
  });

  it('names the offending field and refuses unknown ones', () => {
    const bad = policyConfigSchema.safeParse({ updateIntervalSeconds: -1, quietPeriod: 5 });
    expect(bad.success).toBe(false);
    const text = JSON.stringify(bad.error?.issues);
    expect(text).toContain('updateIntervalSeconds');
    expect(text).toContain('quietPeriod');
  });
});

describe('state machine and delivery bookkeeping', () => {
  const open = (): IncidentRecord =>
    evaluate(null, workloadFailure({ at: t(0) }), ms(0), DEFAULT_POLICY).next!;

  it('allows open → acknowledged → snoozed → (wake) acknowledged → resolved → open', () => {
    let incident = open();
    for (const [transition, state] of [
      [{ type: 'acknowledge', by: 'U1' }, 'acknowledged'],
      [{ type: 'snooze', by: 'U1', until: t(30) }, 'snoozed'],
      [{ type: 'wake' }, 'acknowledged'],
      [{ type: 'resolve', by: 'quiet' }, 'resolved'],
      [{ type: 'reopen', reason: 'manual' }, 'open'],
    ] as const) {
      const out = applyTransition(incident, transition, ms(31));
      if (transition.type === 'snooze') {
        // A snooze must end in the future.
        expect(applyTransition(incident, transition, ms(31)).outcome).toBe('rejected');
        const ok = applyTransition(incident, transition, ms(1));
        if (ok.outcome !== 'applied') throw new Error('snooze refused');
        incident = ok.next;
        expect(incident.state).toBe(state);
        continue;
      }
      if (out.outcome !== 'applied') throw new Error(`${transition.type} refused: ${out.reason}`);
      incident = out.next;
      expect(incident.state).toBe(state);
    }
    expect(incident).toMatchObject({ acknowledgedBy: null, resolvedAt: null, countAtOpen: incident.count });
  });

  it('only reminds open, unacknowledged incidents, and never announces rolled-up ones', () => {
    const incident = open();
    expect(applyTransition(incident, { type: 'remind' }, ms(300))).toMatchObject({
      outcome: 'applied',
      action: 'remind',
    });
    const acked = applyTransition(incident, { type: 'acknowledge', by: 'U1' }, ms(1));
    if (acked.outcome !== 'applied') throw new Error('ack refused');
    expect(applyTransition(acked.next, { type: 'remind' }, ms(300))).toMatchObject({ outcome: 'unchanged' });
    const child = { ...incident, parentKey: 'r-x' };
    const resolved = applyTransition(child, { type: 'resolve', by: 'quiet' }, ms(40));
    expect(resolved).toMatchObject({ outcome: 'applied', notice: false });
    if (resolved.outcome === 'applied') expect(resolved.next.pendingNotice).toBe(incident.pendingNotice);
  });

  it('refuses a second live claim, allows a takeover after the lease, and clears the outbox on record', () => {
    const incident = open();
    const first = claim(incident, 1, 'A', ms(1), 60_000);
    if (!first.claimed) throw new Error('claim refused');
    expect(claim(first.next, 1, 'B', ms(1), 60_000)).toMatchObject({ claimed: false, reason: 'claimed' });
    expect(claim(first.next, 1, 'B', ms(2), 60_000)).toMatchObject({
      claimed: true,
      takeover: { token: 'A' },
    });
    const done = record(first.next, 1, 'A', { channel: 'C', ts: '1' }, ms(1));
    expect(done).toMatchObject({
      recorded: true,
      next: { notifiedSeq: 1, notifyClaim: null, pendingNotice: null },
    });
    expect(release(first.next, 'B')).toBeNull();
    expect(release(first.next, 'A')?.notifyClaim).toBeNull();
    expect(noticeSent(incident, 0)).toBeNull();
    expect(noticeSent(incident, 1)?.pendingNotice).toBeNull();
  });
});
