import { errorMessage, PullwatchError } from '../errors.ts';
import { type EnvelopeResult, parseQueueMessage } from '../events/envelope.ts';
import type { OutgoingMessage, QueueSender } from '../queue/port.ts';
import type { Clock } from '../runtime/clock.ts';
import type { QueueRecord } from '../runtime/lambda.ts';
import type { Logger } from '../runtime/logger.ts';
import { type MetricsSink, noMetrics } from '../runtime/metrics.ts';
import * as z from '../zod.ts';
import { readEnvelope } from './from-envelope.ts';
import { encodeNotice, type Notice, noticeAttributes, noticeFor } from './notice.ts';
import { aggregate, type Observation, timeOf } from './observation.ts';
import type { IncidentStore, ObserveResult } from './store.ts';

/**
 * The ingest stage: one SQS batch of envelopes (single or packed) → incidents → notices. Per batch it writes
 * each distinct incident once (a storm of one bad tag is one write per batch, not one per event), and it
 * sends a notice only for a decision other than `none`. Failures stay as small as SQS allows: a bad
 * envelope inside a pack goes to the dead-letter queue alone while its neighbours are processed; a bad
 * message, or a message whose incident could not be stored or announced, is reported back as a batch item
 * failure so SQS redelivers just it (and, after maxReceiveCount, dead-letters it).
 */
/** SQS ApproximateReceiveCount above 1 is a redelivery, possibly after a notice was lost. */
export type IngestRecord = QueueRecord;

export interface IngestDependencies {
  store: IncidentStore;
  notices: QueueSender;
  /** Where an invalid envelope from inside a pack goes alone; without it the whole message fails. */
  deadLetters?: QueueSender | null;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics?: MetricsSink;
  /** Distinct incidents written in parallel. */
  concurrency?: number;
}

export interface IngestDecision {
  key: string;
  action: string;
  reason: string;
  kind: string;
}

export interface IngestReport {
  /** SQS message ids to report as batchItemFailures. */
  failed: string[];
  events: number;
  ignored: number;
  deadLettered: number;
  writes: number;
  decisions: IngestDecision[];
  notices: Notice[];
}

export const ingestEnvSchema = z.object({
  INCIDENTS_TABLE: z.string().check(z.minLength(3)),
  NOTICES_QUEUE_URL: z.url(),
  EVENTS_DLQ_URL: z.optional(z.url()),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
});

export class IngestError extends PullwatchError {
  override readonly name: string = 'IngestError';
}

interface Source {
  messageId: string;
  receiveCount: number;
}

export function createIngest(
  deps: IngestDependencies,
): (records: readonly IngestRecord[]) => Promise<IngestReport> {
  return (records) => ingestBatch(records, deps);
}

export async function ingestBatch(
  records: readonly IngestRecord[],
  deps: IngestDependencies,
): Promise<IngestReport> {
  const metrics = deps.metrics ?? noMetrics;
  const now = deps.clock();
  const failed = new Set<string>();
  const report: IngestReport = {
    failed: [],
    events: 0,
    ignored: 0,
    deadLettered: 0,
    writes: 0,
    decisions: [],
    notices: [],
  };

  // 1. Parse and read every envelope; remember which messages fed which incident.
  const observations: Observation[] = [];
  const sourcesByKey = new Map<string, Source[]>();
  const deadLetters: Array<{ record: IngestRecord; result: Extract<EnvelopeResult, { ok: false }> }> = [];
  for (const record of records) {
    const results = parseQueueMessage(record.body);
    for (const result of results) {
      if (!result.ok) {
        deps.logger.warn('invalid envelope', {
          messageId: record.messageId,
          index: result.index,
          code: result.error.code,
          error: result.error.message,
        });
        metrics.count('InvalidEnvelopes', 1, { code: result.error.code });
        // Inside a pack of good envelopes, dead-letter the bad one alone; a bad message as a whole fails.
        if (deps.deadLetters && results.some((r) => r.ok)) deadLetters.push({ record, result });
        else failed.add(record.messageId);
        continue;
      }
      report.events += 1;
      try {
        const reading = readEnvelope(result.envelope);
        if (reading.ignored !== null) {
          report.ignored += 1;
          metrics.count('IgnoredEvents', 1, { reason: reading.ignored });
          continue;
        }
        for (const observation of reading.observations) {
          observations.push(observation);
          const sources = sourcesByKey.get(observation.key) ?? [];
          sources.push({ messageId: record.messageId, receiveCount: record.receiveCount });
          sourcesByKey.set(observation.key, sources);
        }
      } catch (error) {
        deps.logger.error('cannot read envelope', {
          messageId: record.messageId,
          index: result.index,
          error: errorMessage(error),
        });
        failed.add(record.messageId);
      }
    }
  }
  metrics.count('Events', report.events);

  // 2. Park bad envelopes from packs on the dead-letter queue, one message each.
  if (deadLetters.length > 0 && deps.deadLetters) {
    const messages: OutgoingMessage[] = deadLetters.map(({ record, result }, i) => ({
      id: `dl${i}`,
      body: JSON.stringify(result.raw) ?? 'null',
      attributes: {
        pullwatch_error: result.error.code,
        pullwatch_reason: result.error.message.slice(0, 256),
        pullwatch_source: record.messageId,
      },
    }));
    const sent = await deps.deadLetters.send(messages);
    const sentIds = new Set(sent.sent);
    deadLetters.forEach(({ record }, i) => {
      if (sentIds.has(`dl${i}`)) report.deadLettered += 1;
      else failed.add(record.messageId);
    });
  }

  // 3. One observation per incident, one conditional write each.
  const merged = aggregate(observations);
  const results = new Map<string, ObserveResult>();
  await forEachLimited(merged, deps.concurrency ?? 8, async (observation) => {
    try {
      const result = await deps.store.observe(observation, now);
      results.set(observation.key, result);
      if (result.written) report.writes += 1;
      report.decisions.push({ key: observation.key, ...result.decision, kind: observation.kind });
      metrics.count('Decisions', 1, { action: result.decision.action, reason: result.decision.reason });
    } catch (error) {
      deps.logger.error('cannot store incident', {
        key: observation.key,
        code: error instanceof PullwatchError ? error.code : 'unexpected',
        error: errorMessage(error),
      });
      for (const source of sourcesByKey.get(observation.key) ?? []) failed.add(source.messageId);
    }
  });

  // 4. Notices: every announced change, plus an earlier one whose notice may have been lost.
  const outgoing: Array<{ notice: Notice; key: string }> = [];
  for (const [key, result] of results) {
    const incident = result.incident;
    if (incident === null) continue;
    const pending = incident.pendingNotice;
    if (result.decision.action !== 'none') {
      outgoing.push({ key, notice: noticeFor(incident) });
    } else if (pending !== null) {
      const redelivered = (sourcesByKey.get(key) ?? []).some((s) => s.receiveCount > 1);
      if (redelivered || now - timeOf(pending.at) >= deps.store.policy.noticeGraceMs) {
        deps.logger.info('resending undelivered notice', { key, seq: pending.seq, action: pending.action });
        metrics.count('NoticesResent', 1);
        outgoing.push({ key, notice: noticeFor(incident) });
      }
    }
  }
  if (outgoing.length > 0) {
    const messages = outgoing.map(({ notice }, i) => ({
      id: `n${i}`,
      body: encodeNotice(notice),
      attributes: noticeAttributes(notice),
    }));
    const sent = await deps.notices.send(messages);
    const sentIds = new Set(sent.sent);
    for (const failure of sent.failed) {
      deps.logger.error('cannot send notice', { code: failure.code, error: failure.message });
    }
    await forEachLimited(outgoing, deps.concurrency ?? 8, async ({ key, notice }, i) => {
      if (!sentIds.has(`n${i}`)) {
        for (const source of sourcesByKey.get(key) ?? []) failed.add(source.messageId);
        return;
      }
      report.notices.push(notice);
      try {
        await deps.store.markNoticeSent(key, notice.seq);
      } catch (error) {
        // The notice is out; a stale outbox entry costs at most one repeated notice, which notify ignores.
        deps.logger.warn('cannot clear outbox entry', { key, seq: notice.seq, error: errorMessage(error) });
      }
    });
    metrics.count('Notices', report.notices.length);
  }

  report.failed = [...failed];
  if (report.failed.length > 0) metrics.count('FailedRecords', report.failed.length);
  deps.logger.info('batch ingested', {
    records: records.length,
    events: report.events,
    ignored: report.ignored,
    incidents: merged.length,
    writes: report.writes,
    notices: report.notices.length,
    deadLettered: report.deadLettered,
    failed: report.failed.length,
  });
  return report;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
