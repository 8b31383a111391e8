import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoAlertStateStore } from '../../lib/adapters/dynamodb-alert-state.ts';
import {
  createDynamoClient,
  createIncidentTable,
  DynamoIncidentStore,
} from '../../lib/adapters/dynamodb-store.ts';
import { createSlackAdapter } from '../../lib/adapters/slack.ts';
import { createSnsAdapter } from '../../lib/adapters/sns.ts';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';
import { type EnvelopeInput, parseEnvelope } from '../../lib/events/envelope.ts';
import { ingestBatch } from '../../lib/incidents/ingest.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import type { Policy } from '../../lib/incidents/policy.ts';
import { signSlackRequest } from '../../lib/notify/slack-signature.ts';
import type { AlertSink } from '../../lib/pipeline/deliver-alert.ts';
import { registryDiagnoser } from '../../lib/pipeline/diagnose-incident.ts';
import type { NotifyDependencies } from '../../lib/pipeline/notify.ts';
import type { ReceivedMessage } from '../../lib/queue/port.ts';
import { RegistryProber } from '../../lib/registry/prober.ts';
import type { Clock } from '../../lib/runtime/clock.ts';
import { type Dynalite, startDynalite } from './dynalite.ts';
import { envelope, recordingLogger } from './envelopes.ts';
import { type FauxqsService, type QueueHandle, startFauxqs, TEST_CREDENTIALS } from './fauxqs.ts';
import { pushImage } from './images.ts';
import { type RunningRegistry, startRegistry } from './registry.ts';
import { type SlackApiStandIn, startSlackApi } from './slack-api.ts';
import { notFoundMessage } from './storm.ts';

/**
 * Every real service an alert passes through, started on 127.0.0.1 for one test file: dynalite (incidents
 * and alert state), fauxqs (the notices queue with its dead-letter queue, and an SNS topic subscribed by a
 * queue), the Slack Web API stand-in, and Debian's registry with team/api:v1 and v1.4.1 pushed.
 */
export const CHANNELS = {
  alerts: 'C0ALERTS01',
  shop: 'C0SHOPTEAM1',
  platform: 'C0PLATFORM1',
  missing: 'C0MISSING01',
};

export interface AlertStack {
  dynalite: Dynalite;
  fauxqs: FauxqsService;
  slack: SlackApiStandIn;
  registry: RunningRegistry;
  notices: QueueHandle;
  noticesDlq: QueueHandle;
  snsQueue: QueueHandle;
  topicArn: string;
  table: string;
  /** The environment the Lambdas read (set it with Object.assign(process.env, …) before importing them). */
  env: Record<string, string>;
  /** routing + registry + slack settings for PULLWATCH_CONFIG. */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  stores(policy?: Policy): { store: DynamoIncidentStore; alerts: DynamoAlertStateStore };
  stop(): Promise<void>;
}

export async function startAlertStack(
  options: { noticeVisibilitySeconds?: number } = {},
): Promise<AlertStack> {
  const [dynalite, fauxqs, slack, registry] = await Promise.all([
    startDynalite(),
    startFauxqs(),
    startSlackApi({ channels: [CHANNELS.alerts, CHANNELS.shop, CHANNELS.platform] }),
    startRegistry(),
  ]);
  await pushImage({ url: registry.url }, 'team/api', 'v1');
  await pushImage({ url: registry.url }, 'team/api', 'v1.4.1');
  const table = 'incidents';
  const admin = createDynamoClient(dynaliteConnection(dynalite));
  await createIncidentTable(admin, table);
  admin.destroy();
  const noticesDlq = await fauxqs.createQueue('notices-dlq');
  const notices = await fauxqs.createQueue('notices', {
    visibilityTimeoutSeconds: options.noticeVisibilitySeconds ?? 1,
    deadLetter: { arn: noticesDlq.arn, maxReceiveCount: 5 },
  });
  const topicArn = await fauxqs.createTopic('pullwatch-alerts');
  const snsQueue = await fauxqs.createQueue('alerts-subscriber');
  await fauxqs.subscribeQueue(topicArn, snsQueue.arn);
  const env = {
    INCIDENTS_TABLE: table,
    NOTICES_QUEUE_URL: notices.url,
    NOTICES_DLQ_URL: noticesDlq.url,
    DYNAMODB_ENDPOINT: dynalite.endpoint,
    SQS_ENDPOINT: fauxqs.endpoint,
    SNS_ENDPOINT: fauxqs.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_METRICS_NAMESPACE: 'pullwatch-test',
  };
  return {
    dynalite,
    fauxqs,
    slack,
    registry,
    notices,
    noticesDlq,
    snsQueue,
    topicArn,
    table,
    env,
    config: (extra = {}) => ({
      checkedFrom: 'pullwatch tests',
      registry: { allowHosts: [registry.host], deadlineMs: 4000 },
      slack: { apiUrl: slack.url },
      routing: {
        rules: [
          { name: 'registries', match: { kind: 'registry' }, slack: [CHANNELS.platform] },
          {
            name: 'shop',
            match: { namespace: 'shop' },
            slack: [CHANNELS.alerts, CHANNELS.shop],
            sns: [topicArn],
          },
          { name: 'broken', match: { namespace: 'broken' }, slack: [CHANNELS.missing, CHANNELS.alerts] },
        ],
        default: { slack: [CHANNELS.alerts] },
      },
      ...extra,
    }),
    stores: (policy) => {
      const client = createDynamoClient(dynaliteConnection(dynalite));
      return {
        store: new DynamoIncidentStore({ tableName: table, client, ...(policy ? { policy } : {}) }),
        alerts: new DynamoAlertStateStore({ tableName: table, client }),
      };
    },
    async stop() {
      await Promise.all([dynalite.stop(), fauxqs.stop(), slack.close(), registry.stop()]);
    },
  };
}

function dynaliteConnection(dynalite: Dynalite) {
  return { endpoint: dynalite.endpoint, region: dynalite.region, credentials: dynalite.credentials };
}

/** A kubelet `Failed` event with the pod's full pull context, as the forwarder sends it. */
export function failedPull(spec: {
  uid: string;
  image: string;
  at?: string;
  namespace?: string;
  deployment?: string;
  message?: string;
  count?: number;
}): EnvelopeInput {
  const at = spec.at ?? new Date().toISOString();
  const base = envelope({
    uid: spec.uid,
    reason: 'Failed',
    message: spec.message ?? notFoundMessage(spec.image),
    last: at,
    first: at,
    count: spec.count ?? 1,
    image: spec.image,
    cluster: 'prod',
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    ...(spec.deployment ? { deployment: spec.deployment } : {}),
  });
  return {
    ...base,
    pod: {
      ...base.pod!,
      serviceAccount: `${spec.deployment ?? 'api'}-runner`,
      imagePullSecrets: ['regcred'],
    },
    node: { name: 'node-a', os: 'linux', arch: 'amd64' },
  };
}

/** Runs envelopes through the ingest stage onto the notices queue; returns the notices it sent. */
export async function ingest(
  stack: AlertStack,
  envelopes: EnvelopeInput[],
  clock: Clock = Date.now,
  policy?: Policy,
) {
  const { store } = stack.stores(policy);
  const report = await ingestBatch(
    envelopes.map((e, i) => ({
      messageId: `in-${i}`,
      body: JSON.stringify(parseEnvelope(e)),
      receiveCount: 1,
    })),
    { store, notices: stack.notices.queue, clock, logger: recordingLogger().logger },
  );
  if (report.failed.length > 0) throw new Error(`ingest failed: ${JSON.stringify(report)}`);
  return report.notices;
}

/** Receives exactly the messages of the given incident keys (others stay on the queue). */
export async function receiveNotices(
  handle: QueueHandle,
  keys: readonly string[],
  expected = keys.length,
  rounds = 20,
): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for (let round = 0; round < rounds && out.length < expected; round += 1) {
    for (const message of await handle.queue.receive({ maxMessages: 10, waitSeconds: 1 })) {
      let key: string | null = null;
      try {
        key = parseNotice(message.body).key;
      } catch {
        key = null;
      }
      if (key !== null && keys.includes(key)) out.push(message);
    }
  }
  return out;
}

export async function drain(handle: QueueHandle, expected: number, rounds = 10): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  for (let round = 0; round < rounds && out.length < expected; round += 1) {
    out.push(...(await handle.queue.receive({ maxMessages: 10, waitSeconds: 1 })));
  }
  if (out.length > 0) await handle.queue.delete(out.map((m) => m.receiptHandle));
  return out;
}

/** The SQS event Lambda builds from received messages. */
export function sqsEvent(
  messages: readonly ReceivedMessage[],
  queueArn: string,
  receiveCount?: number,
): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(receiveCount ?? m.receiveCount),
          SentTimestamp: String(Date.now()),
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

export function lambdaContext(name: string, remainingMs = 30_000): Context {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  } as Context;
}

/** The notify stage wired to the stack's real services, with the clock and policy a test controls. */
export function notifyDeps(
  stack: AlertStack,
  options: { clock: Clock; policy?: Policy; sinks?: AlertSink[]; diagnose?: boolean },
): NotifyDependencies {
  const config = pullwatchConfigSchema.parse(stack.config());
  const prober = new RegistryProber({ config: config.registry });
  return {
    ...stack.stores(options.policy),
    routing: config.routing,
    slack: createSlackAdapter({ token: stack.slack.token, slackApiUrl: stack.slack.url, timeoutMs: 1_000 }),
    sns: createSnsAdapter({
      endpoint: stack.fauxqs.endpoint,
      region: 'us-east-1',
      credentials: TEST_CREDENTIALS,
    }),
    diagnose: options.diagnose === false ? null : registryDiagnoser(prober, 'pullwatch tests'),
    sinks: options.sinks ?? [],
    deadLetters: stack.noticesDlq.queue,
    clock: options.clock,
    logger: recordingLogger().logger,
  };
}

export const SIGNING_SECRET = 'test-signing-secret-8f3a';

/** A block_actions click on an alert's button, form-encoded and signed as Slack does. */
export function signedClick(
  stack: AlertStack,
  spec: {
    key: string;
    actionId: string;
    message: { channel: string; ts: string };
    user?: string;
    now: number;
    secret?: string;
  },
): { headers: Record<string, string>; body: string } {
  const payload = {
    type: 'block_actions',
    user: { id: spec.user ?? 'U0ANA0001', username: 'ana' },
    team: { id: 'T0TEST' },
    channel: { id: spec.message.channel },
    container: { type: 'message', message_ts: spec.message.ts, channel_id: spec.message.channel },
    message: { ts: spec.message.ts },
    response_url: stack.slack.responseUrl(spec.message),
    actions: [{ action_id: spec.actionId, value: spec.key, action_ts: String(spec.now / 1000) }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(spec.now / 1000);
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(spec.secret ?? SIGNING_SECRET, timestamp, body),
    },
    body,
  };
}
