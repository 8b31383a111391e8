import { createHash } from 'node:crypto';
import type { Diagnosis } from '../diagnose/types.ts';
import type { Incident } from '../incidents/types.ts';
import { causeWords } from './cause-words.ts';
import { nodeSideWarning } from './node-side.ts';
import { remediationFor } from './remediation.ts';
import { effectiveCategory, effectiveCause, type Severity, severityOf } from './severity.ts';
import { subjectName } from './slack-message.ts';
import { clip, formatDuration, formatUtc, parseTime, plural, toPrintableAscii } from './text.ts';

/**
 * An alert for Amazon SNS. Published with `MessageStructure: 'json'`, so each protocol gets its own form:
 * `default` (email, SMS, anything else) is the readable text; `sqs`, `lambda`, `http` and `https` get the JSON
 * document (schema `pullwatch.alert/v1`). Message attributes carry the routing facts for filter policies.
 */
export const SNS_DOCUMENT_SCHEMA = 'pullwatch.alert/v1';
/** SNS accepts 256 KiB (262,144 bytes) for message plus attributes; keep a margin for the envelope. */
export const SNS_MAX_BYTES = 250_000;
export const SNS_SUBJECT_MAX = 100;
/** Protocols that receive the JSON document; every other protocol receives `default`. */
export const SNS_JSON_PROTOCOLS = ['sqs', 'lambda', 'http', 'https'] as const;
/** At most 10: SNS → SQS raw delivery turns them into SQS message attributes, and SQS allows 10. */
export const SNS_ATTRIBUTE_NAMES = [
  'cluster',
  'namespace',
  'kind',
  'state',
  'severity',
  'cause',
  'category',
  'registry',
] as const;
export type SnsAttributeName = (typeof SNS_ATTRIBUTE_NAMES)[number];

export interface SnsMessage {
  subject: string;
  /** The `MessageStructure: 'json'` body: `{"default": text, "sqs": json, …}`. */
  message: string;
  messageStructure: 'json';
  /** String attributes; absent facts (no namespace on a registry incident) are left out, not empty. */
  attributes: Partial<Record<SnsAttributeName, string>>;
  /** For FIFO topics: one group per incident (ordered), one id per incident version (no duplicate). */
  groupId: string;
  deduplicationId: string;
  /** The readable body (also `default` in `message`). */
  text: string;
  /** The JSON document (also `sqs`/`lambda`/`http`/`https` in `message`). */
  document: AlertDocument;
}

export interface AlertDocument {
  schema: typeof SNS_DOCUMENT_SCHEMA;
  subject: string;
  severity: Severity;
  cause: { id: string; category: string; title: string; explanation: string };
  incident: {
    key: string;
    kind: Incident['kind'];
    state: Incident['state'];
    cluster: string;
    namespace: string | null;
    workload: Incident['workload'];
    image: string | null;
    registry: string | null;
    cause: string;
    category: string;
    reason: string | null;
    evidence: string;
    message: string;
    count: number;
    pods: string[];
    nodes: string[];
    firstSeen: string;
    lastSeen: string;
    affected: Incident['affected'];
    affectedTotal: number;
    acknowledgedBy: string | null;
    acknowledgedAt: string | null;
    snoozedUntil: string | null;
    resolvedAt: string | null;
    resolvedBy: string | null;
    version: number;
  };
  diagnosis: Diagnosis | null;
  /** Set when lists or texts were shortened to fit SNS's size limit. */
  truncated: boolean;
}

export interface SnsMessageOptions {
  now: number;
}

interface Budget {
  text: number;
  field: number;
  list: number;
}

const BUDGETS: Budget[] = [
  { text: 40_000, field: 8_000, list: 200 },
  { text: 16_000, field: 2_000, list: 50 },
  { text: 4_000, field: 500, list: 10 },
  { text: 1_000, field: 100, list: 2 },
];

export function buildSnsMessage(
  incident: Incident,
  diagnosis: Diagnosis | null | undefined,
  options: SnsMessageOptions,
): SnsMessage {
  const subject = snsSubject(incident, diagnosis);
  const attributes = snsAttributes(incident, diagnosis);
  const attributeBytes = Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + Buffer.byteLength('String') + Buffer.byteLength(value),
    0,
  );
  let built: { text: string; document: AlertDocument; message: string } | null = null;
  for (const budget of BUDGETS) {
    const text = snsText(incident, diagnosis, options, budget);
    const document = alertDocument(incident, diagnosis, subject, budget);
    const json = JSON.stringify(document);
    const structure: Record<string, string> = { default: text };
    for (const protocol of SNS_JSON_PROTOCOLS) structure[protocol] = json;
    const message = JSON.stringify(structure);
    built = { text, document, message };
    if (Buffer.byteLength(message) + attributeBytes <= SNS_MAX_BYTES) break;
  }
  // The last budget bounds every field, so it always fits; `built` is set by the first iteration.
  const { text, document, message } = built!;
  return {
    subject,
    message,
    messageStructure: 'json',
    attributes,
    groupId: clip(toPrintableAscii(incident.key) || 'pullwatch', 128, ''),
    deduplicationId: createHash('sha256')
      .update(`${incident.key}\u0000${incident.version}\u0000${incident.state}`)
      .digest('hex'),
    text,
    document,
  };
}

/** `[CRITICAL] prod shop/api: Image tag not found`: printable ASCII, one line, ≤ 100 characters. */
export function snsSubject(incident: Incident, diagnosis?: Diagnosis | null): string {
  const title = causeWords(effectiveCause(incident, diagnosis)).title;
  const tag =
    incident.state === 'resolved'
      ? 'RESOLVED'
      : severityOf({ kind: incident.kind, cause: effectiveCause(incident, diagnosis) }).toUpperCase();
  const scope =
    incident.kind === 'registry'
      ? ` (${plural(Math.max(incident.affectedTotal, incident.affected.length), 'workload')})`
      : '';
  const subject = toPrintableAscii(`[${tag}] ${incident.cluster} ${subjectName(incident)}: ${title}${scope}`);
  return clip(subject, SNS_SUBJECT_MAX, '...');
}

export function snsAttributes(
  incident: Incident,
  diagnosis?: Diagnosis | null,
): Partial<Record<SnsAttributeName, string>> {
  const cause = effectiveCause(incident, diagnosis);
  const values: Record<SnsAttributeName, string | null> = {
    cluster: incident.cluster,
    namespace: incident.namespace,
    kind: incident.kind,
    state: incident.state,
    severity: severityOf({ kind: incident.kind, cause }),
    cause,
    category: effectiveCategory(incident, diagnosis),
    registry: incident.registry ?? diagnosis?.registry ?? null,
  };
  const attributes: Partial<Record<SnsAttributeName, string>> = {};
  for (const name of SNS_ATTRIBUTE_NAMES) {
    const value = values[name];
    if (value !== null && value !== '') attributes[name] = clip(value, 256);
  }
  return attributes;
}

function snsText(
  incident: Incident,
  diagnosis: Diagnosis | null | undefined,
  options: SnsMessageOptions,
  budget: Budget,
): string {
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  const severity = severityOf({ kind: incident.kind, cause });
  const first = parseTime(incident.firstSeen);
  const lines: string[] = [];
  lines.push(`${words.title}: ${subjectName(incident)} in cluster ${incident.cluster}`);
  lines.push(`Severity: ${severity} · State: ${stateText(incident)}`);
  const since =
    first === null ? '' : ` · failing since ${formatUtc(first)} (${formatDuration(options.now - first)})`;
  lines.push(`${plural(incident.count, 'event')} · ${plural(incident.pods.length, 'pod')}${since}`);
  lines.push('', 'What is wrong', `  ${words.explanation}`);
  if (diagnosis?.summary) lines.push(`  ${clip(diagnosis.summary, budget.field)}`);
  if (incident.image) lines.push('', `Image: ${incident.image}`);
  if (incident.registry) lines.push(`Registry: ${incident.registry}`);
  const said = incident.message.trim() || incident.evidence.trim();
  if (said) lines.push('', 'Kubelet said', `  ${clip(said, budget.field).replace(/\n/g, '\n  ')}`);
  if (diagnosis) {
    lines.push('', `Registry check (from ${diagnosis.checkedFrom || 'pullwatch'})`);
    for (const item of diagnosis.evidence.slice(0, budget.list)) {
      lines.push(`  [${item.ok ? 'ok' : 'FAIL'}] ${item.step}: ${clip(item.summary, budget.field)}`);
    }
    const warning = nodeSideWarning(diagnosis);
    if (warning) lines.push(`  ${warning}`);
    if (diagnosis.suggestions.length > 0) {
      lines.push(`  Closest tags: ${diagnosis.suggestions.slice(0, budget.list).join(', ')}`);
    }
  }
  if (incident.kind === 'registry') {
    const total = Math.max(incident.affectedTotal, incident.affected.length);
    lines.push('', `Affected workloads (${total})`);
    const shown = incident.affected.slice(0, budget.list);
    for (const item of shown) {
      lines.push(`  ${item.namespace}/${item.workload.name} (${item.workload.kind}) ${item.image}`);
    }
    if (total > shown.length) lines.push(`  and ${total - shown.length} more`);
  }
  const steps = remediationFor(incident, diagnosis).slice(0, budget.list);
  if (steps.length > 0) {
    lines.push('', 'What to do');
    steps.forEach((step, index) => {
      lines.push(`  ${index + 1}. ${clip(step.title, budget.field)}`);
      if (step.command) lines.push(`     ${clip(step.command, budget.field)}`);
    });
  }
  lines.push('', 'Details');
  lines.push(`  Cluster: ${incident.cluster}`);
  if (incident.namespace) lines.push(`  Namespace: ${incident.namespace}`);
  if (incident.workload) lines.push(`  Workload: ${incident.workload.kind} ${incident.workload.name}`);
  if (incident.pods.length > 0) lines.push(`  Pods: ${incident.pods.slice(0, budget.list).join(', ')}`);
  if (incident.nodes.length > 0) lines.push(`  Nodes: ${incident.nodes.slice(0, budget.list).join(', ')}`);
  lines.push(`  First seen: ${timeText(incident.firstSeen)} · Last seen: ${timeText(incident.lastSeen)}`);
  lines.push(`  Incident: ${incident.key}`);
  return clip(lines.join('\n'), budget.text);
}

function stateText(incident: Incident): string {
  switch (incident.state) {
    case 'open':
      return 'open';
    case 'acknowledged':
      return `acknowledged${incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}`;
    case 'snoozed':
      return `snoozed${incident.snoozedUntil ? ` until ${timeText(incident.snoozedUntil)}` : ''}`;
    case 'resolved':
      return `resolved${incident.resolvedAt ? ` ${timeText(incident.resolvedAt)}` : ''}${incident.resolvedBy ? ` (${incident.resolvedBy})` : ''}`;
  }
}

function timeText(iso: string): string {
  const ms = parseTime(iso);
  return ms === null ? iso : formatUtc(ms);
}

function alertDocument(
  incident: Incident,
  diagnosis: Diagnosis | null | undefined,
  subject: string,
  budget: Budget,
): AlertDocument {
  const cause = effectiveCause(incident, diagnosis);
  const words = causeWords(cause);
  let truncated = false;
  const field = (value: string) => {
    if (value.length > budget.field) truncated = true;
    return clip(value, budget.field);
  };
  const nullable = (value: string | null) => (value === null ? null : field(value));
  const list = <T>(items: readonly T[]) => {
    if (items.length > budget.list) truncated = true;
    return items.slice(0, budget.list);
  };
  const document: AlertDocument = {
    schema: SNS_DOCUMENT_SCHEMA,
    subject,
    severity: severityOf({ kind: incident.kind, cause }),
    cause: {
      id: cause,
      category: effectiveCategory(incident, diagnosis),
      title: words.title,
      explanation: words.explanation,
    },
    incident: {
      key: field(incident.key),
      kind: incident.kind,
      state: incident.state,
      cluster: field(incident.cluster),
      namespace: nullable(incident.namespace),
      workload: incident.workload
        ? { kind: field(incident.workload.kind), name: field(incident.workload.name) }
        : null,
      image: nullable(incident.image),
      registry: nullable(incident.registry),
      cause: incident.cause,
      category: incident.category,
      reason: incident.reason,
      evidence: field(incident.evidence),
      message: field(incident.message),
      count: incident.count,
      pods: list(incident.pods).map(field),
      nodes: list(incident.nodes).map(field),
      firstSeen: field(incident.firstSeen),
      lastSeen: field(incident.lastSeen),
      affected: list(incident.affected).map((item) => ({
        namespace: field(item.namespace),
        workload: { kind: field(item.workload.kind), name: field(item.workload.name) },
        image: field(item.image),
      })),
      affectedTotal: Math.max(incident.affectedTotal, incident.affected.length),
      acknowledgedBy: nullable(incident.acknowledgedBy),
      acknowledgedAt: nullable(incident.acknowledgedAt),
      snoozedUntil: nullable(incident.snoozedUntil),
      resolvedAt: nullable(incident.resolvedAt),
      resolvedBy: nullable(incident.resolvedBy),
      version: incident.version,
    },
    diagnosis: diagnosis
      ? {
          ...diagnosis,
          summary: field(diagnosis.summary),
          image: field(diagnosis.image),
          registry: field(diagnosis.registry),
          checkedFrom: field(diagnosis.checkedFrom),
          evidence: list(diagnosis.evidence).map((item) => ({
            ...item,
            step: field(item.step),
            summary: field(item.summary),
          })),
          remediation: list(diagnosis.remediation).map((step) => ({
            title: field(step.title),
            ...(step.command === undefined ? {} : { command: field(step.command) }),
          })),
          suggestions: list(diagnosis.suggestions).map(field),
        }
      : null,
    truncated: false,
  };
  document.truncated = truncated;
  return document;
}
