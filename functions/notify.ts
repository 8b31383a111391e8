import type { SQSEvent } from 'aws-lambda';
import { ecrAuthorizationProvider } from '../lib/adapters/ecr.ts';
import { secretsManagerReader } from '../lib/adapters/secrets-manager.ts';
import { createSnsAdapter } from '../lib/adapters/sns.ts';
import { createSqsClient, SqsQueue } from '../lib/adapters/sqs.ts';
import { configFromEnv } from '../lib/config/pullwatch-config.ts';
import { registryDiagnoser } from '../lib/pipeline/diagnose-incident.ts';
import * as deps from '../lib/pipeline/lambda-deps.ts';
import { createNotifier, notifyEnvSchema } from '../lib/pipeline/notify.ts';
import * as slackDeps from '../lib/pipeline/slack-deps.ts';
import { RegistryProber } from '../lib/registry/prober.ts';
import { systemClock } from '../lib/runtime/clock.ts';
import { batchResponse, lambdaHandler, lambdaKit, readEnv, sqsRecords } from '../lib/runtime/lambda.ts';

// Built once per cold start: clients, the prober's token cache and the Slack client live across invocations.
const env = readEnv(notifyEnvSchema);
const config = configFromEnv();
const kit = lambdaKit('notify');
const policy = deps.policyOf(config);
const secrets = slackDeps.slackSecrets(config.slack, {
  need: deps.routesToSlack(config.routing) ? ['botToken'] : [],
  cacheKey: 'pullwatch-notify',
  ssmEndpoint: env.SSM_ENDPOINT,
});
const sqs = createSqsClient({ endpoint: env.SQS_ENDPOINT });
const notices = new SqsQueue({ queueUrl: env.NOTICES_QUEUE_URL, client: sqs });
const prober = new RegistryProber({
  config: config.registry,
  backends: { readSecret: secretsManagerReader(), ecrAuthorization: ecrAuthorizationProvider() },
});
const shared = {
  ...deps.dynamoStores(env, policy),
  routing: deps.withDefaultTopic(config.routing, env.ALERTS_TOPIC_ARN),
  sns: createSnsAdapter(env.SNS_ENDPOINT ? { endpoint: env.SNS_ENDPOINT } : {}),
  diagnose: registryDiagnoser(prober, deps.checkedFromOf(config)),
  probeDeadlineMs: prober.config.deadlineMs,
  deadLetters: env.NOTICES_DLQ_URL ? new SqsQueue({ queueUrl: env.NOTICES_DLQ_URL, client: sqs }) : null,
  defer: (receiptHandle: string, seconds: number) => notices.changeVisibility(receiptHandle, seconds),
  snoozeSeconds: deps.snoozeSecondsOf(policy),
  clock: systemClock,
  logger: kit.logger,
  metrics: kit.sink,
};
const notifierFor = slackDeps.perSecret((token) =>
  createNotifier({ ...shared, slack: token ? slackDeps.slackClient(config.slack, token) : null }),
);

export const handler = lambdaHandler(kit, async (event: SQSEvent, context) => {
  const notify = notifierFor(secrets.read(context).botToken);
  const report = await notify(sqsRecords(event), { remainingMs: () => context.getRemainingTimeInMillis() });
  return batchResponse(report.failed);
}).use(secrets.middleware);
