import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createSqsClient, SqsQueue } from '../lib/adapters/sqs.ts';
import { configFromEnv } from '../lib/config/pullwatch-config.ts';
import { requestBodyBytes } from '../lib/notify/slack-signature.ts';
import * as deps from '../lib/pipeline/lambda-deps.ts';
import { handleSlackAction, slackActionsEnvSchema } from '../lib/pipeline/slack-actions.ts';
import * as slackDeps from '../lib/pipeline/slack-deps.ts';
import { systemClock } from '../lib/runtime/clock.ts';
import { lambdaHandler, lambdaKit, readEnv } from '../lib/runtime/lambda.ts';

// Built once per cold start. Slack wants an answer within 3 s: one quick try per Slack call, no retries.
const env = readEnv(slackActionsEnvSchema);
const config = configFromEnv();
const kit = lambdaKit('slack-actions');
const policy = deps.policyOf(config);
const secrets = slackDeps.slackSecrets(config.slack, {
  need: ['botToken', 'signingSecret'],
  cacheKey: 'pullwatch-slack-actions',
  ssmEndpoint: env.SSM_ENDPOINT,
});
const shared = {
  ...deps.dynamoStores(env, policy),
  notices: env.NOTICES_QUEUE_URL
    ? new SqsQueue({
        queueUrl: env.NOTICES_QUEUE_URL,
        client: createSqsClient({ endpoint: env.SQS_ENDPOINT }),
      })
    : null,
  snoozeSeconds: deps.snoozeSecondsOf(policy),
  clock: systemClock,
  logger: kit.logger,
  metrics: kit.sink,
};
const slackFor = slackDeps.perSecret((token) =>
  slackDeps.slackClient(config.slack, token ?? '', { timeoutMs: 1_200, retries: 0 }),
);

export const handler = lambdaHandler(
  kit,
  async (event: APIGatewayProxyEventV2, context): Promise<APIGatewayProxyStructuredResultV2> => {
    const { botToken, signingSecret } = secrets.read(context);
    const request = {
      method: event.requestContext.http.method,
      headers: event.headers,
      // The signature covers the bytes Slack sent: decode API Gateway's base64 first, parse nothing yet.
      body: requestBodyBytes(event.body, event.isBase64Encoded),
    };
    return handleSlackAction(request, {
      ...shared,
      slack: slackFor(botToken),
      signingSecret: signingSecret ?? '',
    });
  },
).use(secrets.middleware);
