import type { AddressInfo } from 'node:net';
import { createServer, type Server, Socket } from 'node:net';
import { Registry } from 'prom-client';
import { createKubeApi, loadKubeConfig } from '../../lib/adapters/kubernetes.ts';
import { createSqsClient, SqsQueue } from '../../lib/adapters/sqs.ts';
import { type Envelope, parseQueueMessage } from '../../lib/events/envelope.ts';
import { type ForwarderConfigInput, parseForwarderConfig } from '../../lib/forwarder/config.ts';
import { type RunningForwarder, startForwarder } from '../../lib/forwarder/forwarder.ts';
import { type FauxqsService, type QueueHandle, TEST_CREDENTIALS, TEST_REGION } from '../support/fauxqs.ts';
import { eventObject, type KubeApiStandIn } from '../support/kube-api.ts';
import { recordingLogger } from '../unit/forwarder-support.ts';

/**
 * Shared wiring of the forwarder integration tests (not a test file): the Kubernetes API stand-in, the
 * SQS emulator behind a proxy the test can switch off, and a forwarder between them.
 */
export interface ToggleProxy {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 that can refuse and cut connections: "SQS unavailable". */
export async function startToggleProxy(targetPort: number): Promise<ToggleProxy> {
  let isDown = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(targetPort, '127.0.0.1', () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    up() {
      isDown = false;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Harness {
  forwarder: RunningForwarder;
  logger: ReturnType<typeof recordingLogger>;
  registry: Registry;
  queue: QueueHandle;
  proxy: ToggleProxy;
  /** Every envelope received from the queue so far, in arrival order. */
  received: Envelope[];
  /** Raw bodies received (to search for things that must never be sent). */
  bodies: string[];
  /** Receives until `predicate` holds over everything received (fails after `timeoutMs`). */
  waitFor(predicate: (received: Envelope[]) => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Pushes a marker pull failure and waits until it arrived and the forwarder's buffer is empty: everything
   * the watch delivered before it has been sent by then, so "nothing else arrived" is a real check.
   */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

let sentinelSeq = 0;

export function isSentinel(envelope: Envelope): boolean {
  return envelope.event.metadata?.namespace === 'sentinel';
}

export async function startHarness(
  api: KubeApiStandIn,
  sqs: FauxqsService,
  overrides: Partial<ForwarderConfigInput> = {},
): Promise<Harness> {
  const queue = await sqs.createQueue(`events-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  const proxy = await startToggleProxy(Number(new URL(sqs.endpoint).port));
  const client = createSqsClient({
    endpoint: proxy.url,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  const logger = recordingLogger();
  const registry = new Registry();
  const forwarder = startForwarder({
    kube: createKubeApi(loadKubeConfig({ path: api.kubeconfigPath })),
    sender: new SqsQueue({ queueUrl: queue.url, client }),
    config: parseForwarderConfig({
      clusterName: 'it-cluster',
      lingerMs: 20,
      watchRetryBaseMs: 20,
      watchRetryMaxMs: 200,
      sendRetryBaseMs: 20,
      sendRetryMaxMs: 200,
      watchSilenceSeconds: 30,
      ...overrides,
    }),
    logger,
    metricsRegistry: registry,
  });
  const received: Envelope[] = [];
  const bodies: string[] = [];

  async function receiveOnce(): Promise<void> {
    const messages = await queue.queue.receive({ maxMessages: 10, waitSeconds: 0 });
    if (messages.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      return;
    }
    for (const message of messages) {
      bodies.push(message.body);
      for (const result of parseQueueMessage(message.body)) {
        if (!result.ok) throw result.error;
        received.push(result.envelope);
      }
    }
    await queue.queue.delete(messages.map((m) => m.receiptHandle));
  }

  async function waitFor(predicate: (all: Envelope[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(received)) {
      if (Date.now() > deadline) {
        throw new Error(
          `condition not met; received ${received.length} envelopes:\n${logger.text().slice(-3000)}`,
        );
      }
      await receiveOnce();
    }
  }

  return {
    forwarder,
    logger,
    registry,
    queue,
    proxy,
    received,
    bodies,
    waitFor,
    async settle() {
      const name = `sentinel-${++sentinelSeq}`;
      api.upsert(
        'events',
        eventObject({
          namespace: 'sentinel',
          pod: name,
          reason: 'Failed',
          message: 'Failed to pull image "s:1": x',
        }),
      );
      await waitFor((all) =>
        all.some((e) => 'involvedObject' in e.event && e.event.involvedObject.name === name),
      );
      while (forwarder.buffered() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await receiveOnce();
    },
    async stop() {
      await forwarder.stop(2000);
      client.destroy();
      await proxy.close();
    },
  };
}

/** The (reason, count) of every non-sentinel event envelope, in arrival order. */
export function observed(received: Envelope[]): string[] {
  return received
    .filter((e) => !isSentinel(e))
    .map((e) => {
      const event = e.event as {
        reason?: string | null;
        count?: number | null;
        metadata?: { name?: string | null } | null;
      };
      return `${e.kind}:${event.metadata?.name}:${event.reason}#${event.count}`;
    });
}
