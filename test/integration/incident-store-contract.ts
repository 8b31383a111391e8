import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy, resolvePolicy } from '../../lib/incidents/policy.ts';
import type { IncidentStore } from '../../lib/incidents/store.ts';
import { ms, pulled, registryFailure, t, workloadFailure } from '../support/incident-fixtures.ts';

/**
 * The one behaviour both IncidentStore adapters must have. Each adapter's test file runs this suite against
 * its real backend (dynalite, a SQLite file); nothing here knows which one it is talking to.
 */
export interface StoreHarness {
  /** A fresh, empty namespace (table, file) for one test; `open` gives a new client on it each call. */
  fresh(): Promise<{ open(policy?: Policy): IncidentStore }>;
}

export function incidentStoreContract(name: string, harness: () => StoreHarness): void {
  describe(`IncidentStore contract: ${name}`, () => {
    const opened: IncidentStore[] = [];
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    async function setup(policy: Policy = DEFAULT_POLICY) {
      const space = await harness().fresh();
      const open = (p: Policy = policy) => {
        const store = space.open(p);
        opened.push(store);
        return store;
      };
      return { store: open(), open };
    }

    it('returns null for an unknown key and records a first failure as one open incident', async () => {
      const { store } = await setup();
      const obs = workloadFailure({ at: t(0), events: [['e1', 3]] });
      expect(await store.get(obs.key)).toBeNull();
      const result = await store.observe(obs, ms(0));
      expect(result.decision).toEqual({ action: 'open', reason: 'new_incident' });
      expect(result.written).toBe(true);
      const stored = await store.get(obs.key);
      expect(stored).toEqual(result.incident);
      expect(stored).toMatchObject({
        key: obs.key,
        kind: 'workload',
        state: 'open',
        cause: 'tag_not_found',
        count: 3,
        version: 1,
        seq: 1,
        workload: { kind: 'Deployment', name: 'api' },
        pendingNotice: { seq: 1, action: 'open', reason: 'new_incident' },
        slack: null,
      });
    });

    it('stores a pure duplicate without a write, and counts only growth of each event', async () => {
      const { store } = await setup();
      const first = workloadFailure({ firstSeen: t(0), at: t(2), events: [['e1', 5]] });
      await store.observe(first, ms(2));
      const again = await store.observe(first, ms(2.5));
      expect(again).toMatchObject({ decision: { action: 'none', reason: 'duplicate' }, written: false });
      // An older copy of the same event (lower count, earlier lastTimestamp) arriving late adds nothing either.
      const older = workloadFailure({ firstSeen: t(0), at: t(1), events: [['e1', 2]] });
      expect((await store.observe(older, ms(2.5))).written).toBe(false);
      const grown = workloadFailure({ at: t(3), events: [['e1', 9]] });
      await store.observe(grown, ms(3));
      const stored = await store.get(first.key);
      expect(stored?.count).toBe(9);
      expect(stored?.firstSeen).toBe(t(0));
      expect(stored?.lastSeen).toBe(t(3));
      expect(stored?.version).toBe(2);
    });

    it('keeps a known cause when only cause-less events (BackOff) follow', async () => {
      const { store } = await setup();
      await store.observe(workloadFailure({ at: t(0), events: [['e1', 1]] }), ms(0));
      // BackOff from another pod: news (a new pod), but it neither counts as a failed pull nor hides the cause.
      const backoff = workloadFailure({ at: t(5), cause: 'none', pods: ['api-7d9f8c6b5-b2c4d'] });
      const result = await store.observe(backoff, ms(5));
      expect(result.incident?.cause).toBe('tag_not_found');
      expect(result.incident?.count).toBe(1);
      expect(result.incident?.lastSeen).toBe(t(5));
      expect(result.decision).toEqual({ action: 'update', reason: 'repeat' });
    });

    it('updates at most once per update interval', async () => {
      const { store } = await setup(resolvePolicy({ updateIntervalSeconds: 600 }));
      const key = workloadFailure({ at: t(0) }).key;
      await store.observe(workloadFailure({ at: t(0), events: [['e1', 1]] }), ms(0));
      const actions: string[] = [];
      for (let minute = 1; minute <= 30; minute += 1) {
        const r = await store.observe(
          workloadFailure({ at: t(minute), events: [['e1', minute + 1]] }),
          ms(minute),
        );
        actions.push(r.decision.action);
      }
      expect(actions.filter((a) => a === 'update')).toHaveLength(3);
      expect((await store.get(key))?.count).toBe(31);
    });

    it('200 concurrent first observations through separate clients: exactly one open, no lost count', async () => {
      const { open } = await setup();
      const clients = Array.from({ length: 200 }, () => open());
      const results = await Promise.all(
        clients.map((client, i) =>
          client.observe(
            workloadFailure({ at: t(0), events: [[`pod-${i}`, 1]], pods: [`api-7d9f8c6b5-p${i}`] }),
            ms(0),
          ),
        ),
      );
      const actions = results.map((r) => r.decision.action);
      expect(actions.filter((a) => a === 'open')).toHaveLength(1);
      expect(actions.filter((a) => a !== 'open' && a !== 'none')).toEqual([]);
      const stored = await clients[0]!.get(results[0]!.incident!.key);
      expect(stored?.count).toBe(200);
      expect(stored?.seq).toBe(1);
      expect(stored?.version).toBe(200);
    }, 240_000);

    it('rolls workloads up under one registry incident that alone notifies', async () => {
      const { store } = await setup();
      const decisions: string[] = [];
      for (let i = 0; i < 14; i += 1) {
        const workload = { kind: 'Deployment', name: `svc-${i}` };
        const namespace = `team-${i % 5}`;
        const child = workloadFailure({
          at: t(0),
          cause: 'tls',
          workload,
          namespace,
          rolledUp: true,
          events: [[`c${i}`, 1]],
        });
        const parent = registryFailure({
          at: t(0),
          cause: 'tls',
          workload,
          namespace,
          events: [[`c${i}`, 1]],
        });
        decisions.push((await store.observe(child, ms(0))).decision.action);
        decisions.push((await store.observe(parent, ms(0))).decision.action);
        expect((await store.get(child.key))?.parentKey).toBe(parent.key);
      }
      expect(decisions.filter((d) => d === 'open')).toHaveLength(1);
      const registry = await store.get(registryFailure({ at: t(0), cause: 'tls' }).key);
      expect(registry).toMatchObject({ kind: 'registry', cause: 'tls', affectedTotal: 14, count: 14 });
    });

    it('resolves on a newer Pulled, ignores late failures, reopens on a real recurrence', async () => {
      const { store } = await setup();
      const obs = workloadFailure({ at: t(0), events: [['e1', 1]] });
      await store.observe(obs, ms(0));
      const resolved = await store.observe(pulled({ at: t(10) }), ms(10));
      expect(resolved.decision).toEqual({ action: 'resolve', reason: 'pulled' });
      expect(resolved.incident).toMatchObject({ state: 'resolved', resolvedBy: 'pulled', resolvedAt: t(10) });
      const late = await store.observe(workloadFailure({ at: t(5), events: [['e1', 2]] }), ms(11));
      expect(late.decision).toEqual({ action: 'none', reason: 'late_event' });
      expect(late.incident?.state).toBe('resolved');
      expect(late.incident?.count).toBe(2);
      const again = await store.observe(workloadFailure({ at: t(20), events: [['e2', 1]] }), ms(20));
      expect(again.decision).toEqual({ action: 'reopen', reason: 'recurred' });
      expect(again.incident).toMatchObject({ state: 'open', countAtOpen: 2, count: 3, resolvedAt: null });
    });

    it('applies ack, snooze and resolve with who and when; refuses what the state machine forbids', async () => {
      const { store } = await setup();
      const obs = workloadFailure({ at: t(0) });
      expect(await store.transition(obs.key, { type: 'acknowledge', by: 'U1' }, ms(1))).toMatchObject({
        outcome: 'missing',
      });
      await store.observe(obs, ms(0));
      const ack = await store.transition(obs.key, { type: 'acknowledge', by: 'U1' }, ms(1));
      expect(ack).toMatchObject({ outcome: 'applied', action: 'acknowledge', notice: true });
      expect(ack.incident).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'U1',
        acknowledgedAt: t(1),
        seq: 2,
      });
      expect(await store.transition(obs.key, { type: 'acknowledge', by: 'U2' }, ms(2))).toMatchObject({
        outcome: 'unchanged',
        reason: 'already_acknowledged',
      });
      const snooze = await store.transition(obs.key, { type: 'snooze', by: 'U2', until: t(60) }, ms(3));
      expect(snooze.incident).toMatchObject({ state: 'snoozed', snoozedUntil: t(60), snoozedBy: 'U2' });
      expect(await store.transition(obs.key, { type: 'wake' }, ms(30))).toMatchObject({
        outcome: 'unchanged',
        reason: 'snooze_not_over',
      });
      const woke = await store.transition(obs.key, { type: 'wake' }, ms(61));
      expect(woke.incident?.state).toBe('acknowledged');
      const resolved = await store.transition(obs.key, { type: 'resolve', by: 'button:U3' }, ms(62));
      expect(resolved.incident).toMatchObject({
        state: 'resolved',
        resolvedBy: 'button:U3',
        resolvedAt: t(62),
      });
      expect(
        await store.transition(obs.key, { type: 'snooze', by: 'U1', until: t(99) }, ms(63)),
      ).toMatchObject({
        outcome: 'rejected',
        reason: 'resolved',
      });
    });

    it('lets exactly one of two concurrent clicks win', async () => {
      const { store, open } = await setup();
      const obs = workloadFailure({ at: t(0) });
      await store.observe(obs, ms(0));
      const [a, b] = await Promise.all([
        open().transition(obs.key, { type: 'acknowledge', by: 'U1' }, ms(1)),
        open().transition(obs.key, { type: 'acknowledge', by: 'U2' }, ms(1)),
      ]);
      expect([a.outcome, b.outcome].sort()).toEqual(['applied', 'unchanged']);
      expect((await store.get(obs.key))?.version).toBe(2);
    });

    it('claims a notification once, hands an expired claim over, and records where the alert lives', async () => {
      const { store, open } = await setup();
      const obs = workloadFailure({ at: t(0) });
      await store.observe(obs, ms(0));
      const first = await store.claimNotification(obs.key, { seq: 1, token: 'A' }, ms(1));
      expect(first).toMatchObject({ claimed: true, takeover: null });
      expect(await open().claimNotification(obs.key, { seq: 1, token: 'B' }, ms(1))).toMatchObject({
        claimed: false,
        reason: 'claimed',
        holder: { token: 'A', seq: 1 },
      });
      // A's sender died after Slack accepted the post: after the lease, B takes over and is told about A.
      const later = ms(1) + DEFAULT_POLICY.notifyLeaseMs + 1;
      const takeover = await store.claimNotification(obs.key, { seq: 1, token: 'B' }, later);
      expect(takeover).toMatchObject({ claimed: true, takeover: { token: 'A' } });
      const recorded = await store.recordNotification(
        obs.key,
        { seq: 1, token: 'B', slack: { channel: 'C1', ts: '1.2' } },
        later + 5,
      );
      expect(recorded).toMatchObject({ recorded: true, reason: 'recorded' });
      expect(recorded.incident).toMatchObject({
        notifiedSeq: 1,
        slack: { channel: 'C1', ts: '1.2' },
        notifyClaim: null,
      });
      expect(recorded.incident?.pendingNotice).toBeNull();
      // Redelivery of the same notice: nothing to do.
      expect(await store.claimNotification(obs.key, { seq: 1, token: 'C' }, later + 6)).toMatchObject({
        claimed: false,
        reason: 'already_notified',
      });
      expect(
        await store.recordNotification(
          obs.key,
          { seq: 1, token: 'B', slack: { channel: 'C1', ts: '9.9' } },
          later + 7,
        ),
      ).toMatchObject({ recorded: false, reason: 'already_recorded' });
      expect((await store.get(obs.key))?.slack).toEqual({ channel: 'C1', ts: '1.2' });
    });

    it('releases a claim so a retry need not wait for the lease', async () => {
      const { store } = await setup();
      const obs = workloadFailure({ at: t(0) });
      await store.observe(obs, ms(0));
      await store.claimNotification(obs.key, { seq: 1, token: 'A' }, ms(1));
      expect(await store.releaseNotification(obs.key, 'B')).toBe(false);
      expect(await store.releaseNotification(obs.key, 'A')).toBe(true);
      expect(await store.claimNotification(obs.key, { seq: 1, token: 'B' }, ms(1))).toMatchObject({
        claimed: true,
        takeover: null,
      });
    });

    it('clears the outbox entry only for the seq that was sent', async () => {
      const { store } = await setup(resolvePolicy({ updateIntervalSeconds: 1 }));
      const obs = workloadFailure({ at: t(0), events: [['e1', 1]] });
      await store.observe(obs, ms(0));
      await store.observe(workloadFailure({ at: t(1), events: [['e1', 2]] }), ms(1));
      expect((await store.get(obs.key))?.pendingNotice?.seq).toBe(2);
      expect(await store.markNoticeSent(obs.key, 1)).toBe(false);
      expect(await store.markNoticeSent(obs.key, 2)).toBe(true);
      expect((await store.get(obs.key))?.pendingNotice).toBeNull();
      expect(await store.markNoticeSent(obs.key, 2)).toBe(false);
    });

    it('lists unresolved incidents and undelivered notices, by key, in pages', async () => {
      const { store } = await setup();
      const keys: string[] = [];
      for (let i = 0; i < 7; i += 1) {
        const obs = workloadFailure({ at: t(0), workload: { kind: 'Deployment', name: `svc-${i}` } });
        keys.push(obs.key);
        await store.observe(obs, ms(0));
        await store.markNoticeSent(obs.key, 1);
      }
      // Resolved with its notice delivered: gone from the list. Resolved with the notice pending: listed.
      await store.transition(keys[0]!, { type: 'resolve', by: 'quiet' }, ms(40));
      await store.markNoticeSent(keys[0]!, 2);
      await store.transition(keys[1]!, { type: 'resolve', by: 'quiet' }, ms(40));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.listActive({ limit: 3, cursor });
        seen.push(...page.incidents.map((i) => i.key));
        cursor = page.cursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      const expected = keys.slice(1).sort();
      expect(seen).toEqual(expected);
      expect(pages).toBeGreaterThanOrEqual(2);
    });

    it('records the TTL from the latest activity plus retention', async () => {
      const policy = resolvePolicy({ retentionSeconds: 3600 });
      const { store } = await setup(policy);
      const obs = workloadFailure({ at: t(0) });
      const result = await store.observe(obs, ms(0));
      expect(result.incident?.expiresAt).toBe(Math.ceil((ms(0) + 3_600_000) / 1000));
    });
  });
}
