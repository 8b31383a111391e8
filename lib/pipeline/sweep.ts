import { errorMessage, PullwatchError } from '../errors.ts';
import { encodeNotice, type Notice, noticeAttributes, noticeFor } from '../incidents/notice.ts';
import { reviewIncident } from '../incidents/review.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import type { QueueSender } from '../queue/port.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { type MetricsSink, noMetrics } from '../runtime/metrics.ts';
import * as z from '../zod.ts';

/**
 * The sweep (a schedule in AWS, a timer in `pullwatch run`): pages through the unresolved incidents and those
 * still owing a notice, applies the pure review rules (lib/incidents/review.ts) and hands every resulting
 * state change to notify as a notice:
 * - quiet incidents resolve (the alert turns green), also when a snooze ends on one;
 * - a snooze that ran out on a still-failing incident wakes it (notify replies in the thread and re-notifies);
 * - an open incident nobody acknowledged gets a reminder per reminder interval;
 * - repeats that no update announced get their update;
 * - a notice that never reached the queue (a crash between write and send) is sent again.
 * Every change is a conditional transition, so overlapping sweeps cannot double it. Stops paging while
 * there is still time to finish; the next run carries on.
 */
export interface SweepDependencies {
  store: IncidentStore;
  notices: QueueSender;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics?: MetricsSink;
  pageSize?: number;
  /** Stop starting pages with less than this left; default 5,000 ms. */
  reserveMs?: number;
}

export interface SweepReport {
  reviewed: number;
  transitions: Record<string, number>;
  resent: number;
  notices: number;
  failed: number;
  /** False when the run stopped early for lack of time. */
  complete: boolean;
}

export const sweepEnvSchema = z.object({
  INCIDENTS_TABLE: z.string().check(z.minLength(3)),
  NOTICES_QUEUE_URL: z.url(),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
});

export class SweepError extends PullwatchError {
  override readonly name: string = 'SweepError';
}

export function createSweep(
  deps: SweepDependencies,
): (options: { remainingMs: () => number }) => Promise<SweepReport> {
  return (options) => sweep(deps, options);
}

export async function sweep(
  deps: SweepDependencies,
  options: { remainingMs: () => number },
): Promise<SweepReport> {
  const metrics = deps.metrics ?? noMetrics;
  const reserveMs = deps.reserveMs ?? 5_000;
  const report: SweepReport = {
    reviewed: 0,
    transitions: {},
    resent: 0,
    notices: 0,
    failed: 0,
    complete: true,
  };
  let cursor: string | null = null;
  do {
    if (options.remainingMs() < reserveMs) {
      report.complete = false;
      break;
    }
    const page = await deps.store.listActive({ limit: deps.pageSize ?? 100, cursor });
    cursor = page.cursor;
    const outgoing: IncidentRecord[] = [];
    for (const incident of page.incidents) {
      report.reviewed += 1;
      try {
        const changed = await review(incident, deps, report);
        if (changed) outgoing.push(changed);
      } catch (error) {
        report.failed += 1;
        deps.logger.error('cannot sweep incident', {
          key: incident.key,
          code: error instanceof PullwatchError ? error.code : 'unexpected',
          error: errorMessage(error),
        });
      }
    }
    await sendNotices(outgoing, deps, report);
  } while (cursor !== null);

  for (const [action, count] of Object.entries(report.transitions)) {
    metrics.count('SweepTransitions', count, { action });
  }
  metrics.count('SweepReviewed', report.reviewed);
  if (report.resent > 0) metrics.count('NoticesResent', report.resent);
  deps.logger.info('sweep done', { ...report });
  return report;
}

/** The incident to announce after reviewing it, or null. */
async function review(
  incident: IncidentRecord,
  deps: SweepDependencies,
  report: SweepReport,
): Promise<IncidentRecord | null> {
  const now = deps.clock();
  const decision = reviewIncident(incident, now, deps.store.policy);
  switch (decision.action) {
    case 'none':
      return null;
    case 'resend':
      report.resent += 1;
      return incident;
    case 'transition': {
      const result = await deps.store.transition(incident.key, decision.transition, now);
      if (result.outcome !== 'applied') {
        deps.logger.debug('sweep transition not applied', {
          key: incident.key,
          transition: decision.transition.type,
          reason: result.reason,
        });
        return null;
      }
      report.transitions[result.action] = (report.transitions[result.action] ?? 0) + 1;
      deps.logger.info('sweep transition', {
        key: incident.key,
        action: result.action,
        reason: result.reason,
      });
      return result.notice ? result.incident : null;
    }
  }
}

async function sendNotices(
  incidents: readonly IncidentRecord[],
  deps: SweepDependencies,
  report: SweepReport,
): Promise<void> {
  if (incidents.length === 0) return;
  const notices: Notice[] = incidents.map((incident) => noticeFor(incident));
  const sent = await deps.notices.send(
    notices.map((notice, i) => ({
      id: `n${i}`,
      body: encodeNotice(notice),
      attributes: noticeAttributes(notice),
    })),
  );
  const sentIds = new Set(sent.sent);
  for (const failure of sent.failed) {
    deps.logger.error('cannot send notice', { code: failure.code, error: failure.message });
  }
  for (const [i, notice] of notices.entries()) {
    if (!sentIds.has(`n${i}`)) {
      // The outbox entry stays: the next sweep sends it again.
      report.failed += 1;
      continue;
    }
    report.notices += 1;
    try {
      await deps.store.markNoticeSent(notice.key, notice.seq);
    } catch (error) {
      deps.logger.warn('cannot clear outbox entry', {
        key: notice.key,
        seq: notice.seq,
        error: errorMessage(error),
      });
    }
  }
}
