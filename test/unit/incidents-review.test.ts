import { describe, expect, it } from 'vitest';
import { evaluate } from '../../lib/incidents/decide.ts';
import { encodeNotice, NoticeError, noticeFor, parseNotice } from '../../lib/incidents/notice.ts';
import { DEFAULT_POLICY, resolvePolicy } from '../../lib/incidents/policy.ts';
import { reviewIncident } from '../../lib/incidents/review.ts';
import { applyTransition } from '../../lib/incidents/state.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';

const policy = resolvePolicy({
  quietPeriodSeconds: 1800,
  reminderIntervalSeconds: 3600,
  updateIntervalSeconds: 60,
  noticeGraceSeconds: 60,
});

function opened(): IncidentRecord {
  const incident = evaluate(null, workloadFailure({ at: t(0) }), ms(0), policy).next!;
  return { ...incident, pendingNotice: null };
}

describe('sweep review', () => {
  it('resends a notice that was never handed over once the grace period passed', () => {
    const pending = evaluate(null, workloadFailure({ at: t(0) }), ms(0), policy).next!;
    expect(reviewIncident(pending, ms(0.5), policy)).toMatchObject({ action: 'none' });
    expect(reviewIncident(pending, ms(2), policy)).toEqual({ action: 'resend', reason: 'pending_notice' });
  });

  it('wakes an expired snooze, resolves a quiet incident, reminds an unacknowledged one', () => {
    const snoozed = applyTransition(opened(), { type: 'snooze', by: 'U1', until: t(20) }, ms(1));
    if (snoozed.outcome !== 'applied') throw new Error('snooze refused');
    const settled = { ...snoozed.next, pendingNotice: null };
    expect(reviewIncident(settled, ms(10), policy)).toMatchObject({ action: 'none', reason: 'snoozed' });
    expect(reviewIncident(settled, ms(21), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'wake' },
    });
    expect(reviewIncident(opened(), ms(31), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'resolve', by: 'quiet' },
    });
    const busy = { ...opened(), lastSeen: t(65) };
    expect(reviewIncident(busy, ms(66), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'remind' },
    });
    const acked = applyTransition(busy, { type: 'acknowledge', by: 'U1' }, ms(1));
    if (acked.outcome !== 'applied') throw new Error('ack refused');
    // Acknowledged: no reminder, though the repeats still get their (silent) update.
    expect(reviewIncident({ ...acked.next, pendingNotice: null }, ms(66), policy)).toMatchObject({
      transition: { type: 'update' },
    });
  });

  it('catches up on repeats no update announced, after the update interval', () => {
    const incident = { ...opened(), lastSeen: t(3) };
    expect(reviewIncident(incident, ms(3.5), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'update', reason: 'catch_up' },
    });
    const told = { ...incident, lastDecisionAt: t(3.2) };
    expect(reviewIncident(told, ms(3.5), policy)).toEqual({ action: 'none', reason: 'nothing_due' });
  });

  it('never asks to announce a rolled-up workload incident, but resolves it when quiet', () => {
    const child = evaluate(null, workloadFailure({ at: t(0), cause: 'tls', rolledUp: true }), ms(0), policy)
      .next!;
    expect(reviewIncident({ ...child, lastSeen: t(10) }, ms(12), DEFAULT_POLICY)).toEqual({
      action: 'none',
      reason: 'not_announced',
    });
    const quiet = reviewIncident({ ...child, lastSeen: t(10) }, ms(70), DEFAULT_POLICY);
    expect(quiet).toMatchObject({ action: 'transition', transition: { type: 'resolve', by: 'quiet' } });
    if (quiet.action === 'transition') {
      expect(applyTransition(child, quiet.transition, ms(70))).toMatchObject({
        outcome: 'applied',
        notice: false,
      });
    }
  });
});

describe('notice messages', () => {
  it('round-trips the notice for the pending change', () => {
    const incident = evaluate(null, workloadFailure({ at: t(0), events: [['e', 3]] }), ms(0), policy).next!;
    const notice = noticeFor(incident);
    expect(notice).toMatchObject({
      v: 1,
      key: incident.key,
      seq: 1,
      action: 'open',
      reason: 'new_incident',
      count: 3,
    });
    expect(parseNotice(encodeNotice(notice))).toEqual(notice);
  });

  it('rejects an unknown version, bad JSON and missing fields with distinct codes', () => {
    const notice = noticeFor(evaluate(null, workloadFailure({ at: t(0) }), ms(0), policy).next!);
    const codeOf = (body: string) => {
      try {
        parseNotice(body);
        return 'parsed';
      } catch (error) {
        expect(error).toBeInstanceOf(NoticeError);
        return (error as NoticeError).code;
      }
    };
    expect(codeOf(JSON.stringify({ ...notice, v: 2 }))).toBe('notice_version_unsupported');
    expect(codeOf('{')).toBe('notice_not_json');
    expect(codeOf(JSON.stringify({ ...notice, seq: 0 }))).toBe('notice_invalid');
    expect(() => parseNotice(JSON.stringify({ ...notice, key: undefined }))).toThrow(/key/);
  });

  it('has nothing to tell for a record that was never announced', () => {
    const child = evaluate(null, workloadFailure({ at: t(0), cause: 'tls', rolledUp: true }), ms(0), policy)
      .next!;
    expect(() => noticeFor(child)).toThrow(NoticeError);
  });
});
