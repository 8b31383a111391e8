import type { Registry } from 'prom-client';
import type { QueueSender } from '../queue/port.ts';
import { Checkpoint } from './checkpoint.ts';
import type { ForwarderConfig } from './config.ts';
import { Enricher } from './enrich.ts';
import type { KubeApi } from './kube-port.ts';
import type { ForwarderLogger } from './logger.ts';
import { createForwarderMetrics, type ForwarderMetrics } from './metrics.ts';
import { EventPipeline, type EventState } from './pipeline.ts';
import {
  type NodeInfo,
  type OwnerInfo,
  objectKey,
  type PodInfo,
  projectNode,
  projectOwner,
  projectPod,
} from './projections.ts';
import { PullSecretInspector } from './pull-secrets.ts';
import { Reflector, type ReflectorOptions } from './reflector.ts';
import { PullFailureMemory } from './resolutions.ts';
import { EnvelopeSender, type FlushReport } from './sender.ts';

/**
 * Composes the forwarder: informer caches (pods, nodes; ReplicaSets and Jobs when asked), the event
 * reflector(s) feeding the pipeline (filter → enrich → envelope), the bounded sender on a QueueSender, and
 * the checkpoint. Used by the container entry (main.ts) and, in-process, by `pullwatch run` and the e2e test.
 */
export interface ForwarderDeps {
  kube: KubeApi;
  sender: QueueSender;
  config: ForwarderConfig;
  logger: ForwarderLogger;
  /** The forwarder registers its metrics here (serve it on /metrics). */
  metricsRegistry: Registry;
  now?: () => number;
  random?: () => number;
}

export interface StopReport extends FlushReport {
  /** Envelopes acknowledged by the queue since the start. */
  forwarded: number;
}

export interface RunningForwarder {
  /** Resolves once every cache and event watch has completed its first list. */
  ready: Promise<void>;
  isReady(): boolean;
  /** Stops watching, flushes the buffer within the deadline, saves the checkpoint. */
  stop(deadlineMs?: number): Promise<StopReport>;
  readonly metrics: ForwarderMetrics;
  /** Envelopes buffered or in flight. */
  buffered(): number;
}

const CACHE_SYNC_WAIT_MS = 30_000;

function paths(
  namespaces: readonly string[],
  group: string,
  resource: string,
): Array<{ ns: string | null; path: string }> {
  const prefix = group === '' ? '/api/v1' : `/apis/${group}`;
  if (namespaces.length === 0) return [{ ns: null, path: `${prefix}/${resource}` }];
  return namespaces.map((ns) => ({ ns, path: `${prefix}/namespaces/${encodeURIComponent(ns)}/${resource}` }));
}

export function startForwarder(deps: ForwarderDeps): RunningForwarder {
  const { kube, config, logger } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const metrics = createForwarderMetrics(deps.metricsRegistry);
  let forwarded = 0;

  const checkpoint = new Checkpoint({ path: config.checkpointPath ?? null, logger, now });
  checkpoint.load();

  const sender = new EnvelopeSender({
    queue: deps.sender,
    lingerMs: config.lingerMs,
    maxEvents: config.bufferMaxEvents,
    maxBytes: config.bufferMaxBytes,
    concurrency: config.sendConcurrency,
    retry: { baseMs: config.sendRetryBaseMs, maxMs: config.sendRetryMaxMs },
    pack: config.pack,
    packMaxBytes: config.packMaxBytes,
    now,
    random,
    logger,
    metrics,
    onAcknowledged: (entry) => {
      forwarded += 1;
      if (entry.uid !== null && entry.observation !== null)
        checkpoint.acknowledged(entry.uid, entry.observation);
    },
  });

  const common = {
    kube,
    pageSize: config.listPageSize,
    silenceMs: config.watchSilenceSeconds * 1000,
    timeoutSeconds: config.watchTimeoutSeconds,
    retry: { baseMs: config.watchRetryBaseMs, maxMs: config.watchRetryMaxMs },
    random,
    now,
    logger,
    metrics,
  } satisfies Partial<ReflectorOptions<unknown>>;

  const byNamespace = <T>(group: string, resource: string, project: (o: unknown) => T | null) => {
    const reflectors = paths(config.namespaces, group, resource).map(
      ({ ns, path }) =>
        [ns, new Reflector<T>({ ...common, resource, path, key: objectKey, project })] as const,
    );
    const index = new Map(reflectors);
    const lookup = (namespace: string, name: string): T | undefined =>
      (index.get(null) ?? index.get(namespace))?.get(`${namespace}/${name}`);
    return { reflectors: reflectors.map(([, reflector]) => reflector), lookup };
  };

  const pods = byNamespace<PodInfo>('', 'pods', projectPod);
  const nodes = new Reflector<NodeInfo>({
    ...common,
    resource: 'nodes',
    path: '/api/v1/nodes',
    key: objectKey,
    project: projectNode,
  });
  const replicaSets = config.watchWorkloads
    ? byNamespace<OwnerInfo>('apps/v1', 'replicasets', projectOwner)
    : null;
  const jobs = config.watchWorkloads ? byNamespace<OwnerInfo>('batch/v1', 'jobs', projectOwner) : null;

  const enricher = new Enricher({
    pod: pods.lookup,
    node: (name) => nodes.get(`/${name}`),
    replicaSet: replicaSets?.lookup,
    job: jobs?.lookup,
    secrets: config.inspectPullSecrets ? new PullSecretInspector({ kube, now, logger, metrics }) : undefined,
    now,
  });

  const pipeline = new EventPipeline({
    cluster: config.clusterName,
    filter: {
      excludeNamespaces: new Set(config.excludeNamespaces),
      includeReasons: new Set(config.includeReasons),
      excludeReasons: new Set(config.excludeReasons),
      forwardAllWarnings: config.forwardAllWarnings,
    },
    enricher,
    sender,
    checkpoint,
    failures: new PullFailureMemory({ windowMs: config.resolveWindowSeconds * 1000 }),
    now,
    logger,
    metrics,
  });

  const events = paths(config.namespaces, '', 'events').map(
    ({ path }) =>
      new Reflector<EventState>({
        ...common,
        resource: 'events',
        path,
        key: pipeline.key,
        project: pipeline.project,
        changed: pipeline.changed,
        order: pipeline.order,
        handler: pipeline,
        countSeen: true,
      }),
  );

  const caches = [...pods.reflectors, nodes, ...(replicaSets?.reflectors ?? []), ...(jobs?.reflectors ?? [])];
  // Caches first, so the first events listed already find their pods.
  for (const reflector of caches) reflector.start();
  let ready = false;
  const cachesReady = Promise.all(caches.map((reflector) => reflector.firstSync));
  // Events without context beat no events: if a cache cannot sync (RBAC, API trouble), start anyway.
  let cacheWait: ReturnType<typeof setTimeout> | undefined;
  const eventsStarted = Promise.race([
    cachesReady.then(() => true),
    new Promise<boolean>((resolve) => {
      cacheWait = setTimeout(() => resolve(false), CACHE_SYNC_WAIT_MS);
    }),
  ]).then((synced) => {
    clearTimeout(cacheWait);
    if (!synced) {
      logger.warn('caches not synced yet; watching events without full context', {
        unsynced: caches.filter((reflector) => !reflector.synced).map((reflector) => reflector.resource),
      });
    }
    if (!stopping) for (const reflector of events) reflector.start();
  });
  // Ready means complete context too: a cache that cannot sync keeps the pod unready (and visible).
  const readyPromise = eventsStarted
    .then(() => Promise.all([cachesReady, ...events.map((reflector) => reflector.firstSync)]))
    .then(() => {
      ready = true;
      logger.info('forwarder ready', {
        cluster: config.clusterName,
        namespaces: config.namespaces.length > 0 ? config.namespaces : 'all',
      });
    });

  const checkpointTimer = setInterval(() => checkpoint.save(), config.checkpointIntervalSeconds * 1000);
  checkpointTimer.unref();

  let stopping = false;
  let stopped: Promise<StopReport> | null = null;

  return {
    ready: readyPromise,
    isReady: () => ready,
    metrics,
    buffered: () => sender.held,
    stop(deadlineMs = config.shutdownDeadlineSeconds * 1000) {
      stopped ??= (async () => {
        stopping = true;
        clearTimeout(cacheWait);
        const started = now();
        await Promise.all([...events, ...caches].map((reflector) => reflector.stop()));
        // Pull-secret lookups in progress still produce envelopes; give them part of the deadline.
        let pendingWait: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          pipeline.waitPending(),
          new Promise((resolve) => {
            pendingWait = setTimeout(resolve, deadlineMs / 2);
          }),
        ]);
        clearTimeout(pendingWait);
        const report = await sender.stop(Math.max(0, deadlineMs - (now() - started)));
        clearInterval(checkpointTimer);
        checkpoint.save();
        logger.info('forwarder stopped', { forwarded, ...report });
        return { ...report, forwarded };
      })();
      return stopped;
    },
  };
}
