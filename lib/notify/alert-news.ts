import type { Cause } from '../classify/causes.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import type { AlertShown } from './alert-state.ts';
import type { ThreadEvent } from './slack-thread.ts';

/**
 * What is news since the alert last showed the incident, pure. The main message is re-rendered in place on
 * every state change anyway; news is what deserves more: a post (opened), a thread reply (reopened, cause
 * changed, reminder, snooze ended) and an SNS notification (all of these, and resolved). Acknowledging,
 * snoozing and repeats are silent updates.
 *
 * News is measured against the last state shown in full, not against the notice that arrived, so notices
 * that were coalesced or arrived out of order still tell everything once. Each item has an id that is stable
 * until the shown state advances: the delivery journal keys on it.
 */
export type AlertNews =
  | { type: 'opened'; id: string }
  | { type: 'reopened'; id: string }
  | { type: 'cause_changed'; id: string; previousCause: Cause }
  | { type: 'reminder'; id: string }
  | { type: 'snooze_ended'; id: string; snoozedUntil: string | null }
  | { type: 'resolved'; id: string };

export interface NewsInput {
  incident: IncidentRecord;
  /** What the alert shows now (`shownOf` with the current diagnosis). */
  current: AlertShown;
  /** The state the alert last showed in full; null when this store never saw it delivered. */
  shown: AlertShown | null;
  /** Whether Slack messages exist for this alert (a new episode without them is a new alert, not a reopen). */
  hasMessages: boolean;
  now: number;
}

export function alertNews(input: NewsInput): AlertNews[] {
  const { incident, current, shown } = input;
  const active = current.state !== 'resolved';
  if (shown === null) {
    if (input.hasMessages) return fromLastAction(incident, current);
    // Nobody saw it before, so there is nothing to announce once it is over.
    return active ? [{ type: 'opened', id: `open@${current.openedAt}` }] : [];
  }
  const news: AlertNews[] = [];
  const newEpisode = current.openedAt !== shown.openedAt;
  if (newEpisode && active) {
    news.push(
      input.hasMessages
        ? { type: 'reopened', id: `reopen@${current.openedAt}` }
        : { type: 'opened', id: `open@${current.openedAt}` },
    );
  } else if (active && current.cause !== shown.cause) {
    news.push({
      type: 'cause_changed',
      id: `cause@${shown.cause}>${current.cause}`,
      previousCause: shown.cause,
    });
  }
  if (
    current.state === 'open' &&
    current.remindedAt !== null &&
    current.remindedAt !== shown.remindedAt &&
    !newEpisode
  ) {
    news.push({ type: 'reminder', id: `remind@${current.remindedAt}` });
  }
  // Only a snooze that ran out is news; one cut short by Acknowledge is not.
  const snoozeRanOut = shown.snoozedUntil !== null && Date.parse(shown.snoozedUntil) <= input.now;
  if (shown.state === 'snoozed' && snoozeRanOut && active && current.state !== 'snoozed' && !newEpisode) {
    news.push({
      type: 'snooze_ended',
      id: `wake@${shown.snoozedUntil ?? ''}`,
      snoozedUntil: shown.snoozedUntil,
    });
  }
  if (current.state === 'resolved' && shown.state !== 'resolved') {
    news.push({ type: 'resolved', id: `resolve@${incident.resolvedAt ?? ''}` });
  }
  return news;
}

/** Without a record of what was shown (an alert posted before this store existed): trust the last action. */
function fromLastAction(incident: IncidentRecord, current: AlertShown): AlertNews[] {
  switch (incident.lastAction) {
    case 'reopen':
      return current.state === 'resolved' ? [] : [{ type: 'reopened', id: `reopen@${current.openedAt}` }];
    case 'cause_changed':
      return current.state === 'resolved' || incident.previousCause === null
        ? []
        : [
            {
              type: 'cause_changed',
              id: `cause@${incident.previousCause}>${current.cause}`,
              previousCause: incident.previousCause,
            },
          ];
    case 'remind':
      return current.state === 'open' ? [{ type: 'reminder', id: `remind@${current.remindedAt ?? ''}` }] : [];
    case 'wake':
      return current.state === 'resolved' ? [] : [{ type: 'snooze_ended', id: 'wake@', snoozedUntil: null }];
    case 'resolve':
      return current.state === 'resolved'
        ? [{ type: 'resolved', id: `resolve@${incident.resolvedAt ?? ''}` }]
        : [];
    default:
      return [];
  }
}

/** The thread reply a news item gets, if any (an opening is the post itself; a resolution turns it green). */
export function threadEventOf(news: AlertNews): ThreadEvent | null {
  switch (news.type) {
    case 'reopened':
      return { type: 'reopened' };
    case 'cause_changed':
      return { type: 'cause_changed', previousCause: news.previousCause };
    case 'reminder':
      return { type: 'reminder' };
    case 'snooze_ended':
      return { type: 'snooze_ended', snoozedUntil: news.snoozedUntil };
    default:
      return null;
  }
}
