import { collectDefaultMetrics, Registry } from 'prom-client';
import { createKubeApi, loadKubeConfig } from '../adapters/kubernetes.ts';
import { createSqsClient, SqsQueue } from '../adapters/sqs.ts';
import { fastJsonProtocol } from '../adapters/sqs-json-codec.ts';
import { errorMessage } from '../errors.ts';
import { createLogger } from '../runtime/logger.ts';
import { ForwarderConfigError, loadForwarderConfig } from './config.ts';
import { startForwarder } from './forwarder.ts';
import { startHealthServer } from './http.ts';
import { fromPowertools } from './logger.ts';

/**
 * The container's entry: settings from PULLWATCH_* variables, the Kubernetes API from the pod's service
 * account (or KUBECONFIG outside a cluster), SQS with the IRSA role, JSON logs on stdout. SIGTERM stops the
 * watches, flushes the buffer within PULLWATCH_SHUTDOWN_DEADLINE_SECONDS and exits 0.
 */
const logger = fromPowertools(createLogger('pullwatch-forwarder'));

function fail(message: string, code: number): never {
  logger.error(message);
  process.exit(code);
}

let config: ReturnType<typeof loadForwarderConfig>;
try {
  config = loadForwarderConfig(process.env);
  if (!config.queueUrl) throw new ForwarderConfigError('config_invalid', 'PULLWATCH_QUEUE_URL: required');
} catch (error) {
  fail(errorMessage(error), 2);
}

const registry = new Registry();
collectDefaultMetrics({ register: registry });

let kube: ReturnType<typeof createKubeApi>;
try {
  kube = createKubeApi(loadKubeConfig());
} catch (error) {
  fail(`cannot load the Kubernetes configuration: ${errorMessage(error)}`, 2);
}

// One SDK attempt per call: the sender's own loop retries only the failed entries, with jitter.
const sqs = createSqsClient({ endpoint: config.sqsEndpoint, maxAttempts: 1 }, fastJsonProtocol());
const forwarder = startForwarder({
  kube,
  sender: new SqsQueue({ queueUrl: config.queueUrl!, client: sqs }),
  config,
  logger,
  metricsRegistry: registry,
});

const server = await startHealthServer({
  host: config.httpHost,
  port: config.httpPort,
  registry,
  isReady: forwarder.isReady,
}).catch((error: unknown) =>
  fail(`cannot listen on ${config.httpHost}:${config.httpPort}: ${errorMessage(error)}`, 1),
);
logger.info('forwarder started', {
  cluster: config.clusterName,
  http: `${config.httpHost}:${server.port}`,
  queueUrl: config.queueUrl,
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info('shutting down', { signal, deadlineSeconds: config.shutdownDeadlineSeconds });
  const report = await forwarder.stop(config.shutdownDeadlineSeconds * 1000);
  await server.close();
  sqs.destroy();
  logger.info('shutdown complete', { ...report });
  process.exit(0);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (reason) => {
  logger.error('unhandled rejection', { error: errorMessage(reason) });
});
