import type { SQSEvent } from 'aws-lambda';
import { createDynamoClient, DynamoIncidentStore } from '../lib/adapters/dynamodb-store.ts';
import { createSqsClient, SqsQueue } from '../lib/adapters/sqs.ts';
import { configFromEnv } from '../lib/config/pullwatch-config.ts';
import { createIngest, ingestEnvSchema } from '../lib/incidents/ingest.ts';
import { resolvePolicy } from '../lib/incidents/policy.ts';
import { systemClock } from '../lib/runtime/clock.ts';
import { batchResponse, lambdaHandler, lambdaKit, readEnv, sqsRecords } from '../lib/runtime/lambda.ts';

// Built once per cold start; every invocation reuses the clients and their connections.
const env = readEnv(ingestEnvSchema);
const kit = lambdaKit('ingest');
const sqs = createSqsClient({ endpoint: env.SQS_ENDPOINT });
const ingest = createIngest({
  store: new DynamoIncidentStore({
    tableName: env.INCIDENTS_TABLE,
    client: createDynamoClient({ endpoint: env.DYNAMODB_ENDPOINT }),
    policy: resolvePolicy(configFromEnv().policy),
  }),
  notices: new SqsQueue({ queueUrl: env.NOTICES_QUEUE_URL, client: sqs }),
  deadLetters: env.EVENTS_DLQ_URL ? new SqsQueue({ queueUrl: env.EVENTS_DLQ_URL, client: sqs }) : null,
  clock: systemClock,
  logger: kit.logger,
  metrics: kit.sink,
});

export const handler = lambdaHandler(kit, async (event: SQSEvent) =>
  batchResponse((await ingest(sqsRecords(event))).failed),
);
