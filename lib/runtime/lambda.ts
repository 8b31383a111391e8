import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { validateConfig } from '../config/load.ts';
import { errorMessage, PullwatchError } from '../errors.ts';
import type * as z from '../zod.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics, type MetricsSink, powertoolsSink } from './metrics.ts';

/**
 * The middy stack every pullwatch Lambda shares (ingest, notify, slack-actions, sweep): Lambda context in
 * every log line, metrics flushed after each invocation (even a failed one), and one structured log line
 * for an error that escapes the handler, naming its stable code, before Lambda sees it. Handlers build
 * their dependencies once per cold start with `lambdaKit` and `readEnv`, then wrap one lib/ call.
 */
export interface LambdaKit {
  service: string;
  logger: Logger;
  metrics: Metrics;
  sink: MetricsSink;
}

export function lambdaKit(service: string): LambdaKit {
  const logger = createLogger(service);
  const metrics = createMetrics(service);
  return { service, logger, metrics, sink: powertoolsSink(metrics) };
}

export function lambdaHandler<E, R>(kit: LambdaKit, handler: (event: E, context: Context) => Promise<R>) {
  return middy<E, R>(handler)
    .use(injectLambdaContext(kit.logger, { resetKeys: true }))
    .use(logMetrics(kit.metrics, { captureColdStartMetric: true }))
    .use(logErrors<E, R>(kit.logger));
}

/** Logs what escaped the handler and lets it propagate: Lambda's own retry/DLQ handling decides next. */
function logErrors<E, R>(logger: Logger): MiddlewareObj<E, R> {
  return {
    name: 'pullwatch-log-errors',
    onError: (request) => {
      const error = request.error;
      logger.error('handler failed', {
        code: error instanceof PullwatchError ? error.code : 'unhandled',
        error: errorMessage(error),
      });
    },
  };
}

/**
 * Reads a Lambda's environment once, at cold start, against a schema: a missing or malformed variable fails
 * the first invocation with every bad name listed, instead of a confusing error deep inside a request.
 */
export function readEnv<S extends z.core.$ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  return validateConfig(schema, env, 'the environment');
}

/** An SQS record as the queue consumers read it; `receiveCount` above 1 marks a redelivery. */
export interface QueueRecord {
  messageId: string;
  body: string;
  receiveCount: number;
  /** SQS only: lets a consumer set when a failed message comes back (e.g. after a Retry-After). */
  receiptHandle?: string;
}

export function sqsRecords(event: SQSEvent): QueueRecord[] {
  return event.Records.map((r) => ({
    messageId: r.messageId,
    body: r.body,
    receiveCount: Number(r.attributes?.ApproximateReceiveCount ?? '1') || 1,
    ...(r.receiptHandle ? { receiptHandle: r.receiptHandle } : {}),
  }));
}

/**
 * The partial batch response (the event source mapping needs `functionResponseType: ReportBatchItemFailures`):
 * only the listed messages return to the queue, and after maxReceiveCount go to its dead-letter queue.
 */
export function batchResponse(failedMessageIds: readonly string[]): SQSBatchResponse {
  return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}
