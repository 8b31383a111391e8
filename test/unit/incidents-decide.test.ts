import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Decision, decide, evaluate } from '../../lib/incidents/decide.ts';
import type { Observation } from '../../lib/incidents/observation.ts';
import { DEFAULT_POLICY, type Policy, resolvePolicy } from '../../lib/incidents/policy.ts';
import { applyTransition } from '../../lib/incidents/state.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { ms, pulled, registryFailure, t, workloadFailure } from '../support/incident-fixtures.ts';

/** Applies observations in order like the store does (without the store), returning every decision. */
function run(
  steps: Array<{ obs: Observation; now: number }>,
  policy: Policy = DEFAULT_POLICY,
  start: IncidentRecord | null = null,
): { incident: IncidentRecord | null; decisions: Decision[] } {
  let incident = start;
  const decisions: Decision[] = [];
  for (const { obs, now } of steps) {
    const { decision, next } = evaluate(incident, obs, now, policy);
    decisions.push(decision);
    if (next) incident = next;
  }
  return { incident, decisions };
}

const at = (minutes: number, extra: Parameters<typeof workloadFailure>[0] | object = {}) => ({
  obs: workloadFailure({ at: t(minutes), events: [[`e${minutes}`, 1]], ...extra }),
  now: ms(minutes),
});

describe('decide: a new problem', () => {
  it('opens on the first failure with a cause', () => {
    expect(decide(null, workloadFailure({ at: t(0) }), ms(0), DEFAULT_POLICY)).toEqual({
      action: 'open',
      reason: 'new_incident',
    });
  });

  it('does not create anything for a Pulled with no incident', () => {
    expect(evaluate(null, pulled({ at: t(0) }), ms(0), DEFAULT_POLICY)).toEqual({
      decision: { action: 'none', reason: 'no_incident' },
      next: null,
    });
  });

  it('waits for the cause when BackOff arrives before the failure that names it (out of order)', () => {
    const { decisions, incident } = run([
      at(0, { cause: 'none' }),
      { obs: workloadFailure({ at: t(0.5), events: [['f1', 1]], cause: 'tag_not_found' }), now: ms(0.6) },
    ]);
    expect(decisions).toEqual([
      { action: 'none', reason: 'awaiting_cause' },
      { action: 'open', reason: 'new_incident' },
    ]);
    expect(incident?.cause).toBe('tag_not_found');
    expect(incident?.seq).toBe(1);
  });

  it('opens without a cause when none arrives within the cause wait', () => {
    const policy = resolvePolicy({ causeWaitSeconds: 120 });
    const { decisions } = run(
      [at(0, { cause: 'none' }), at(1, { cause: 'none' }), at(3, { cause: 'none' })],
      policy,
    );
    expect(decisions.map((d) => d.reason)).toEqual([
      'awaiting_cause',
      'awaiting_cause',
      'cause_not_reported',
    ]);
  });
});

describe('decide: repeats', () => {
  it('turns a storm into one open and updates at most once per interval', () => {
    const policy = resolvePolicy({ updateIntervalSeconds: 300 });
    const steps = Array.from({ length: 600 }, (_, i) => ({
      obs: workloadFailure({ at: t(i / 10), events: [[`pod-${i % 50}`, Math.floor(i / 50) + 1]] }),
      now: ms(i / 10),
    }));
    const { decisions, incident } = run(steps, policy);
    expect(decisions.filter((d) => d.action === 'open')).toHaveLength(1);
    // 60 minutes of storm, one update per 5 minutes at most.
    expect(decisions.filter((d) => d.action === 'update').length).toBeLessThanOrEqual(12);
    expect(
      decisions.filter((d) => d.action !== 'none' && d.action !== 'open' && d.action !== 'update'),
    ).toEqual([]);
    expect(incident?.count).toBe(600);
  });

  it('never re-posts a duplicate or an older copy, even after the interval', () => {
    const first = workloadFailure({ at: t(0), events: [['e1', 4]] });
    const { incident } = run([{ obs: first, now: ms(0) }]);
    expect(evaluate(incident, first, ms(90), DEFAULT_POLICY)).toEqual({
      decision: { action: 'none', reason: 'duplicate' },
      next: null,
    });
    const older = workloadFailure({ at: t(0), events: [['e1', 2]] });
    expect(evaluate(incident, older, ms(90), DEFAULT_POLICY).next).toBeNull();
  });

  it('keeps the known cause when BackOff (cause none) follows, and an unknown text does not hide it', () => {
    const { incident, decisions } = run([
      at(0, { cause: 'unauthorized' }),
      at(5, { cause: 'none' }),
      at(10, { cause: 'unknown' }),
    ]);
    expect(incident?.cause).toBe('unauthorized');
    // The BackOff adds no failed pull and no new pod: nothing to tell.
    expect(decisions.map((d) => d.action)).toEqual(['open', 'none', 'update']);
  });

  it('changes the cause only for a newer event, and says so once', () => {
    const { incident, decisions } = run([
      at(0, { cause: 'unauthorized' }),
      at(5, { cause: 'tag_not_found' }),
      // A late copy of the old cause does not flip it back.
      { obs: workloadFailure({ at: t(1), cause: 'unauthorized', events: [['late', 1]] }), now: ms(7) },
    ]);
    expect(decisions.map((d) => `${d.action}:${d.reason}`)).toEqual([
      'open:new_incident',
      'cause_changed:cause_changed',
      'update:repeat',
    ]);
    expect(incident).toMatchObject({ cause: 'tag_not_found', previousCause: 'unauthorized' });
  });

  it('defers a cause change inside the update interval and announces it with the next repeat', () => {
    const policy = resolvePolicy({ updateIntervalSeconds: 600 });
    const { decisions } = run(
      [at(0, { cause: 'unauthorized' }), at(1, { cause: 'forbidden' }), at(11)],
      policy,
    );
    expect(decisions.map((d) => d.reason)).toEqual([
      'new_incident',
      'cause_change_deferred',
      'cause_changed',
    ]);
  });

  it('stays silent while snoozed and speaks again once the snooze is over', () => {
    const { incident } = run([at(0)]);
    const snoozed = applyTransition(incident!, { type: 'snooze', by: 'U1', until: t(60) }, ms(1));
    if (snoozed.outcome !== 'applied') throw new Error('snooze refused');
    const { decisions, incident: after } = run([at(30), at(50), at(65)], DEFAULT_POLICY, snoozed.next);
    expect(decisions).toEqual([
      { action: 'none', reason: 'snoozed' },
      { action: 'none', reason: 'snoozed' },
      { action: 'update', reason: 'snooze_expired' },
    ]);
    expect(after?.state).toBe('open');
  });

  it('reopens after a quiet period even when no sweep resolved it', () => {
    const policy = resolvePolicy({ quietPeriodSeconds: 1800 });
    const { decisions, incident } = run([at(0), at(5), at(60)], policy);
    expect(decisions.map((d) => `${d.action}:${d.reason}`)).toEqual([
      'open:new_incident',
      'update:repeat',
      'reopen:recurred_after_quiet',
    ]);
    expect(incident?.openedAt).toBe(t(60));
    expect(incident?.countAtOpen).toBe(2);
  });
});

describe('decide: resolution and recurrence', () => {
  const opened = () => run([at(0)]).incident!;

  it('resolves on a Pulled newer than every failure, not on an older one', () => {
    const incident = run([at(0), at(10)]).incident!;
    expect(decide(incident, pulled({ at: t(5) }), ms(11), DEFAULT_POLICY)).toEqual({
      action: 'none',
      reason: 'still_failing',
    });
    expect(decide(incident, pulled({ at: t(12) }), ms(12), DEFAULT_POLICY)).toEqual({
      action: 'resolve',
      reason: 'pulled',
    });
  });

  it('does not reopen for a late failure or a lingering back-off, and reopens for a real one', () => {
    const resolved = evaluate(opened(), pulled({ at: t(10) }), ms(10), DEFAULT_POLICY).next!;
    expect(resolved.state).toBe('resolved');
    expect(
      decide(resolved, workloadFailure({ at: t(9), events: [['x', 1]] }), ms(11), DEFAULT_POLICY),
    ).toEqual({
      action: 'none',
      reason: 'late_event',
    });
    expect(
      decide(
        resolved,
        workloadFailure({ at: t(11), cause: 'none', events: [['b', 1]] }),
        ms(11),
        DEFAULT_POLICY,
      ),
    ).toEqual({ action: 'none', reason: 'backoff_after_pulled' });
    expect(
      decide(resolved, workloadFailure({ at: t(12), events: [['y', 1]] }), ms(12), DEFAULT_POLICY),
    ).toEqual({
      action: 'reopen',
      reason: 'recurred',
    });
  });

  it('opens a new alert for a recurrence after the reopen window', () => {
    const policy = resolvePolicy({ reopenWindowSeconds: 3600 });
    const resolved = evaluate(opened(), pulled({ at: t(10) }), ms(10), policy).next!;
    const withSlack = { ...resolved, slack: { channel: 'C1', ts: '1.0' } };
    const { decision, next } = evaluate(
      withSlack,
      workloadFailure({ at: t(200), events: [['z', 1]] }),
      ms(200),
      policy,
    );
    expect(decision).toEqual({ action: 'open', reason: 'recurred_after_window' });
    expect(next).toMatchObject({ state: 'open', slack: null, resolvedAt: null });
  });

  it('treats a late Pulled after resolution as nothing new', () => {
    const resolved = evaluate(opened(), pulled({ at: t(10) }), ms(10), DEFAULT_POLICY).next!;
    expect(evaluate(resolved, pulled({ at: t(10) }), ms(11), DEFAULT_POLICY)).toEqual({
      decision: { action: 'none', reason: 'already_resolved' },
      next: null,
    });
  });
});

describe('decide: registry roll-up', () => {
  it('records workload incidents under the registry incident without announcing them', () => {
    const child = workloadFailure({ at: t(0), cause: 'dns', rolledUp: true });
    const { decision, next } = evaluate(null, child, ms(0), DEFAULT_POLICY);
    expect(decision).toEqual({ action: 'none', reason: 'rolled_up' });
    expect(next).toMatchObject({
      seq: 0,
      pendingNotice: null,
      parentKey: registryFailure({ at: t(0), cause: 'dns' }).key,
    });
  });

  it('announces a workload incident once when its cause moves it under a registry incident', () => {
    const { decisions } = run([
      at(0, { cause: 'tag_not_found' }),
      at(5, { cause: 'tls', rolledUp: true }),
      at(10, { cause: 'tls', rolledUp: true }),
    ]);
    expect(decisions.map((d) => `${d.action}:${d.reason}`)).toEqual([
      'open:new_incident',
      'cause_changed:rolled_up_under_registry',
      'none:rolled_up',
    ]);
  });

  it('opens a workload incident that leaves the roll-up for a cause of its own', () => {
    const { decisions } = run([at(0, { cause: 'tls', rolledUp: true }), at(5, { cause: 'tag_not_found' })]);
    expect(decisions.map((d) => `${d.action}:${d.reason}`)).toEqual([
      'none:rolled_up',
      'open:left_registry_rollup',
    ]);
  });

  it('grows the registry incident with every new workload, counting each once', () => {
    const steps = Array.from({ length: 30 }, (_, i) => ({
      obs: registryFailure({
        at: t(i),
        cause: 'tls',
        workload: { kind: 'Deployment', name: `svc-${i % 10}` },
        namespace: `ns-${(i % 10) % 3}`,
        events: [[`ev-${i}`, 1]],
      }),
      now: ms(i),
    }));
    const { incident, decisions } = run(steps);
    expect(decisions.filter((d) => d.action === 'open')).toHaveLength(1);
    expect(incident).toMatchObject({ affectedTotal: 10, count: 30, kind: 'registry' });
    expect(incident?.affected).toHaveLength(10);
  });
});

describe('decide: properties under at-least-once, out-of-order delivery', () => {
  const eventArb = fc.record({
    id: fc.integer({ min: 0, max: 7 }),
    count: fc.integer({ min: 1, max: 20 }),
    minute: fc.integer({ min: 0, max: 50 }),
  });

  it('the final count is the sum of each event’s highest count, whatever the order and duplication', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (events, seed) => {
          const observations = events.map((e) =>
            workloadFailure({ at: t(e.minute), events: [[`e${e.id}`, e.count]] }),
          );
          // Deliver each observation once or twice, in a shuffled order.
          const delivered = [...observations, ...observations.filter((_, i) => (i + seed) % 3 === 0)];
          const shuffled = delivered
            .map((obs, i) => ({ obs, sort: (i * 7919 + seed) % delivered.length }))
            .sort((a, b) => a.sort - b.sort)
            .map(({ obs }) => obs);
          const { incident } = run(shuffled.map((obs) => ({ obs, now: ms(60) })));
          const highest = new Map<number, number>();
          for (const e of events) highest.set(e.id, Math.max(highest.get(e.id) ?? 0, e.count));
          expect(incident?.count).toBe([...highest.values()].reduce((a, b) => a + b, 0));
          expect(incident?.firstSeen).toBe(t(Math.min(...events.map((e) => e.minute))));
          expect(incident?.lastSeen).toBe(t(Math.max(...events.map((e) => e.minute))));
        },
      ),
    );
  });

  it('redelivering anything already applied never announces anything', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 30 }), fc.nat(29), (events, pick) => {
        const steps = events.map((e) => ({
          obs: workloadFailure({ at: t(e.minute), events: [[`e${e.id}`, e.count]] }),
          now: ms(e.minute),
        }));
        const { incident } = run(steps);
        const again = steps[pick % steps.length]!;
        const later = ms(200);
        expect(decide(incident, again.obs, later, DEFAULT_POLICY).action).toBe('none');
      }),
    );
  });

  it('counts and timestamps never decrease from one stored version to the next', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 2, maxLength: 30 }), (events) => {
        let incident: IncidentRecord | null = null;
        for (const e of events) {
          const { next } = evaluate(
            incident,
            workloadFailure({ at: t(e.minute), events: [[`e${e.id}`, e.count]] }),
            ms(e.minute),
            DEFAULT_POLICY,
          );
          if (next && incident) {
            expect(next.count).toBeGreaterThanOrEqual(incident.count);
            expect(Date.parse(next.lastSeen)).toBeGreaterThanOrEqual(Date.parse(incident.lastSeen));
            expect(Date.parse(next.firstSeen)).toBeLessThanOrEqual(Date.parse(incident.firstSeen));
            expect(next.seq).toBeGreaterThanOrEqual(incident.seq);
          }
          if (next) incident = next;
        }
      }),
    );
  });
});
