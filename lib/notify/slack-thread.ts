import type { Cause } from '../classify/causes.ts';
import type { Diagnosis } from '../diagnose/types.ts';
import type { Incident } from '../incidents/types.ts';
import { type Block, SLACK_LIMITS, type SlackMessage } from './block-kit.ts';
import { causeWords } from './cause-words.ts';
import { remediationFor } from './remediation.ts';
import { effectiveCause } from './severity.ts';
import { subjectName } from './slack-message.ts';
import {
  clip,
  clipMrkdwn,
  codeBlock,
  escapeMrkdwn,
  formatDuration,
  parseTime,
  plural,
  quote,
  slackDate,
} from './text.ts';

/**
 * Replies in the alert's thread: the main message changes in place, the thread tells what happened in
 * between (a new cause, a recurrence after resolution, a reminder, the end of a snooze).
 */
export type ThreadEvent =
  | { type: 'cause_changed'; previousCause: Cause }
  | { type: 'reopened' }
  | { type: 'reminder' }
  | { type: 'snooze_ended'; snoozedUntil: string | null };

export interface ThreadReplyOptions {
  now: number;
}

export function buildThreadReply(
  incident: Incident,
  event: ThreadEvent,
  diagnosis: Diagnosis | null | undefined,
  options: ThreadReplyOptions,
): SlackMessage {
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  const first = parseTime(incident.firstSeen);
  const failingFor = first === null ? '' : ` for ${formatDuration(options.now - first)}`;
  const scale = `${plural(incident.count, 'event')}, ${plural(incident.pods.length, 'pod')}`;
  const lines: string[] = [];
  let text: string;

  switch (event.type) {
    case 'cause_changed': {
      const before = causeWords(event.previousCause).title;
      text = `Cause changed: ${before} → ${words.title}`;
      lines.push(`🔁 *Cause changed:* ${escapeMrkdwn(before)} → *${escapeMrkdwn(words.title)}*`);
      lines.push(escapeMrkdwn(words.explanation));
      if (incident.message.trim()) lines.push(quote(incident.message, 900));
      const step = remediationFor(incident, diagnosis)[0];
      if (step) {
        lines.push(`*First step:* ${escapeMrkdwn(clip(step.title, 500))}`);
        if (step.command) lines.push(codeBlock(clip(step.command, 1_500)));
      }
      break;
    }
    case 'reopened': {
      const resolved = incident.resolvedAt ? ` (resolved ${slackDate(incident.resolvedAt)})` : '';
      text = `Failing again: ${words.title}`;
      lines.push(
        `🔴 *Failing again*${resolved}: ${escapeMrkdwn(words.title)} · last failure ${slackDate(incident.lastSeen)}`,
      );
      break;
    }
    case 'reminder':
      text = `Reminder: still failing, not acknowledged — ${words.title}`;
      lines.push(
        `⏰ *Still failing${failingFor}* and nobody has acknowledged it · ${scale}. Acknowledge, snooze or resolve it with the buttons above.`,
      );
      break;
    case 'snooze_ended': {
      const until = event.snoozedUntil ? ` (snoozed until ${slackDate(event.snoozedUntil)})` : '';
      text = `Snooze ended, still failing: ${words.title}`;
      lines.push(
        `⏰ *Snooze ended*${until} and it is still failing · ${scale} · last failure ${slackDate(incident.lastSeen)}`,
      );
      break;
    }
  }

  const blocks: Block[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clipMrkdwn(lines.join('\n'), SLACK_LIMITS.sectionText) },
    },
  ];
  return {
    text: clipMrkdwn(escapeMrkdwn(`${subjectName(incident)}: ${text}`), 3_000),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/**
 * A short reply only the clicker sees (through `response_url`), for clicks that changed nothing: the incident
 * is gone, already resolved, or someone else was faster.
 */
export function buildEphemeralNotice(text: string): {
  response_type: 'ephemeral';
  replace_original: false;
  text: string;
} {
  return { response_type: 'ephemeral', replace_original: false, text: clip(text, 3_000) };
}

/** The body for `response_url` that swaps the clicked message for its new state. */
export function asReplacement(
  message: SlackMessage,
): Omit<SlackMessage, 'metadata'> & { replace_original: true } {
  const { metadata: _metadata, ...rest } = message;
  return { ...rest, replace_original: true };
}
