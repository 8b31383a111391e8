import type { Diagnosis, RemediationStep } from '../diagnose/types.ts';
import type { Incident, IncidentState } from '../incidents/types.ts';
import {
  type ActionsBlock,
  type Block,
  type ButtonElement,
  type ContextBlock,
  type Mrkdwn,
  type SectionBlock,
  SLACK_LIMITS,
  type SlackMessage,
} from './block-kit.ts';
import { causeWords } from './cause-words.ts';
import { nodeSideWarning } from './node-side.ts';
import { remediationFor } from './remediation.ts';
import { effectiveCause } from './severity.ts';
import {
  ACKNOWLEDGE_ACTION_ID,
  DEFAULT_SNOOZE_SECONDS,
  MAX_SNOOZE_SECONDS,
  MIN_SNOOZE_SECONDS,
  RESOLVE_ACTION_ID,
  snoozeActionId,
} from './slack-action-ids.ts';
import {
  clip,
  clipMrkdwn,
  codeBlock,
  escapeMrkdwn,
  formatDuration,
  formatSnooze,
  inlineCode,
  parseTime,
  plural,
  quote,
  slackDate,
} from './text.ts';

/**
 * The one living Slack message of an incident (DESIGN.md §4): what broke, why, the registry's evidence, the
 * fix with real names, where and since when, and the three buttons. Pure: same input, same JSON.
 */
export interface SlackMessageOptions {
  /** Milliseconds since the epoch; durations ("failing for 2 h") are measured to it. */
  now: number;
  /** Snooze buttons, in seconds (default 1 h, 4 h, 24 h). */
  snoozeSeconds?: readonly number[];
}

export const METADATA_EVENT_TYPE = 'pullwatch_incident';
export const ACTIONS_BLOCK_ID = 'pullwatch_actions';

interface StateStyle {
  emoji: string;
  color: string;
}

/** Slack's own brand colours: red, yellow, grey, green. */
export const STATE_STYLE: Readonly<Record<IncidentState, StateStyle>> = {
  open: { emoji: '🔴', color: '#E01E5A' },
  acknowledged: { emoji: '👀', color: '#ECB22E' },
  snoozed: { emoji: '💤', color: '#9E9EA6' },
  resolved: { emoji: '✅', color: '#2EB67D' },
};

const MAX_EVIDENCE_LINES = 8;
const MAX_SUGGESTIONS = 10;
const MAX_POD_NAMES = 3;
/** Header, status, cause, kubelet, evidence, affected, remediation title, "more steps", context, actions, note. */
const FIXED_BLOCKS = 11;

export function buildSlackMessage(
  incident: Incident,
  diagnosis: Diagnosis | null | undefined,
  options: SlackMessageOptions,
): SlackMessage {
  const style = STATE_STYLE[incident.state];
  const blocks: Block[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: clip(headerText(incident, diagnosis), SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    section(statusLine(incident, options.now)),
    section(causeText(incident, diagnosis)),
  ];
  const kubelet = kubeletText(incident);
  if (kubelet) blocks.push(section(kubelet));
  if (diagnosis) blocks.push(section(evidenceText(diagnosis)));
  if (incident.kind === 'registry') {
    const affected = affectedText(incident);
    if (affected) blocks.push(section(affected));
  }
  // A resolved alert is a record: what it was and how it ended, without the to-do list.
  if (incident.state !== 'resolved') {
    const steps = remediationFor(incident, diagnosis);
    blocks.push(...remediationBlocks(steps, SLACK_LIMITS.blocksPerMessage - FIXED_BLOCKS));
  }
  blocks.push(contextBlock(incident, diagnosis));
  const actions = actionsBlock(incident, options.snoozeSeconds ?? DEFAULT_SNOOZE_SECONDS);
  if (actions === 'key_too_long') {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Buttons unavailable: the incident key is too long for Slack.' }],
    });
  } else if (actions) {
    blocks.push(actions);
  }
  const text = clip(fallbackText(incident, diagnosis), SLACK_LIMITS.messageText);
  return {
    text,
    attachments: [
      { color: style.color, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage), fallback: text },
    ],
    metadata: {
      event_type: METADATA_EVENT_TYPE,
      event_payload: { incident_key: incident.key, state: incident.state, version: incident.version },
    },
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** `shop/api`, or the registry host for a registry incident. */
export function subjectName(incident: Incident): string {
  if (incident.kind === 'registry') return incident.registry ?? 'registry';
  const name = incident.workload?.name ?? incident.image ?? incident.pods[0] ?? 'workload';
  return incident.namespace ? `${incident.namespace}/${name}` : name;
}

export function headerText(incident: Incident, diagnosis?: Diagnosis | null): string {
  const title = causeWords(effectiveCause(incident, diagnosis)).title;
  const scope = incident.kind === 'registry' ? ` — ${plural(affectedCount(incident), 'workload')}` : '';
  const resolved = incident.state === 'resolved' ? 'Resolved: ' : '';
  return `${STATE_STYLE[incident.state].emoji} ${resolved}${subjectName(incident)}: ${title}${scope}`;
}

export function fallbackText(incident: Incident, diagnosis?: Diagnosis | null): string {
  const where = `[${incident.cluster}] `;
  const image = incident.image ? ` (${incident.image})` : '';
  const tail =
    incident.state === 'resolved'
      ? ''
      : ` — ${plural(incident.count, 'event')}, ${plural(incident.pods.length, 'pod')}`;
  // Top-level text is mrkdwn too: escaped, or a namespace called `<!here>` would ping the channel.
  return clipMrkdwn(escapeMrkdwn(`${where}${headerText(incident, diagnosis)}${image}${tail}`), 3_000);
}

function affectedCount(incident: Incident): number {
  return Math.max(incident.affectedTotal, incident.affected.length);
}

function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.sectionText) } };
}

/** A Slack user id renders as a mention; anything else (a name from a CLI, `button:<user>`) as text. */
export function userMention(user: string): string {
  if (/^[UW][A-Z0-9]{2,20}$/.test(user)) return `<@${user}>`;
  return `@${escapeMrkdwn(clip(user, 80))}`;
}

function scale(incident: Incident): string {
  const parts = [plural(incident.count, 'event')];
  if (incident.kind === 'registry') parts.push(plural(affectedCount(incident), 'workload'));
  parts.push(plural(incident.pods.length, 'pod'));
  return parts.join(' · ');
}

function statusLine(incident: Incident, now: number): string {
  const first = parseTime(incident.firstSeen);
  const failingFor = first === null ? '' : ` for ${formatDuration(now - first)}`;
  const lastSeen = `last failure ${slackDate(incident.lastSeen)}`;
  switch (incident.state) {
    case 'open':
      return `*Failing${failingFor}* · ${scale(incident)} · ${lastSeen}`;
    case 'acknowledged': {
      const who = incident.acknowledgedBy ? ` by ${userMention(incident.acknowledgedBy)}` : '';
      const when = incident.acknowledgedAt ? ` ${slackDate(incident.acknowledgedAt)}` : '';
      return `*Acknowledged${who}*${when} · still failing${failingFor} · ${scale(incident)} · ${lastSeen}`;
    }
    case 'snoozed': {
      const until = incident.snoozedUntil ? ` until ${slackDate(incident.snoozedUntil)}` : '';
      return `*Snoozed${until}* · no reminders until then · ${scale(incident)} · ${lastSeen}`;
    }
    case 'resolved': {
      const resolvedAt = parseTime(incident.resolvedAt);
      const lasted =
        first !== null && resolvedAt !== null ? ` after ${formatDuration(resolvedAt - first)}` : '';
      const when = incident.resolvedAt ? ` ${slackDate(incident.resolvedAt)}` : '';
      return `*Resolved${when}*${resolvedByText(incident.resolvedBy)}${lasted} · ${scale(incident)} in all`;
    }
  }
}

function resolvedByText(resolvedBy: string | null): string {
  if (!resolvedBy) return '';
  if (resolvedBy === 'pulled') return ': the image now pulls';
  if (resolvedBy === 'quiet') return ': no failures for a while';
  if (resolvedBy.startsWith('button:')) return ` by ${userMention(resolvedBy.slice('button:'.length))}`;
  return ` by ${escapeMrkdwn(clip(resolvedBy, 80))}`;
}

function causeText(incident: Incident, diagnosis: Diagnosis | null | undefined): string {
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  const lines = [`*${words.title}.* ${escapeMrkdwn(words.explanation)}`];
  if (diagnosis?.summary) lines.push(escapeMrkdwn(clip(diagnosis.summary, 600)));
  if (cause !== incident.cause) {
    lines.push(
      `_Kubelet's text alone said: ${escapeMrkdwn(causeWords(incident.cause).title.toLowerCase())}._`,
    );
  }
  if (incident.kind === 'registry') {
    if (incident.registry) lines.push(`Registry: ${inlineCode(incident.registry)}`);
  } else {
    const image = incident.image ?? diagnosis?.image;
    if (image) lines.push(`Image: ${inlineCode(image, 500)}`);
  }
  return lines.join('\n');
}

function kubeletText(incident: Incident): string | null {
  const said = incident.message.trim() || incident.evidence.trim();
  if (!said) return null;
  return `*Kubelet said*\n${quote(said, 900)}`;
}

function evidenceText(diagnosis: Diagnosis): string {
  const lines = [`*Registry check* from ${escapeMrkdwn(clip(diagnosis.checkedFrom || 'pullwatch', 120))}`];
  for (const item of diagnosis.evidence.slice(0, MAX_EVIDENCE_LINES)) {
    const took = item.durationMs === undefined ? '' : ` (${Math.round(item.durationMs)} ms)`;
    lines.push(
      `${item.ok ? '✅' : '❌'} *${escapeMrkdwn(clip(item.step, 40))}* ${escapeMrkdwn(clip(item.summary, 300))}${took}`,
    );
  }
  const hidden = diagnosis.evidence.length - MAX_EVIDENCE_LINES;
  if (hidden > 0) lines.push(`_and ${plural(hidden, 'more check')}_`);
  const warning = nodeSideWarning(diagnosis);
  if (warning) lines.push(`⚠️ ${warning}`);
  if (diagnosis.suggestions.length > 0) {
    const tags = diagnosis.suggestions.slice(0, MAX_SUGGESTIONS).map((tag) => inlineCode(tag, 128));
    lines.push(`*Closest tags:* ${tags.join(' ')}`);
  }
  return lines.join('\n');
}

/** The workload lines fill the section up to its limit; whatever does not fit is counted, never dropped silently. */
function affectedText(incident: Incident): string | null {
  const total = affectedCount(incident);
  if (total === 0) return null;
  const title = `*Affected workloads* (${total.toLocaleString('en-US')})`;
  const reserve = 64;
  let text = title;
  let shown = 0;
  for (const item of incident.affected) {
    const line = `\n• ${inlineCode(`${item.namespace}/${item.workload.name}`, 160)} ${escapeMrkdwn(clip(item.workload.kind, 40))} — ${inlineCode(item.image, 300)}`;
    if (text.length + line.length > SLACK_LIMITS.sectionText - reserve) break;
    text += line;
    shown += 1;
  }
  const more = total - shown;
  if (more > 0) text += `\n_and ${more.toLocaleString('en-US')} more_`;
  return text;
}

function remediationBlocks(steps: readonly RemediationStep[], budget: number): Block[] {
  if (steps.length === 0) return [];
  const blocks: Block[] = [];
  const room = Math.max(1, budget - 2);
  steps.slice(0, room).forEach((step, index) => {
    const head = index === 0 ? '*What to do*\n' : '';
    const command = step.command ? `\n${codeBlock(clip(step.command, 2_000))}` : '';
    blocks.push(section(`${head}*${index + 1}.* ${escapeMrkdwn(clip(step.title, 500))}${command}`));
  });
  const hidden = steps.length - room;
  if (hidden > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `_and ${plural(hidden, 'more step')}_` }],
    });
  }
  return blocks;
}

function contextBlock(incident: Incident, diagnosis: Diagnosis | null | undefined): ContextBlock {
  const items: string[] = [`*Cluster* ${inlineCode(incident.cluster, 100)}`];
  if (incident.kind === 'registry') {
    if (incident.registry) items.push(`*Registry* ${inlineCode(incident.registry, 200)}`);
  } else {
    if (incident.namespace) items.push(`*Namespace* ${inlineCode(incident.namespace, 100)}`);
    if (incident.workload) {
      items.push(
        `*${escapeMrkdwn(clip(incident.workload.kind, 40))}* ${inlineCode(incident.workload.name, 200)}`,
      );
    }
  }
  if (incident.pods.length > 0) {
    const names = incident.pods.slice(0, MAX_POD_NAMES).map((pod) => inlineCode(pod, 120));
    const more = incident.pods.length > MAX_POD_NAMES ? ` +${incident.pods.length - MAX_POD_NAMES}` : '';
    items.push(`*${plural(incident.pods.length, 'pod')}* ${names.join(' ')}${more}`);
  }
  if (incident.nodes.length > 0) items.push(`*Nodes* ${incident.nodes.length.toLocaleString('en-US')}`);
  items.push(`*Events* ${incident.count.toLocaleString('en-US')}`);
  items.push(`*First seen* ${slackDate(incident.firstSeen)}`);
  items.push(`*Last seen* ${slackDate(incident.lastSeen)}`);
  if (diagnosis?.checkedFrom) items.push(`*Checked from* ${escapeMrkdwn(clip(diagnosis.checkedFrom, 120))}`);
  items.push(`*Incident* ${inlineCode(incident.key, 64)}`);
  const elements: Mrkdwn[] = items
    .slice(0, SLACK_LIMITS.contextElements)
    .map((text) => ({ type: 'mrkdwn', text: clipMrkdwn(text, SLACK_LIMITS.contextText) }));
  return { type: 'context', elements };
}

function button(label: string, actionId: string, value: string, style?: 'primary' | 'danger'): ButtonElement {
  return {
    type: 'button',
    text: { type: 'plain_text', text: clip(label, SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

function actionsBlock(
  incident: Incident,
  snoozeSeconds: readonly number[],
): ActionsBlock | 'key_too_long' | null {
  if (incident.state === 'resolved') return null;
  if (incident.key.length === 0 || incident.key.length > SLACK_LIMITS.buttonValue) return 'key_too_long';
  const key = incident.key;
  const elements: ButtonElement[] = [];
  if (incident.state !== 'acknowledged')
    elements.push(button('Acknowledge', ACKNOWLEDGE_ACTION_ID, key, 'primary'));
  // Configured lengths: a duplicate would repeat an action_id (Slack rejects the message), and one the
  // click parser refuses would be a dead button.
  const choices = [...new Set(snoozeSeconds)].filter(
    (seconds) => Number.isInteger(seconds) && seconds >= MIN_SNOOZE_SECONDS && seconds <= MAX_SNOOZE_SECONDS,
  );
  for (const seconds of choices.slice(0, SLACK_LIMITS.actionsElements - 2)) {
    elements.push(button(`Snooze ${formatSnooze(seconds)}`, snoozeActionId(seconds), key));
  }
  elements.push(button('Resolve', RESOLVE_ACTION_ID, key));
  return { type: 'actions', block_id: ACTIONS_BLOCK_ID, elements };
}
