import { DynamoAlertStateStore } from '../adapters/dynamodb-alert-state.ts';
import { createDynamoClient, DynamoIncidentStore } from '../adapters/dynamodb-store.ts';
import type { PullwatchConfig } from '../config/pullwatch-config.ts';
import { type Policy, resolvePolicy } from '../incidents/policy.ts';
import type { RoutingConfig } from '../notify/routing.ts';

/**
 * What the notify, slack-actions and sweep handlers build once per cold start, so each handler stays a few
 * lines of wiring: the stores on one DynamoDB client, the policy and routing from the settings. The Slack
 * pieces are in slack-deps.ts, so the sweep bundle carries no Slack client.
 */
export function dynamoStores(
  env: { INCIDENTS_TABLE: string; DYNAMODB_ENDPOINT?: string | undefined },
  policy: Policy,
) {
  const client = createDynamoClient(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {});
  return {
    store: new DynamoIncidentStore({ tableName: env.INCIDENTS_TABLE, client, policy }),
    alerts: new DynamoAlertStateStore({ tableName: env.INCIDENTS_TABLE, client }),
  };
}

export function policyOf(config: PullwatchConfig): Policy {
  return resolvePolicy(config.policy);
}

export function snoozeSecondsOf(policy: Policy): number[] {
  return policy.snoozeDurationsMs.map((ms) => Math.round(ms / 1000));
}

export function routesToSlack(routing: RoutingConfig): boolean {
  return routing.default.slack.length > 0 || routing.rules.some((rule) => rule.slack.length > 0);
}

/** Where the functions say a registry check ran from. */
export function checkedFromOf(config: PullwatchConfig, env: NodeJS.ProcessEnv = process.env): string {
  return config.checkedFrom ?? `lambda ${env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'unknown-region'}`;
}

/** The deployment's own topic (ALERTS_TOPIC_ARN) receives what the routing's default sends nowhere on SNS. */
export function withDefaultTopic(routing: RoutingConfig, topicArn: string | undefined): RoutingConfig {
  if (!topicArn || routing.default.sns.length > 0) return routing;
  return { ...routing, default: { ...routing.default, sns: [topicArn] } };
}
