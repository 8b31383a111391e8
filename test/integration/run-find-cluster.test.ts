import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openKubeConfig } from '../../lib/adapters/kubeconfig.ts';
import { findCluster } from '../../lib/run/find-cluster.ts';
import { type KubeApiStandIn, startKubeApi } from '../support/kube-api.ts';

/**
 * How `pullwatch run` decides whether there is a cluster to watch: kubeconfig discovery as kubectl does it,
 * and an API server that must answer a one-item events list within a few seconds — checked against the
 * Kubernetes API stand-in (answering, forbidding, hanging) and a port nobody listens on.
 */
let api: KubeApiStandIn;
let dir: string;
let closedPort: number;

function kubeconfig(name: string, server: string, context = 'dev'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: context, cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: context, user: { token: api.token } }],
      contexts: [{ name: context, context: { cluster: context, user: context } }],
      'current-context': context,
    }),
  );
  return path;
}

beforeAll(async () => {
  api = await startKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-run-kc-'));
  // A port that was free a moment ago: connecting to it is refused at once.
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubeconfig discovery', () => {
  it('no KUBECONFIG and no ~/.kube/config: not found, saying where it looked', () => {
    const lookup = openKubeConfig({ env: {}, home: join(dir, 'nohome') });
    expect(lookup).toEqual({
      found: false,
      reason: expect.stringMatching(
        /no kubeconfig \(KUBECONFIG is not set and .*nohome\/\.kube\/config does not exist\)/,
      ),
    });
  });

  it('KUBECONFIG naming only missing files: not found, naming them', () => {
    const lookup = openKubeConfig({ env: { KUBECONFIG: join(dir, 'missing') } });
    expect(lookup.found).toBe(false);
    expect(!lookup.found && lookup.reason).toMatch(/KUBECONFIG names .*missing, which does not exist/);
  });

  it('KUBECONFIG lists: missing entries are skipped as kubectl skips them, the rest merged', () => {
    const first = kubeconfig('first', api.url, 'first');
    const second = kubeconfig('second', api.url, 'second');
    const lookup = openKubeConfig({
      env: { KUBECONFIG: [join(dir, 'gone'), first, second].join(delimiter) },
    });
    expect(lookup).toMatchObject({ found: true, context: 'first', source: [first, second].join(delimiter) });
    expect(
      openKubeConfig({ env: { KUBECONFIG: [first, second].join(delimiter) }, context: 'second' }),
    ).toMatchObject({ found: true, context: 'second' });
  });

  it('~/.kube/config when KUBECONFIG is not set', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), readFileSync(api.kubeconfigPath));
    expect(openKubeConfig({ env: {}, home })).toMatchObject({
      found: true,
      context: 'standin',
      server: api.url,
    });
  });

  it('an unknown --context names the ones there are', () => {
    const lookup = openKubeConfig({ path: api.kubeconfigPath, context: 'prod' });
    expect(!lookup.found && lookup.reason).toMatch(/no context "prod" in .* \(it has: standin\)/);
  });

  it('a file that is not a kubeconfig is reported, not thrown', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [this is: not, valid');
    const lookup = openKubeConfig({ path: bad });
    expect(lookup.found).toBe(false);
    expect(!lookup.found && lookup.reason).toMatch(/cannot read the kubeconfig/);
  });
});

describe('is the API server usable?', () => {
  it('the stand-in answers: found, with a client that lists events', async () => {
    const cluster = await findCluster({ kubeconfig: api.kubeconfigPath, namespaces: [] });
    expect(cluster).toMatchObject({ found: true, context: 'standin', server: api.url });
    if (!cluster.found) return;
    await expect(cluster.kube.list('/api/v1/events', { limit: 1 })).resolves.toMatchObject({ items: [] });
    const asked = api.requests.filter((r) => r.resource === 'events' && !r.watch);
    expect(asked.at(-1)?.query.limit).toBe('1');
  });

  it('with --namespace it asks for that namespace only (cluster-wide may be forbidden)', async () => {
    api.forbid('events', false);
    const cluster = await findCluster({ kubeconfig: api.kubeconfigPath, namespaces: ['shop'] });
    expect(cluster.found).toBe(true);
    expect(api.requests.at(-1)).toMatchObject({ resource: 'events', namespace: 'shop' });
  });

  it('refused connection: not usable, with the reason', async () => {
    const cluster = await findCluster({
      kubeconfig: kubeconfig('refused', `http://127.0.0.1:${closedPort}`),
      namespaces: [],
    });
    expect(cluster.found).toBe(false);
    expect(!cluster.found && cluster.reason).toMatch(
      new RegExp(`API server of context "dev" \\(http://127.0.0.1:${closedPort}\\) is not usable`),
    );
  });

  it('a server that never answers: not usable after the timeout', async () => {
    api.options.hang = true;
    try {
      const cluster = await findCluster({ kubeconfig: api.kubeconfigPath, namespaces: [], timeoutMs: 300 });
      expect(cluster.found).toBe(false);
      expect(!cluster.found && cluster.reason).toMatch(/timed out|no answer within/);
    } finally {
      api.options.hang = false;
    }
  });

  it('403 on events: not usable, and the reason says so', async () => {
    api.forbid('events', true);
    try {
      const cluster = await findCluster({ kubeconfig: api.kubeconfigPath, namespaces: [] });
      expect(cluster.found).toBe(false);
      expect(!cluster.found && cluster.reason).toMatch(/403/);
    } finally {
      api.forbid('events', false);
    }
  });
});
