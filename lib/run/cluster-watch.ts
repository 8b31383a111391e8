import { Registry } from 'prom-client';
import { errorMessage } from '../errors.ts';
import { loadForwarderConfig } from '../forwarder/config.ts';
import { type RunningForwarder, type StopReport, startForwarder } from '../forwarder/forwarder.ts';
import type { KubeApi } from '../forwarder/kube-port.ts';
import type { ForwarderLogger } from '../forwarder/logger.ts';
import type { InProcessPipeline } from './pipeline.ts';

/**
 * The cluster half of `pullwatch run`: the forwarder that runs in clusters (same code, same settings —
 * its PULLWATCH_* environment variables apply here too), sending into the in-process events queue, and a
 * loop that drains the pipeline whenever something arrives (and once a second, for retries).
 */
export interface ClusterWatch {
  forwarder: RunningForwarder;
  /** Stops watching, hands what the forwarder still holds to the pipeline, and drains it. */
  stop(deadlineMs: number): Promise<{ forwarder: StopReport; drained: boolean }>;
}

export interface ClusterWatchOptions {
  kube: KubeApi;
  pipeline: InProcessPipeline;
  clusterName: string;
  namespaces: readonly string[];
  checkpointPath: string;
  logger: ForwarderLogger;
  env: Record<string, string | undefined>;
}

const TICK_MS = 1_000;

export function watchCluster(options: ClusterWatchOptions): ClusterWatch {
  const env = options.env;
  const config = loadForwarderConfig({
    ...env,
    PULLWATCH_CLUSTER: options.clusterName,
    ...(options.namespaces.length > 0 ? { PULLWATCH_NAMESPACES: options.namespaces.join(',') } : {}),
    PULLWATCH_CHECKPOINT_PATH: options.checkpointPath,
    // Locally there is no SQS round trip to amortise: hand events over at once.
    PULLWATCH_LINGER_MS: env.PULLWATCH_LINGER_MS ?? '50',
    PULLWATCH_PACK: env.PULLWATCH_PACK ?? 'never',
    PULLWATCH_SHUTDOWN_DEADLINE_SECONDS: env.PULLWATCH_SHUTDOWN_DEADLINE_SECONDS ?? '5',
  });
  const forwarder = startForwarder({
    kube: options.kube,
    sender: options.pipeline.events,
    config,
    logger: options.logger,
    metricsRegistry: new Registry(),
  });

  let stopping = false;
  let wake: (() => void) | null = null;
  options.pipeline.events.onSend(() => wake?.());
  const loop = (async () => {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, TICK_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (stopping) break;
      try {
        await options.pipeline.drain();
      } catch (error) {
        // Failed messages are retried by the queue; the loop itself must survive anything.
        options.logger.error('draining the pipeline failed', { error: errorMessage(error) });
      }
    }
  })();

  return {
    forwarder,
    async stop(deadlineMs) {
      const started = Date.now();
      const report = await forwarder.stop(Math.max(1_000, deadlineMs / 2));
      stopping = true;
      wake?.();
      await loop;
      const drained = await options.pipeline.settle(Math.max(500, deadlineMs - (Date.now() - started)));
      return { forwarder: report, drained };
    },
  };
}
