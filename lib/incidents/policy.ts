import * as z from '../zod.ts';

/**
 * The notification policy's knobs, as configuration data (seconds). The lead's config schema embeds this
 * object; every field has a default so an empty object is a complete policy.
 */
const seconds = (fallback: number) => z._default(z.number().check(z.int(), z.positive()), fallback);

export const policyConfigSchema = z.strictObject({
  /** Repeats update the alert at most once per this interval (count, pods, last seen). */
  updateIntervalSeconds: seconds(60),
  /** No failure event for this long: the incident is quiet and sweep resolves it. */
  quietPeriodSeconds: seconds(30 * 60),
  /** A recurrence within this time after resolution reopens the same alert; later ones open a new one. */
  reopenWindowSeconds: seconds(24 * 60 * 60),
  /** Open, unacknowledged incidents get a reminder this often. */
  reminderIntervalSeconds: seconds(4 * 60 * 60),
  /** The snooze choices offered on the alert, and the one used when none is given. */
  snoozeDurationsSeconds: z._default(
    z.array(z.number().check(z.int(), z.positive())).check(z.minLength(1), z.maxLength(5)),
    [60 * 60, 4 * 60 * 60, 24 * 60 * 60],
  ),
  defaultSnoozeSeconds: seconds(4 * 60 * 60),
  /**
   * A failure seen only without cause text (BackOff, `Error: ErrImagePull`) waits this long for the event
   * that carries the cause before it is announced as it is.
   */
  causeWaitSeconds: seconds(120),
  /** An undelivered notice older than this is sent again (keep it below the SQS visibility timeout). */
  noticeGraceSeconds: seconds(60),
  /** How long a notification claim (notify's lease on posting) lasts. */
  notifyLeaseSeconds: seconds(60),
  /** How long a record is kept after its last activity (DynamoDB TTL). */
  retentionSeconds: seconds(30 * 24 * 60 * 60),
});

export type PolicyConfig = z.input<typeof policyConfigSchema>;

/** The policy in milliseconds, as the pure decisions read it. */
export interface Policy {
  updateIntervalMs: number;
  quietPeriodMs: number;
  reopenWindowMs: number;
  reminderIntervalMs: number;
  snoozeDurationsMs: number[];
  defaultSnoozeMs: number;
  causeWaitMs: number;
  noticeGraceMs: number;
  notifyLeaseMs: number;
  retentionMs: number;
}

export function resolvePolicy(config: PolicyConfig = {}): Policy {
  const c = policyConfigSchema.parse(config);
  return {
    updateIntervalMs: c.updateIntervalSeconds * 1000,
    quietPeriodMs: c.quietPeriodSeconds * 1000,
    reopenWindowMs: c.reopenWindowSeconds * 1000,
    reminderIntervalMs: c.reminderIntervalSeconds * 1000,
    snoozeDurationsMs: c.snoozeDurationsSeconds.map((s) => s * 1000),
    defaultSnoozeMs: c.defaultSnoozeSeconds * 1000,
    causeWaitMs: c.causeWaitSeconds * 1000,
    noticeGraceMs: c.noticeGraceSeconds * 1000,
    notifyLeaseMs: c.notifyLeaseSeconds * 1000,
    retentionMs: c.retentionSeconds * 1000,
  };
}

export const DEFAULT_POLICY: Policy = resolvePolicy();
