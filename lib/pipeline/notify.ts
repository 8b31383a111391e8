import { errorMessage, PullwatchError } from '../errors.ts';
import { type Notice, noticeAttributes, parseNotice } from '../incidents/notice.ts';
import type { QueueSender } from '../queue/port.ts';
import type { QueueRecord } from '../runtime/lambda.ts';
import { noMetrics } from '../runtime/metrics.ts';
import * as z from '../zod.ts';
import { type DeliveryDependencies, type DeliveryOutcome, deliverAlert } from './deliver-alert.ts';

/**
 * The notify stage: a batch of notices (SQS in AWS, the in-process queue in `pullwatch run`) → one alert
 * delivery per notice (deliver-alert.ts). Outcomes per message, as SQS partial batch failures want them:
 * - delivered or nothing to do (already told, incident gone): done;
 * - a target refused for good (unknown channel, invalid blocks): the rest is delivered, the notice is parked
 *   on the dead-letter queue with the reason when there is one (else only logged) — retrying cannot help;
 * - rate limited, 5xx or network trouble beyond the time budget, or another sender holding the claim: the
 *   message fails and comes back; with a `Retry-After` (or the claim's lease) its visibility is set to that,
 *   and after the queue's maxReceiveCount it lands in the dead-letter queue;
 * - an unreadable notice fails alone (and so ends in the dead-letter queue).
 * Notices of one incident are handled one after the other, different incidents in parallel.
 */
export interface NoticeRecord extends QueueRecord {
  /** For changing the message's visibility (SQS); absent in queues that have none. */
  receiptHandle?: string;
}

export interface NotifyDependencies extends DeliveryDependencies {
  /** Where notices with a refused target are parked (the notices DLQ); null: log only. */
  deadLetters?: QueueSender | null;
  /** Makes a failed message visible again after `seconds` (SQS ChangeMessageVisibility). */
  defer?: ((receiptHandle: string, seconds: number) => Promise<void>) | null;
  /** Incidents delivered in parallel; default 4. */
  concurrency?: number;
}

export interface NotifyOptions {
  /** Time left in this invocation; Lambda's getRemainingTimeInMillis. */
  remainingMs: () => number;
}

export interface NotifyResult {
  messageId: string;
  key: string | null;
  outcome: DeliveryOutcome['outcome'] | 'invalid' | 'error' | 'out_of_time';
  reason: string;
}

export interface NotifyReport {
  /** Message ids to report as batchItemFailures. */
  failed: string[];
  results: NotifyResult[];
  parked: number;
}

export const notifyEnvSchema = z.object({
  INCIDENTS_TABLE: z.string().check(z.minLength(3)),
  /** The queue this function reads (for Retry-After visibility changes). */
  NOTICES_QUEUE_URL: z.url(),
  /** Notices with a target that refused for good are parked here with the reason. */
  NOTICES_DLQ_URL: z.optional(z.url()),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
  /** The deployment's SNS topic: gets what the routing's default sends to no topic. */
  ALERTS_TOPIC_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  SNS_ENDPOINT: z.optional(z.url()),
  SSM_ENDPOINT: z.optional(z.url()),
});

export class NotifyError extends PullwatchError {
  override readonly name: string = 'NotifyError';
}

export function createNotifier(
  deps: NotifyDependencies,
): (records: readonly NoticeRecord[], options: NotifyOptions) => Promise<NotifyReport> {
  return (records, options) => notifyBatch(records, deps, options);
}

export async function notifyBatch(
  records: readonly NoticeRecord[],
  deps: NotifyDependencies,
  options: NotifyOptions,
): Promise<NotifyReport> {
  const metrics = deps.metrics ?? noMetrics;
  const report: NotifyReport = { failed: [], results: [], parked: 0 };
  const groups = new Map<string, Array<{ record: NoticeRecord; notice: Notice }>>();
  for (const record of records) {
    let notice: Notice;
    try {
      notice = parseNotice(record.body);
    } catch (error) {
      const code = error instanceof PullwatchError ? error.code : 'notice_invalid';
      deps.logger.error('invalid notice', { messageId: record.messageId, code, error: errorMessage(error) });
      metrics.count('InvalidNotices', 1, { code });
      report.failed.push(record.messageId);
      report.results.push({ messageId: record.messageId, key: null, outcome: 'invalid', reason: code });
      continue;
    }
    const group = groups.get(notice.key) ?? [];
    group.push({ record, notice });
    groups.set(notice.key, group);
  }

  const reserveMs = deps.retry?.reserveMs ?? 2_000;
  await forEachLimited([...groups.values()], deps.concurrency ?? 4, async (group) => {
    for (const { record, notice } of group) {
      const result = await handleNotice(record, notice, deps, options, reserveMs);
      report.results.push(result.result);
      if (result.failed) report.failed.push(record.messageId);
      if (result.parked) report.parked += 1;
    }
  });

  metrics.count('Notices', records.length);
  if (report.failed.length > 0) metrics.count('FailedNotices', report.failed.length);
  deps.logger.info('notices handled', {
    records: records.length,
    failed: report.failed.length,
    parked: report.parked,
    outcomes: countBy(report.results.map((r) => r.outcome)),
  });
  return report;
}

async function handleNotice(
  record: NoticeRecord,
  notice: Notice,
  deps: NotifyDependencies,
  options: NotifyOptions,
  reserveMs: number,
): Promise<{ result: NotifyResult; failed: boolean; parked: boolean }> {
  const base = { messageId: record.messageId, key: notice.key };
  const metrics = deps.metrics ?? noMetrics;
  if (options.remainingMs() <= reserveMs) {
    return {
      result: { ...base, outcome: 'out_of_time', reason: 'out_of_time' },
      failed: true,
      parked: false,
    };
  }
  let outcome: DeliveryOutcome;
  try {
    outcome = await deliverAlert(
      {
        key: notice.key,
        seq: notice.seq,
        redelivered: record.receiveCount > 1,
        remainingMs: options.remainingMs,
      },
      deps,
    );
  } catch (error) {
    const code = error instanceof PullwatchError ? error.code : 'unexpected';
    deps.logger.error('cannot deliver alert', { ...base, seq: notice.seq, code, error: errorMessage(error) });
    return { result: { ...base, outcome: 'error', reason: code }, failed: true, parked: false };
  }
  metrics.count('Deliveries', 1, { outcome: outcome.outcome });
  switch (outcome.outcome) {
    case 'skipped':
      deps.logger.debug('nothing to deliver', { ...base, seq: notice.seq, reason: outcome.reason });
      return {
        result: { ...base, outcome: 'skipped', reason: outcome.reason },
        failed: false,
        parked: false,
      };
    case 'retry': {
      deps.logger.warn('delivery postponed', {
        ...base,
        seq: notice.seq,
        reason: outcome.reason,
        retryAfterSeconds: outcome.retryAfterSeconds,
      });
      if (outcome.retryAfterSeconds !== null && record.receiptHandle && deps.defer) {
        await deps.defer(record.receiptHandle, outcome.retryAfterSeconds).catch((error: unknown) => {
          deps.logger.warn('cannot delay the notice', { ...base, error: errorMessage(error) });
        });
      }
      return { result: { ...base, outcome: 'retry', reason: outcome.reason }, failed: true, parked: false };
    }
    case 'delivered': {
      deps.logger.info('alert delivered', {
        ...base,
        seq: outcome.seq,
        news: outcome.news,
        route: outcome.route,
        posted: outcome.posted,
        updated: outcome.updated,
        replies: outcome.replies,
        published: outcome.published,
        reconciled: outcome.reconciled,
        rejected: outcome.rejected.length,
      });
      const parked = outcome.rejected.length > 0 ? await park(record, notice, outcome, deps) : false;
      const reason = outcome.rejected.length > 0 ? 'partly_rejected' : outcome.news.join('+') || 'update';
      return { result: { ...base, outcome: 'delivered', reason }, failed: false, parked };
    }
  }
}

/** A notice whose target refused for good goes to the dead-letter queue with why, for an operator to see. */
async function park(
  record: NoticeRecord,
  notice: Notice,
  outcome: Extract<DeliveryOutcome, { outcome: 'delivered' }>,
  deps: NotifyDependencies,
): Promise<boolean> {
  if (!deps.deadLetters) return false;
  const first = outcome.rejected[0]!;
  const sent = await deps.deadLetters.send([
    {
      id: 'rejected',
      body: record.body,
      attributes: {
        ...noticeAttributes(notice),
        pullwatch_error: first.code,
        pullwatch_reason: outcome.rejected
          .map((e) => `${e.operation}: ${e.detail ?? e.message}`)
          .join('; ')
          .slice(0, 256),
      },
    },
  ]);
  if (sent.sent.length === 1) return true;
  deps.logger.warn('cannot park the notice', { messageId: record.messageId, failures: sent.failed });
  return false;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return out;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
