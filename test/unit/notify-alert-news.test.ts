import { describe, expect, it } from 'vitest';
import { evaluate } from '../../lib/incidents/decide.ts';
import { resolvePolicy } from '../../lib/incidents/policy.ts';
import { applyTransition } from '../../lib/incidents/state.ts';
import type { IncidentRecord } from '../../lib/incidents/types.ts';
import { alertNews, threadEventOf } from '../../lib/notify/alert-news.ts';
import {
  type AlertState,
  currentMessages,
  diagnosisSubject,
  emptyAlertState,
  shownOf,
  withDone,
  withMessage,
  withShown,
} from '../../lib/notify/alert-state.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';
import { tagDiagnosis } from './notify-fixtures.ts';

/** What is news for an alert, measured against what it last showed (not against the notice that came). */
const policy = resolvePolicy({ updateIntervalSeconds: 60, reopenWindowSeconds: 3600 });

function opened(): IncidentRecord {
  return evaluate(null, workloadFailure({ at: t(0) }), ms(0), policy).next!;
}

function applied(
  incident: IncidentRecord,
  ...args: Parameters<typeof applyTransition> extends [unknown, ...infer R] ? R : never
) {
  const out = applyTransition(incident, ...args);
  if (out.outcome !== 'applied') throw new Error(`transition ${args[0].type} not applied: ${out.reason}`);
  return out.next;
}

const news = (
  incident: IncidentRecord,
  shownFrom: IncidentRecord | null,
  hasMessages: boolean,
  now = ms(5),
) =>
  alertNews({
    incident,
    current: shownOf(incident, null),
    shown: shownFrom ? shownOf(shownFrom, null) : null,
    hasMessages,
    now,
  }).map((item) => item.type);

describe('alert news', () => {
  it('opens once: the first delivery posts, later ones without change are silent updates', () => {
    const incident = opened();
    expect(news(incident, null, false)).toEqual(['opened']);
    expect(news(incident, incident, true)).toEqual([]);
    // A repeat (more events) changes the message, not the news.
    const repeat = evaluate(incident, workloadFailure({ at: t(3), events: [['e2', 1]] }), ms(3), policy)
      .next!;
    expect(news(repeat, incident, true)).toEqual([]);
  });

  it('acknowledging and snoozing are silent; a snooze that runs out is news, one cut short by Acknowledge is not', () => {
    const incident = opened();
    const acked = applied(incident, { type: 'acknowledge', by: 'U1' }, ms(1));
    expect(news(acked, incident, true)).toEqual([]);
    const snoozed = applied(incident, { type: 'snooze', by: 'U1', until: t(60) }, ms(1));
    expect(news(snoozed, incident, true)).toEqual([]);
    const woke = applied(snoozed, { type: 'wake' }, ms(61));
    expect(news(woke, snoozed, true, ms(61))).toEqual(['snooze_ended']);
    const ackedEarly = applied(snoozed, { type: 'acknowledge', by: 'U2' }, ms(10));
    expect(news(ackedEarly, snoozed, true, ms(10))).toEqual([]);
  });

  it('a recurrence with the alert still in the channel is a reopen; without it, a new alert', () => {
    const incident = opened();
    const resolved = applied(incident, { type: 'resolve', by: 'quiet' }, ms(40));
    expect(news(resolved, incident, true, ms(40))).toEqual(['resolved']);
    const again = evaluate(resolved, workloadFailure({ at: t(50), events: [['e3', 1]] }), ms(50), policy)
      .next!;
    expect(again.lastAction).toBe('reopen');
    expect(news(again, resolved, true, ms(50))).toEqual(['reopened']);
    const muchLater = evaluate(
      resolved,
      workloadFailure({ at: t(200), events: [['e4', 1]] }),
      ms(200),
      policy,
    ).next!;
    expect(muchLater.slack).toBeNull();
    expect(news(muchLater, resolved, false, ms(200))).toEqual(['opened']);
  });

  it('names a cause change once, from the cause the alert showed', () => {
    const incident = opened();
    const changed = evaluate(
      incident,
      workloadFailure({ at: t(5), cause: 'unauthorized', events: [['e5', 1]] }),
      ms(5),
      policy,
    ).next!;
    const items = alertNews({
      incident: changed,
      current: shownOf(changed, null),
      shown: shownOf(incident, null),
      hasMessages: true,
      now: ms(5),
    });
    expect(items).toEqual([
      { type: 'cause_changed', id: 'cause@tag_not_found>unauthorized', previousCause: 'tag_not_found' },
    ]);
    expect(threadEventOf(items[0]!)).toEqual({ type: 'cause_changed', previousCause: 'tag_not_found' });
    // The registry's verdict is the cause shown: when it already said so, nothing changed for the reader.
    const sameVerdict = shownOf(incident, tagDiagnosis({ cause: 'unauthorized', category: 'auth' }));
    expect(
      alertNews({
        incident: changed,
        current: shownOf(changed, null),
        shown: sameVerdict,
        hasMessages: true,
        now: ms(5),
      }),
    ).toEqual([]);
  });

  it('reminds once per reminder, only while open', () => {
    const incident = opened();
    const reminded = applied(incident, { type: 'remind' }, ms(240));
    expect(news(reminded, incident, true, ms(240))).toEqual(['reminder']);
    expect(news(reminded, reminded, true, ms(241))).toEqual([]);
  });

  it('a resolved incident that was never shown is not announced at all', () => {
    const resolved = applied(opened(), { type: 'resolve', by: 'pulled' }, ms(2));
    expect(news(resolved, null, false)).toEqual([]);
  });

  it('without a record of what was shown, trusts the incident’s last action', () => {
    const incident = opened();
    const reminded = applied(incident, { type: 'remind' }, ms(240));
    expect(news(reminded, null, true)).toEqual(['reminder']);
    const acked = applied(incident, { type: 'acknowledge', by: 'U1' }, ms(2));
    expect(news(acked, null, true)).toEqual([]);
  });
});

describe('alert state', () => {
  it('keeps the first message per channel and forgets messages of an earlier episode', () => {
    let state: AlertState = emptyAlertState('k');
    state = withMessage(state, 'e1', { channel: 'C1', ts: '1.1' });
    state = withMessage(state, 'e1', { channel: 'C1', ts: '1.2' });
    state = withMessage(state, 'e1', { channel: 'C2', ts: '1.3' });
    expect(state.messages).toEqual([
      { channel: 'C1', ts: '1.1' },
      { channel: 'C2', ts: '1.3' },
    ]);
    expect(withMessage(state, 'e2', { channel: 'C1', ts: '2.1' }).messages).toEqual([
      { channel: 'C1', ts: '2.1' },
    ]);
  });

  it('updates the recorded message and its siblings; posts anew when the record has none for this episode', () => {
    const incident = opened();
    const state = withMessage(emptyAlertState(incident.key), incident.openedAt, { channel: 'C2', ts: '9.9' });
    // A sender died after posting to C2 and before recording: those posts count.
    expect(currentMessages(incident, state)).toEqual([{ channel: 'C2', ts: '9.9' }]);
    expect(currentMessages({ ...incident, openedAt: t(100) }, state)).toEqual([]);
    const recorded = { ...incident, slack: { channel: 'C1', ts: '1.0' } };
    expect(currentMessages(recorded, state)).toEqual([
      { channel: 'C1', ts: '1.0' },
      { channel: 'C2', ts: '9.9' },
    ]);
  });

  it('journals deliveries until the shown state advances; a diagnosis holds per episode, cause and image', () => {
    const incident = opened();
    let state = withDone(emptyAlertState('k'), 'x>slack:C1');
    state = withDone(state, 'x>slack:C1');
    expect(state.done).toEqual(['x>slack:C1']);
    expect(withShown(state, shownOf(incident, null)).done).toEqual([]);
    expect(diagnosisSubject(incident)).toBe(diagnosisSubject({ ...incident, count: 99 }));
    expect(diagnosisSubject(incident)).not.toBe(diagnosisSubject({ ...incident, cause: 'unauthorized' }));
    expect(diagnosisSubject(incident)).not.toBe(diagnosisSubject({ ...incident, openedAt: t(9) }));
  });
});
