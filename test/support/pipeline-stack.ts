import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Registry } from 'prom-client';
import { createKubeApi, loadKubeConfig } from '../../lib/adapters/kubernetes.ts';
import { createSqsClient, SqsQueue } from '../../lib/adapters/sqs.ts';
import { parseForwarderConfig } from '../../lib/forwarder/config.ts';
import { type RunningForwarder, startForwarder } from '../../lib/forwarder/forwarder.ts';
import type { ForwarderLogger } from '../../lib/forwarder/logger.ts';
import { type AlertStack, startAlertStack } from './alert-stack.ts';
import type { QueueHandle } from './fauxqs.ts';
import { type KubeApiStandIn, type KubeObject, nodeObject, podObject, startKubeApi } from './kube-api.ts';
import { bundleFunctions, PROJECT_ROOT } from './lambda-bundle.ts';
import {
  LambdaFunction,
  lambdaEnvironment,
  type ServerlessFunction,
  SqsEventSource,
  serverlessFunction,
} from './lambda-harness.ts';
import { type AwsCall, type RunningServer, startSsmStandIn } from './standins.ts';

/**
 * The whole pipeline on 127.0.0.1, as deployed: the Kubernetes API stand-in → the forwarder (in-process, the
 * real SQS sender) → the events queue (fauxqs) → the bundled `ingest` → dynalite → the notices queue → the
 * bundled `notify` (registry check against Debian's registry, allow-listed) → the Slack stand-in; the bundled
 * `slack-actions` behind an API Gateway HTTP API v2 event. The Lambdas run in their own processes with the
 * environment serverless.yml gives them (secrets from an SSM stand-in, as in AWS), fed by event source
 * mappings with serverless.yml's batch sizes and batching windows. Used by the e2e test and the bench.
 */
export const CLUSTER = 'prod';
export const SIGNING_SECRET = 'e2e-signing-secret-5d1c';
const BOT_TOKEN_PARAMETER = '/pullwatch/local/slack-bot-token';
const SIGNING_SECRET_PARAMETER = '/pullwatch/local/slack-signing-secret';
const HTTP_FUNCTIONS = ['slack-actions'] as const;
const QUEUE_FUNCTIONS = ['ingest', 'notify'] as const;

export interface PipelineOptions {
  /** `deployed`: serverless.yml's batching windows; `none`: invoke as soon as messages are there. */
  batchingWindows?: 'deployed' | 'none';
  /** Extra settings merged into PULLWATCH_CONFIG (policy…). */
  config?: Record<string, unknown>;
}

export interface Pipeline {
  stack: AlertStack;
  kube: KubeApiStandIn;
  ssm: RunningServer & { calls: AwsCall[] };
  events: QueueHandle;
  eventsDlq: QueueHandle;
  forwarder: RunningForwarder;
  functions: Record<'ingest' | 'notify' | 'slack-actions', LambdaFunction>;
  sources: Record<'ingest' | 'notify', SqsEventSource>;
  settings: Record<'ingest' | 'notify' | 'slack-actions', ServerlessFunction>;
  /** API Gateway → slack-actions, synchronously. */
  httpApi(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /**
   * Waits until the forwarder's buffer, both queues (visible and in flight) and both event sources are empty
   * and idle, twice in a row; fails with everyone's recent logs after `timeoutMs`.
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Recent logs of the forwarder and the functions, and the event sources' counters. */
  diagnostics(): string;
  stop(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  // Whatever started is stopped again if a later step fails (a registry child must not outlive the test).
  const cleanups: Array<() => unknown> = [];
  try {
    return await assemble(options, cleanups);
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    throw error;
  }
}

async function assemble(options: PipelineOptions, cleanups: Array<() => unknown>): Promise<Pipeline> {
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  // Under the project, so the bundles' external @aws-sdk/* imports resolve as the runtime's would.
  const bundleDir = mkdtempSync(join(cache, 'pullwatch-lambdas-'));
  cleanups.push(() => rmSync(bundleDir, { recursive: true, force: true }));
  const track = <T>(promise: Promise<T>, stop: (value: T) => unknown) =>
    promise.then((value) => {
      cleanups.push(() => stop(value));
      return value;
    });
  const starting = [
    track(startAlertStack({ noticeVisibilitySeconds: 30 }), (stack) => stack.stop()),
    track(startKubeApi(), (kube) => kube.close()),
    bundleFunctions([...QUEUE_FUNCTIONS, ...HTTP_FUNCTIONS], bundleDir),
  ] as const;
  // Let every start finish (and register its cleanup) before failing on any of them.
  await Promise.allSettled(starting);
  const [stack, kube, bundles] = await Promise.all(starting);
  const { fauxqs } = stack;
  const eventsDlq = await fauxqs.createQueue('events-dlq');
  const events = await fauxqs.createQueue('events', {
    visibilityTimeoutSeconds: 30,
    deadLetter: { arn: eventsDlq.arn, maxReceiveCount: 5 },
  });
  const ssm = await startSsmStandIn({
    [BOT_TOKEN_PARAMETER]: stack.slack.token,
    [SIGNING_SECRET_PARAMETER]: SIGNING_SECRET,
  });
  cleanups.push(() => ssm.stop());

  const resolved = {
    INCIDENTS_TABLE: stack.table,
    PULLWATCH_CONFIG: JSON.stringify(stack.config(options.config)),
    NOTICES_QUEUE_URL: stack.notices.url,
    NOTICES_DLQ_URL: stack.noticesDlq.url,
    EVENTS_DLQ_URL: eventsDlq.url,
    ALERTS_TOPIC_ARN: stack.topicArn,
    SLACK_BOT_TOKEN_PARAMETER: BOT_TOKEN_PARAMETER,
    SLACK_SIGNING_SECRET_PARAMETER: SIGNING_SECRET_PARAMETER,
  };
  const local = {
    DYNAMODB_ENDPOINT: stack.dynalite.endpoint,
    SQS_ENDPOINT: fauxqs.endpoint,
    SNS_ENDPOINT: fauxqs.endpoint,
    SSM_ENDPOINT: ssm.url,
    AWS_REGION: fauxqs.region,
    AWS_DEFAULT_REGION: fauxqs.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const names = [...QUEUE_FUNCTIONS, ...HTTP_FUNCTIONS];
  const settings = Object.fromEntries(
    names.map((name) => [name, serverlessFunction(name)]),
  ) as Pipeline['settings'];
  const functions = Object.fromEntries(
    names.map((name) => [
      name,
      new LambdaFunction({
        fn: settings[name],
        bundle: bundles[name]!,
        env: lambdaEnvironment(settings[name], resolved, local),
      }),
    ]),
  ) as Pipeline['functions'];
  cleanups.push(() => Promise.all(Object.values(functions).map((fn) => fn.stop())));
  await Promise.all(Object.values(functions).map((fn) => fn.start()));

  const client = createSqsClient({
    endpoint: fauxqs.endpoint,
    region: fauxqs.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  cleanups.push(() => client.destroy());
  const source = (name: (typeof QUEUE_FUNCTIONS)[number], queue: QueueHandle) => {
    const sqs = settings[name].sqs;
    if (!sqs) throw new Error(`serverless.yml gives ${name} no SQS event source`);
    return new SqsEventSource({
      fn: functions[name],
      settings: sqs,
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      region: fauxqs.region,
      ...(options.batchingWindows === 'none' ? { windowMs: 0 } : {}),
    });
  };
  const sources = { ingest: source('ingest', events), notify: source('notify', stack.notices) };
  sources.ingest.start();
  sources.notify.start();
  cleanups.push(() => Promise.all([sources.ingest.stop(), sources.notify.stop()]));

  for (const name of ['node-a', 'node-b', 'node-c']) kube.upsert('nodes', nodeObject(name));
  const logger = ringLogger();
  const forwarder = startForwarder({
    kube: createKubeApi(loadKubeConfig({ path: kube.kubeconfigPath })),
    sender: new SqsQueue({ queueUrl: events.url, client }),
    config: parseForwarderConfig({ clusterName: CLUSTER }),
    logger,
    metricsRegistry: new Registry(),
  });
  cleanups.push(() => forwarder.stop(2_000));
  await forwarder.ready;

  const depth = async (queue: QueueHandle) => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  };

  const pipeline: Pipeline = {
    stack,
    kube,
    ssm,
    events,
    eventsDlq,
    forwarder,
    functions,
    sources,
    settings,
    httpApi: (event) => functions['slack-actions'].invoke(event),
    async settled(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (quiet < 2) {
        if (Date.now() > deadline) throw new Error(`pipeline not settled:\n${pipeline.diagnostics()}`);
        const still =
          forwarder.buffered() > 0 ||
          !sources.ingest.idle() ||
          !sources.notify.idle() ||
          (await depth(events)) > 0 ||
          (await depth(stack.notices)) > 0;
        quiet = still ? 0 : quiet + 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    diagnostics() {
      return [
        `event sources: ingest ${JSON.stringify(sources.ingest.stats)}; notify ${JSON.stringify(sources.notify.stats)}`,
        `forwarder:\n${logger.text(20)}`,
        ...Object.values(functions).map((fn) => `${fn.name}:\n${fn.output(20)}`),
      ].join('\n');
    },
    async stop() {
      await forwarder.stop(2_000).catch(() => undefined);
      await Promise.all([sources.ingest.stop(), sources.notify.stop()]);
      await Promise.all(Object.values(functions).map((fn) => fn.stop()));
      client.destroy();
      await Promise.all([stack.stop(), kube.close(), ssm.stop()]);
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };
  return pipeline;
}

function ringLogger(): ForwarderLogger & { text(lines: number): string } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, extra: Record<string, unknown> = {}) => {
      lines.push(`${level} ${message} ${JSON.stringify(extra)}`);
      if (lines.length > 500) lines.splice(0, 250);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: (count) => lines.slice(-count).join('\n'),
  };
}

/**
 * A Deployment's pods as the API server holds them: owned by the ReplicaSet `<deployment>-<hash>` and
 * labelled with the pod-template-hash, one container `app` running `image`.
 */
export function deploymentPods(
  kube: KubeApiStandIn,
  spec: { namespace: string; deployment: string; image: string; pods: number; hash?: string },
): string[] {
  const hash = spec.hash ?? '7c9d8f6b5';
  const replicaSet = `${spec.deployment}-${hash}`;
  const names: string[] = [];
  for (let i = 0; i < spec.pods; i += 1) {
    const name = `${replicaSet}-${podSuffix(i)}`;
    names.push(name);
    kube.upsert(
      'pods',
      podObject({
        namespace: spec.namespace,
        name,
        uid: `uid-${spec.namespace}-${name}`,
        node: ['node-a', 'node-b', 'node-c'][i % 3]!,
        serviceAccount: `${spec.deployment}-runner`,
        containers: [{ name: 'app', image: spec.image }],
        owner: { kind: 'ReplicaSet', name: replicaSet },
        labels: { app: spec.deployment, 'pod-template-hash': hash },
      }),
    );
  }
  return names;
}

function podSuffix(i: number): string {
  const letters = 'bcdfghjklmnpqrstvwxz';
  return `${letters[i % 20]}${letters[Math.floor(i / 20) % 20]}x4q`;
}

/** A kubelet event on a pod's container `app`, as the kubelet reports it (core/v1 Event). */
export function kubeletEvent(spec: {
  namespace: string;
  pod: string;
  name: string;
  type: 'Warning' | 'Normal';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  node?: string;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: spec.name, namespace: spec.namespace },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: spec.pod,
      namespace: spec.namespace,
      uid: `uid-${spec.namespace}-${spec.pod}`,
      fieldPath: 'spec.containers{app}',
    },
    reason: spec.reason,
    message: spec.message,
    type: spec.type,
    count: spec.count,
    firstTimestamp: spec.firstTimestamp,
    lastTimestamp: spec.lastTimestamp,
    source: { component: 'kubelet', host: spec.node ?? 'node-a' },
    reportingComponent: 'kubelet',
    reportingInstance: spec.node ?? 'node-a',
  };
}

/** Kubernetes event timestamps: RFC 3339, whole seconds. */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
