import { type Category, type Cause, categoryOf } from '../classify/causes.ts';
import type { Diagnosis } from '../diagnose/types.ts';
import type { Incident, IncidentKind } from '../incidents/types.ts';

/**
 * How urgent an alert is, defined once for Slack, SNS attributes and routing rules.
 * - critical: the pods cannot start and will not recover without someone changing something (a wrong tag,
 *   missing credentials, an untrusted certificate, a full disk).
 * - warning: the failure may clear on its own (rate limits, timeouts, 5xx, interrupted downloads, causes
 *   pullwatch does not recognise).
 * - info: kubelet says it is backing off but gave no cause.
 * A registry incident is one level higher than its cause alone: it hits every workload using that registry.
 */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

const CAUSE_SEVERITY: Readonly<Record<Cause, Severity>> = {
  tag_not_found: 'critical',
  repo_not_found: 'critical',
  repo_not_found_or_denied: 'critical',
  platform_mismatch: 'critical',
  unauthorized: 'critical',
  forbidden: 'critical',
  invalid_reference: 'critical',
  never_pull_policy: 'critical',
  signature_policy: 'critical',
  tls: 'critical',
  http_vs_https: 'critical',
  dns: 'critical',
  disk_full: 'critical',
  rate_limited: 'warning',
  connection_refused: 'warning',
  network_unreachable: 'warning',
  timeout: 'warning',
  proxy: 'warning',
  registry_server_error: 'warning',
  corrupt_or_interrupted: 'warning',
  unknown: 'warning',
  none: 'info',
};

export function severityOf(subject: { kind: IncidentKind; cause: Cause }): Severity {
  const base = CAUSE_SEVERITY[subject.cause];
  if (subject.kind !== 'registry') return base;
  return base === 'info' ? 'warning' : 'critical';
}

/**
 * The cause an alert talks about: the registry check's verdict when it reached one (it can split Docker
 * Hub's "not found or denied" into the real answer), otherwise what kubelet's text said.
 */
export function effectiveCause(incident: Pick<Incident, 'cause'>, diagnosis?: Diagnosis | null): Cause {
  if (diagnosis && diagnosis.cause !== 'unknown' && diagnosis.cause !== 'none') return diagnosis.cause;
  return incident.cause;
}

export function effectiveCategory(incident: Pick<Incident, 'cause'>, diagnosis?: Diagnosis | null): Category {
  return categoryOf(effectiveCause(incident, diagnosis));
}
