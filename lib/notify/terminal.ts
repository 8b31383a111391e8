import type { Diagnosis } from '../diagnose/types.ts';
import type { Incident } from '../incidents/types.ts';
import { causeWords } from './cause-words.ts';
import { nodeSideWarning } from './node-side.ts';
import { remediationFor } from './remediation.ts';
import { effectiveCause, type Severity, severityOf } from './severity.ts';
import { subjectName } from './slack-message.ts';
import { clip, formatDuration, parseTime, plural } from './text.ts';

/**
 * An alert as `pullwatch run` prints it, pure: incident + diagnosis + what happened → lines of text. The
 * news that deserves attention (a new problem, a recurrence, a changed cause) gets a full block — headline,
 * cause in plain words, evidence, the fix commands, where and since when; everything else (repeats,
 * resolution, acknowledgement, reminders) a one-liner. Words, severity and remediation are the ones Slack
 * and SNS show (lib/notify), so the terminal never tells a different story.
 */

/** What happened to the alert: the notify core's news, or `updated` for a silent in-place update. */
export type TerminalNews =
  | 'opened'
  | 'reopened'
  | 'cause_changed'
  | 'reminder'
  | 'snooze_ended'
  | 'resolved'
  | 'updated';

export interface TerminalAlert {
  incident: Incident;
  diagnosis: Diagnosis | null;
  news: TerminalNews;
}

export interface TerminalOptions {
  /** ANSI colours (see `colourEnabled`). */
  colour: boolean;
  /** Milliseconds since the epoch: "failing for …" is measured to it, and one-liners show it. */
  now: number;
  /** Wrap prose to this many columns (commands and names are never wrapped). Default 100. */
  width?: number;
}

const FULL_BLOCK: ReadonlySet<TerminalNews> = new Set(['opened', 'reopened', 'cause_changed']);
const MAX_EVIDENCE = 6;
const MAX_STEPS = 5;
const MAX_AFFECTED = 12;
const MAX_PODS = 3;
const LABEL = 10;

interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

function paint(colour: boolean): Paint {
  const sgr = (open: number, close: number) => (text: string) =>
    colour && text !== '' ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
  };
}

/**
 * Colour only for a terminal, as the conventions say: NO_COLOR (any non-empty value) turns it off,
 * FORCE_COLOR turns it on (`0`/`false` off), `TERM=dumb` off.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function renderTerminalAlert(alert: TerminalAlert, options: TerminalOptions): string[] {
  return FULL_BLOCK.has(alert.news) ? fullBlock(alert, options) : [oneLiner(alert, options)];
}

/** `shop/checkout-api: Image tag not found`, `harbor.example.com: Registry TLS certificate problem — 4 workloads`. */
export function terminalHeadline(incident: Incident, diagnosis: Diagnosis | null): string {
  const title = causeWords(effectiveCause(incident, diagnosis)).title;
  const scope = incident.kind === 'registry' ? ` — ${plural(affectedCount(incident), 'workload')}` : '';
  return `${subjectName(incident)}: ${title}${scope}`;
}

function fullBlock(alert: TerminalAlert, options: TerminalOptions): string[] {
  const { incident, diagnosis } = alert;
  const p = paint(options.colour);
  const width = Math.max(40, options.width ?? 100);
  const severity = severityOf({ kind: incident.kind, cause: effectiveCause(incident, diagnosis) });
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  const lines: string[] = [];
  const field = (label: string, text: string | string[]) => {
    const room = width - LABEL - 2;
    const wrapped = Array.isArray(text) ? wrapParts(text, room) : wrap(text, room);
    wrapped.forEach((line, i) => {
      lines.push(`  ${i === 0 ? p.dim(label.padEnd(LABEL)) : ' '.repeat(LABEL)}${line}`);
    });
  };
  const more = (text: string) => lines.push(`  ${' '.repeat(LABEL)}${text}`);

  const badge = severityColour(p, severity)(p.bold(`● ${severity.toUpperCase()}`));
  const tag = alert.news === 'opened' ? '' : p.dim(`  (${newsWords(alert.news)})`);
  lines.push(`${badge}  ${p.bold(terminalHeadline(incident, diagnosis))}${tag}`);

  if (incident.kind === 'registry') field('registry', incident.registry ?? '-');
  else field('image', incident.image ?? diagnosis?.image ?? '-');
  field('cause', `${words.title}. ${words.explanation}`);
  if (cause !== incident.cause) {
    more(p.dim(`(kubelet's text alone said: ${causeWords(incident.cause).title.toLowerCase()})`));
  }
  const said = (incident.evidence.trim() || incident.message.trim()).replace(/\s+/g, ' ');
  if (said) field('kubelet', clip(said, 300));

  if (diagnosis) {
    field('check', clip(diagnosis.summary, 400));
    // The kubelet step repeats the line above; the rest is what the check itself found.
    const checks = diagnosis.evidence.filter((item) => item.step !== 'kubelet');
    for (const item of checks.slice(0, MAX_EVIDENCE)) {
      const mark = item.ok ? p.green('✓') : p.red('✗');
      const took = item.durationMs === undefined ? '' : ` (${Math.round(item.durationMs)} ms)`;
      const summary = wrap(`${clip(item.summary.replace(/\s+/g, ' '), 240)}${took}`, width - LABEL - 14);
      summary.forEach((line, i) => {
        more(i === 0 ? `${mark} ${item.step.padEnd(9)} ${line}` : `${' '.repeat(12)}${line}`);
      });
    }
    const hidden = checks.length - MAX_EVIDENCE;
    if (hidden > 0) more(p.dim(`and ${plural(hidden, 'more check')}`));
    const warning = nodeSideWarning(diagnosis);
    if (warning) more(p.yellow(`! ${warning}`));
    if (diagnosis.suggestions.length > 0) {
      more(`closest tags: ${diagnosis.suggestions.slice(0, 8).join(', ')}`);
    }
  }

  if (incident.kind === 'registry') {
    const total = affectedCount(incident);
    field('affected', plural(total, 'workload'));
    for (const item of incident.affected.slice(0, MAX_AFFECTED)) {
      more(`${item.namespace}/${item.workload.name} ${p.dim(`(${item.workload.kind})`)}  ${item.image}`);
    }
    const hidden = total - Math.min(incident.affected.length, MAX_AFFECTED);
    if (hidden > 0) more(p.dim(`and ${hidden.toLocaleString('en-US')} more`));
  }

  const steps = remediationFor(incident, diagnosis);
  steps.slice(0, MAX_STEPS).forEach((step, i) => {
    const title = wrap(`${i + 1}. ${step.title}`, width - LABEL - 2);
    title.forEach((line, j) => {
      if (i === 0 && j === 0) lines.push(`  ${p.dim('fix'.padEnd(LABEL))}${line}`);
      else more(j === 0 ? line : `   ${line}`);
    });
    if (step.command) more(`   ${p.cyan(`$ ${step.command}`)}`);
  });
  if (steps.length > MAX_STEPS) more(p.dim(`and ${plural(steps.length - MAX_STEPS, 'more step')}`));

  field('where', whereText(incident));
  if (incident.pods.length > 0) field('pods', podsText(incident));
  field('seen', seenText(incident, options.now, diagnosis));
  lines.push(p.dim(`  ${'incident'.padEnd(LABEL)}${incident.key}`));
  return lines;
}

function oneLiner(alert: TerminalAlert, options: TerminalOptions): string {
  const { incident, diagnosis } = alert;
  const p = paint(options.colour);
  const time = p.dim(clockOf(options.now));
  const headline = terminalHeadline(incident, diagnosis);
  if (alert.news === 'resolved') {
    const first = parseTime(incident.firstSeen);
    const resolved = parseTime(incident.resolvedAt) ?? options.now;
    const lasted = first === null ? '' : ` after ${formatDuration(resolved - first)}`;
    return `${p.green('✓')} ${time}  ${p.green(p.bold('RESOLVED'))} ${headline} — ${resolvedHow(incident.resolvedBy)}${lasted ? `,${lasted}` : ''} · ${plural(incident.count, 'event')} in all`;
  }
  const mark =
    alert.news === 'reminder'
      ? p.yellow('⏰')
      : alert.news === 'snooze_ended'
        ? p.yellow('⏰')
        : severityColour(
            p,
            severityOf({ kind: incident.kind, cause: effectiveCause(incident, diagnosis) }),
          )('↻');
  const state =
    incident.state === 'open'
      ? ''
      : ` [${incident.state}${acknowledgedBy(incident)}${snoozedUntil(incident)}]`;
  const news = alert.news === 'updated' ? '' : `${newsWords(alert.news)}: `;
  return `${mark} ${time}  ${news}${headline}${state} · ${scaleText(incident)} · last failure ${clockOf(parseTime(incident.lastSeen) ?? options.now)}`;
}

/**
 * One line per problem still open (the end of a replay, the end of `--once`): the headline, its size and
 * age, and for a registry incident the workloads it stops.
 */
export function renderRecapLine(
  alert: Pick<TerminalAlert, 'incident' | 'diagnosis'>,
  options: TerminalOptions,
): string {
  const { incident, diagnosis } = alert;
  const p = paint(options.colour);
  const severity = severityOf({ kind: incident.kind, cause: effectiveCause(incident, diagnosis) });
  const first = parseTime(incident.firstSeen);
  const age = first === null ? '' : ` · failing for ${formatDuration(options.now - first)}`;
  const state = incident.state === 'open' ? '' : ` [${incident.state}]`;
  const workloads =
    incident.kind === 'registry' && incident.affected.length > 0
      ? `: ${incident.affected
          .slice(0, MAX_AFFECTED)
          .map((item) => `${item.namespace}/${item.workload.name}`)
          .join(', ')}${affectedCount(incident) > MAX_AFFECTED ? ', …' : ''}`
      : '';
  return `${severityColour(p, severity)('●')} ${terminalHeadline(incident, diagnosis)}${state}${workloads} · ${scaleText(incident)}${age}`;
}

function newsWords(news: TerminalNews): string {
  switch (news) {
    case 'opened':
      return 'new';
    case 'reopened':
      return 'failing again';
    case 'cause_changed':
      return 'cause changed';
    case 'reminder':
      return 'still failing';
    case 'snooze_ended':
      return 'snooze ended, still failing';
    case 'resolved':
      return 'resolved';
    case 'updated':
      return 'updated';
  }
}

function severityColour(p: Paint, severity: Severity): (text: string) => string {
  if (severity === 'critical') return p.red;
  if (severity === 'warning') return p.yellow;
  return p.cyan;
}

function resolvedHow(resolvedBy: string | null): string {
  if (resolvedBy === 'pulled') return 'the image now pulls';
  if (resolvedBy === 'quiet') return 'no failures for a while';
  if (resolvedBy?.startsWith('button:')) return `resolved by ${resolvedBy.slice('button:'.length)}`;
  return resolvedBy ? `resolved by ${resolvedBy}` : 'resolved';
}

function acknowledgedBy(incident: Incident): string {
  return incident.state === 'acknowledged' && incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : '';
}

function snoozedUntil(incident: Incident): string {
  const until = parseTime(incident.snoozedUntil);
  return incident.state === 'snoozed' && until !== null ? ` until ${clockOf(until)}` : '';
}

function affectedCount(incident: Incident): number {
  return Math.max(incident.affectedTotal, incident.affected.length);
}

/** Events and pods; the headline already counts a registry incident's workloads. */
function scaleText(incident: Incident): string {
  return `${plural(incident.count, 'event')} · ${plural(incident.pods.length, 'pod')}`;
}

function whereText(incident: Incident): string[] {
  const parts = [`cluster ${incident.cluster}`];
  if (incident.kind === 'registry') {
    const namespaces = new Set(incident.affected.map((item) => item.namespace));
    if (namespaces.size > 0) parts.push(plural(namespaces.size, 'namespace'));
  } else {
    if (incident.namespace) parts.push(`namespace ${incident.namespace}`);
    if (incident.workload) parts.push(`${incident.workload.kind} ${incident.workload.name}`);
  }
  if (incident.nodes.length > 0) {
    const [first] = incident.nodes;
    parts.push(
      incident.nodes.length === 1 ? `node ${first}` : `nodes ${first} +${incident.nodes.length - 1}`,
    );
  }
  return parts;
}

function podsText(incident: Incident): string {
  const names = incident.pods.slice(0, MAX_PODS).join(', ');
  const more = incident.pods.length > MAX_PODS ? ` +${incident.pods.length - MAX_PODS}` : '';
  return `${names}${more}`;
}

function seenText(incident: Incident, now: number, diagnosis: Diagnosis | null): string[] {
  const first = parseTime(incident.firstSeen);
  const last = parseTime(incident.lastSeen);
  const parts = [plural(incident.count, 'event')];
  if (first !== null) parts.push(`first ${stampOf(first)}`);
  if (last !== null) parts.push(`last ${stampOf(last)}`);
  if (first !== null && incident.state !== 'resolved' && now - first >= 60_000) {
    parts.push(`failing for ${formatDuration(now - first)}`);
  }
  if (diagnosis?.checkedFrom) parts.push(`checked from ${diagnosis.checkedFrom}`);
  return parts;
}

/** `09:04:11 UTC`: one-liners stay short; the block's first/last seen carry the date. */
function clockOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** `2026-03-10 09:04:11 UTC`. */
function stampOf(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Greedy word wrap; a single word longer than the width (an image name, a URL) stays whole. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** Wraps `a · b · c` between its parts, so `2 h` or `nodes x +1` never break; an over-long part wraps by words. */
export function wrapParts(parts: readonly string[], width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const part of parts) {
    if (line === '') line = part;
    else if (line.length + 3 + part.length <= width) line += ` · ${part}`;
    else {
      out.push(`${line} ·`);
      line = part;
    }
    if (line.length > width) {
      const words = wrap(line, width);
      out.push(...words.slice(0, -1));
      line = words.at(-1) ?? '';
    }
  }
  if (line !== '') out.push(line);
  return out;
}

/** One alert as one JSON object (`pullwatch run --json`): the same facts as the text, as data. */
export function alertRecord(alert: TerminalAlert, options: { now: number }): Record<string, unknown> {
  const { incident, diagnosis } = alert;
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  return {
    news: alert.news,
    at: new Date(options.now).toISOString(),
    incident: incident.key,
    kind: incident.kind,
    state: incident.state,
    severity: severityOf({ kind: incident.kind, cause }),
    headline: terminalHeadline(incident, diagnosis),
    cause,
    kubeletCause: incident.cause,
    category: incident.category,
    title: words.title,
    explanation: words.explanation,
    cluster: incident.cluster,
    namespace: incident.namespace,
    workload: incident.workload,
    image: incident.image,
    registry: incident.registry,
    evidence: incident.evidence,
    message: incident.message,
    count: incident.count,
    pods: incident.pods,
    nodes: incident.nodes,
    firstSeen: incident.firstSeen,
    lastSeen: incident.lastSeen,
    resolvedAt: incident.resolvedAt,
    resolvedBy: incident.resolvedBy,
    affected: incident.affected,
    affectedTotal: incident.kind === 'registry' ? affectedCount(incident) : 0,
    diagnosis: diagnosis
      ? {
          cause: diagnosis.cause,
          summary: diagnosis.summary,
          checkedFrom: diagnosis.checkedFrom,
          agreesWithNode: diagnosis.agreesWithNode,
          pullable: diagnosis.pullable,
          suggestions: diagnosis.suggestions,
          evidence: diagnosis.evidence.map((item) => ({
            step: item.step,
            ok: item.ok,
            summary: item.summary,
            ...(item.durationMs === undefined ? {} : { durationMs: item.durationMs }),
          })),
        }
      : null,
    remediation: incident.state === 'resolved' ? [] : remediationFor(incident, diagnosis),
  };
}
