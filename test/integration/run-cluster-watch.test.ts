import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeApi, loadKubeConfig } from '../../lib/adapters/kubernetes.ts';
import { SqliteIncidentStore } from '../../lib/adapters/sqlite-store.ts';
import { parseNotice } from '../../lib/incidents/notice.ts';
import { watchCluster } from '../../lib/run/cluster-watch.ts';
import { InProcessPipeline } from '../../lib/run/pipeline.ts';
import { recordingLogger } from '../support/envelopes.ts';
import {
  eventObject,
  type KubeApiStandIn,
  nodeObject,
  podObject,
  startKubeApi,
} from '../support/kube-api.ts';

/**
 * The cluster half of `pullwatch run`: the forwarder's own code watching the Kubernetes API stand-in, sending
 * into the in-process queue, the Lambda's ingest core behind it — live, on the wall clock.
 */
const silent = { debug() {}, info() {}, warn() {}, error() {} };
let api: KubeApiStandIn;
let dir: string;
let store: SqliteIncidentStore;

beforeEach(async () => {
  api = await startKubeApi({ bookmarkIntervalMs: 100 });
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-run-watch-'));
  store = new SqliteIncidentStore({ path: join(dir, 'incidents.db') });
  api.upsert('nodes', nodeObject('node-a'));
  api.upsert(
    'pods',
    podObject({
      namespace: 'shop',
      name: 'api-7d9f8c6b5-x2k4p',
      uid: 'pod-uid-1',
      owner: { kind: 'ReplicaSet', name: 'api-7d9f8c6b5' },
      labels: { 'pod-template-hash': '7d9f8c6b5' },
      containers: [{ name: 'app', image: 'registry.example.com/team/api:v9' }],
    }),
  );
});

afterEach(async () => {
  await api.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const failure = (count: number, name = 'api-7d9f8c6b5-x2k4p.17a1') =>
  eventObject({
    namespace: 'shop',
    pod: 'api-7d9f8c6b5-x2k4p',
    podUid: 'pod-uid-1',
    name,
    reason: 'Failed',
    count,
    message:
      'Failed to pull image "registry.example.com/team/api:v9": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/team/api:v9": failed to resolve reference "registry.example.com/team/api:v9": registry.example.com/team/api:v9: not found',
  });

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watching a cluster in-process', () => {
  it('events already there and events that arrive become incidents; stop drains and checkpoints', async () => {
    api.upsert('events', failure(1));
    const notices: Array<{ action: string; namespace: string | null; cluster: string }> = [];
    const pipeline = new InProcessPipeline({
      store,
      clock: Date.now,
      logger: recordingLogger().logger,
      notify: async (records) => {
        for (const record of records) notices.push(parseNotice(record.body));
        return { failed: [] };
      },
    });
    const watch = watchCluster({
      kube: createKubeApi(loadKubeConfig({ path: api.kubeconfigPath })),
      pipeline,
      clusterName: 'standin',
      namespaces: [],
      checkpointPath: join(dir, 'checkpoint.json'),
      logger: silent,
      env: {},
    });
    await watch.forwarder.ready;
    await until(() => notices.length === 1);
    expect(notices[0]).toMatchObject({ action: 'open', namespace: 'shop', cluster: 'standin' });

    // A repeat (MODIFIED, count 2) and a second pod's failure arrive over the watch.
    api.upsert('events', failure(2));
    await until(() => pipeline.stats.events >= 2);

    const stopped = await watch.stop(5_000);
    expect(stopped.drained).toBe(true);
    expect(stopped.forwarder.forwarded).toBeGreaterThanOrEqual(2);
    expect(pipeline.depth).toBe(0);
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(true);
    const incident = await store.get(
      (await store.listActive()).incidents.find((i) => i.kind === 'workload')?.key ?? '',
    );
    expect(incident).toMatchObject({
      cause: 'tag_not_found',
      count: 2,
      cluster: 'standin',
      namespace: 'shop',
      workload: { kind: 'Deployment', name: 'api' },
    });
  });

  it('--namespace narrows the watch to those namespaces', async () => {
    const pipeline = new InProcessPipeline({
      store,
      clock: Date.now,
      logger: recordingLogger().logger,
      notify: async () => ({ failed: [] }),
    });
    const watch = watchCluster({
      kube: createKubeApi(loadKubeConfig({ path: api.kubeconfigPath })),
      pipeline,
      clusterName: 'standin',
      namespaces: ['shop'],
      checkpointPath: join(dir, 'checkpoint.json'),
      logger: silent,
      env: {},
    });
    await watch.forwarder.ready;
    await watch.stop(2_000);
    const eventRequests = api.requests.filter((r) => r.resource === 'events');
    expect(eventRequests.length).toBeGreaterThan(0);
    for (const request of eventRequests) expect(request.namespace).toBe('shop');
  });
});
