import { CAUSES } from '../classify/causes.ts';
import { PullwatchError } from '../errors.ts';
import * as z from '../zod.ts';
import type { IncidentRecord, NoticeAction } from './types.ts';

/**
 * The ingest → notify message (and sweep → notify). Deliberately small: notify reads the incident by key
 * for everything it renders, so a notice only says which state change (`seq`) of which incident to tell.
 * Versioned like the envelope: a reader rejects a version it does not know instead of guessing.
 */
export const NOTICE_VERSION = 1;

export const NOTICE_ACTIONS = [
  'open',
  'update',
  'cause_changed',
  'reopen',
  'resolve',
  'acknowledge',
  'snooze',
  'wake',
  'remind',
] as const satisfies readonly NoticeAction[];

export const noticeSchema = z.object({
  v: z.literal(NOTICE_VERSION),
  /** IncidentRecord key. */
  key: z.string().check(z.minLength(1), z.maxLength(128)),
  /** The state change this notice is about; notify claims and records per seq, so a repeat changes nothing. */
  seq: z.number().check(z.int(), z.positive()),
  action: z.enum(NOTICE_ACTIONS),
  reason: z.string().check(z.minLength(1), z.maxLength(64)),
  kind: z.enum(['workload', 'registry']),
  cluster: z.string().check(z.minLength(1), z.maxLength(128)),
  namespace: z.nullable(z.string().check(z.maxLength(253))),
  cause: z.enum(CAUSES as [string, ...string[]]),
  state: z.enum(['open', 'acknowledged', 'snoozed', 'resolved']),
  count: z.number().check(z.int(), z.nonnegative()),
  /** When the change was decided (ISO). */
  at: z.iso.datetime({ offset: true }),
});

export type Notice = z.infer<typeof noticeSchema>;

export class NoticeError extends PullwatchError {
  override readonly name: string = 'NoticeError';
}

/** The notice for the incident's pending (or latest) state change. */
export function noticeFor(incident: IncidentRecord): Notice {
  const pending = incident.pendingNotice;
  const action = pending?.action ?? incident.lastAction;
  if (action === null) {
    throw new NoticeError('notice_nothing_to_tell', `incident ${incident.key} has no state change to tell`);
  }
  return {
    v: NOTICE_VERSION,
    key: incident.key,
    seq: pending?.seq ?? incident.seq,
    action,
    reason: pending?.reason ?? incident.lastReason ?? action,
    kind: incident.kind,
    cluster: incident.cluster,
    namespace: incident.namespace,
    cause: incident.cause,
    state: incident.state,
    count: incident.count,
    at: pending?.at ?? incident.lastDecisionAt ?? incident.lastSeen,
  };
}

/** Message attributes for SNS/SQS filter policies and for logs, without opening the body. */
export function noticeAttributes(notice: Notice): Record<string, string> {
  return { action: notice.action, kind: notice.kind, cause: notice.cause, cluster: notice.cluster };
}

export function encodeNotice(notice: Notice): string {
  return JSON.stringify(noticeSchema.parse(notice));
}

/** Throws NoticeError `notice_version_unsupported`, `notice_not_json` or `notice_invalid` (naming fields). */
export function parseNotice(body: string): Notice {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    throw new NoticeError('notice_not_json', 'notice body is not JSON', { cause });
  }
  if (typeof parsed === 'object' && parsed !== null && 'v' in parsed && parsed.v !== NOTICE_VERSION) {
    throw new NoticeError(
      'notice_version_unsupported',
      `unsupported notice version ${JSON.stringify(parsed.v)} (this build reads v${NOTICE_VERSION})`,
    );
  }
  const result = noticeSchema.safeParse(parsed);
  if (!result.success) {
    const fields = result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new NoticeError('notice_invalid', `invalid notice: ${fields}`, { cause: result.error });
  }
  return result.data;
}
