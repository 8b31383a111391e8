import type { ScheduledEvent } from 'aws-lambda';
import { createSqsClient, SqsQueue } from '../lib/adapters/sqs.ts';
import { configFromEnv } from '../lib/config/pullwatch-config.ts';
import { dynamoStores, policyOf } from '../lib/pipeline/lambda-deps.ts';
import { createSweep, sweepEnvSchema } from '../lib/pipeline/sweep.ts';
import { systemClock } from '../lib/runtime/clock.ts';
import { lambdaHandler, lambdaKit, readEnv } from '../lib/runtime/lambda.ts';

// Built once per cold start. Run it with reserved concurrency 1: one sweep at a time.
const env = readEnv(sweepEnvSchema);
const config = configFromEnv();
const kit = lambdaKit('sweep');
const sweep = createSweep({
  store: dynamoStores(env, policyOf(config)).store,
  notices: new SqsQueue({
    queueUrl: env.NOTICES_QUEUE_URL,
    client: createSqsClient({ endpoint: env.SQS_ENDPOINT }),
  }),
  clock: systemClock,
  logger: kit.logger,
  metrics: kit.sink,
});

export const handler = lambdaHandler(kit, async (_event: ScheduledEvent, context) =>
  sweep({ remainingMs: () => context.getRemainingTimeInMillis() }),
);
