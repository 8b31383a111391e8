import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeApi, loadKubeConfig } from '../../lib/adapters/kubernetes.ts';
import type { KubeApi, KubeApiError } from '../../lib/forwarder/kube-port.ts';
import { eventObject, type KubeApiStandIn, secretObject, startKubeApi } from '../support/kube-api.ts';

/**
 * The Kubernetes adapter against the API stand-in: what @kubernetes/client-node 2.0.1 does with each kind of
 * answer, as the reflector relies on it.
 */
let api: KubeApiStandIn;
let kube: KubeApi;

beforeEach(async () => {
  api = await startKubeApi({ bookmarkIntervalMs: 50 });
  kube = createKubeApi(loadKubeConfig({ path: api.kubeconfigPath }));
});

afterEach(async () => {
  await api.close();
});

interface Recorded {
  lines: Array<{ type: string; object: unknown }>;
  done: Promise<KubeApiError | null>;
  abort(): void;
}

function watch(resourceVersion: string, inactivityMs = 10_000, timeoutSeconds = 60): Recorded {
  const lines: Recorded['lines'] = [];
  let resolveDone!: (error: KubeApiError | null) => void;
  const done = new Promise<KubeApiError | null>((resolve) => {
    resolveDone = resolve;
  });
  const handle = kube.watch(
    '/api/v1/events',
    { resourceVersion, allowWatchBookmarks: true, timeoutSeconds, inactivityMs },
    (type, object) => lines.push({ type, object }),
    resolveDone,
  );
  return { lines, done, abort: () => handle.abort() };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('Kubernetes adapter (@kubernetes/client-node 2.0.1)', () => {
  it('lists in pages, as raw JSON with string timestamps, and reports the list resourceVersion', async () => {
    for (let i = 0; i < 5; i += 1)
      api.upsert('events', eventObject({ namespace: 'shop', pod: `p${i}`, reason: 'Failed', message: 'x' }));
    const first = await kube.list('/api/v1/events', { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.continueToken).not.toBeNull();
    expect(typeof (first.items[0] as { lastTimestamp: unknown }).lastTimestamp).toBe('string');
    const rest = await kube.list('/api/v1/events', { limit: 10, continueToken: first.continueToken! });
    expect(rest.items).toHaveLength(3);
    expect(rest.continueToken).toBeNull();
    expect(first.resourceVersion).toBe(String(api.resourceVersion));
  });

  it('answers an expired continue token with a 410 error', async () => {
    for (let i = 0; i < 3; i += 1)
      api.upsert('events', eventObject({ namespace: 'shop', pod: `p${i}`, reason: 'Failed', message: 'x' }));
    const first = await kube.list('/api/v1/events', { limit: 1 });
    api.compact();
    await expect(
      kube.list('/api/v1/events', { limit: 1, continueToken: first.continueToken! }),
    ).rejects.toMatchObject({
      code: 'kube_gone',
      status: 410,
    });
  });

  it('delivers every watch line — objects, BOOKMARK and an in-stream ERROR 410 — to the line callback', async () => {
    const from = String(api.resourceVersion);
    api.upsert('events', eventObject({ namespace: 'shop', pod: 'a', reason: 'Failed', message: 'x' }));
    const recorded = watch(from);
    await until(() => recorded.lines.some((line) => line.type === 'BOOKMARK'));
    api.expireWatches();
    // The ERROR line reaches the callback; `done` only says the stream ended — not that it was a 410.
    expect(await recorded.done).toBeNull();
    expect(recorded.lines.map((line) => line.type)).toEqual(
      expect.arrayContaining(['ADDED', 'BOOKMARK', 'ERROR']),
    );
    expect(recorded.lines.at(-1)).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('reports a 410 HTTP status, a 403 and a 500 through `done`, with the status', async () => {
    api.options.goneAs = 'http';
    api.upsert('events', eventObject({ namespace: 'shop', pod: 'a', reason: 'Failed', message: 'x' }));
    api.compact();
    expect(await watch('1').done).toMatchObject({ code: 'kube_gone', status: 410 });
    api.forbid('events', true);
    expect(await watch(String(api.resourceVersion)).done).toMatchObject({
      code: 'kube_forbidden',
      status: 403,
    });
    await expect(kube.list('/api/v1/events', { limit: 5 })).rejects.toThrow(/HTTP 403: events is forbidden/);
    api.forbid('events', false);
    api.failNext('events', 500);
    expect(await watch(String(api.resourceVersion)).done).toMatchObject({
      code: 'kube_http_error',
      status: 500,
    });
  });

  it('ends a watch that receives no bytes for the inactivity time', async () => {
    api.options.silent = true;
    const recorded = watch(String(api.resourceVersion), 300);
    expect(await recorded.done).toMatchObject({ code: 'kube_timeout', status: null });
  });

  it('ends a watch cleanly when the server closes it (timeoutSeconds)', async () => {
    const recorded = watch(String(api.resourceVersion), 10_000, 1);
    expect(await recorded.done).toBeNull();
  });

  it('reports a connection cut mid-line as an error or an end, never as a half event', async () => {
    const recorded = watch(String(api.resourceVersion));
    await until(() => api.openWatches('events') === 1);
    await api.disconnectWatches({ midLine: true });
    api.upsert('events', eventObject({ namespace: 'shop', pod: 'cut', reason: 'Failed', message: 'x' }));
    await recorded.done;
    expect(recorded.lines.filter((line) => line.type !== 'BOOKMARK')).toEqual([]);
  });

  it('does not call `done` after abort', async () => {
    const recorded = watch(String(api.resourceVersion));
    await until(() => api.openWatches('events') === 1);
    recorded.abort();
    const outcome = await Promise.race([
      recorded.done,
      new Promise((resolve) => setTimeout(() => resolve('quiet'), 300)),
    ]);
    expect(outcome).toBe('quiet');
  });

  it('reads a secret by name, and answers null for a missing one', async () => {
    api.upsert(
      'secrets',
      secretObject('shop', 'regcred', 'kubernetes.io/dockerconfigjson', {
        '.dockerconfigjson': '{"auths":{}}',
      }),
    );
    const secret = await kube.getSecret('shop', 'regcred');
    expect(secret?.type).toBe('kubernetes.io/dockerconfigjson');
    expect(Buffer.from(secret!.data['.dockerconfigjson']!, 'base64').toString()).toBe('{"auths":{}}');
    expect(await kube.getSecret('shop', 'nope')).toBeNull();
  });

  it('refuses a plain-http server unless the kubeconfig says insecure-skip-tls-verify', async () => {
    const text = readFileSync(api.kubeconfigPath, 'utf8').replace(/\s*insecure-skip-tls-verify: true/, '');
    writeFileSync(api.kubeconfigPath, text);
    const strict = createKubeApi(loadKubeConfig({ path: api.kubeconfigPath }));
    await expect(strict.list('/api/v1/events', { limit: 1 })).rejects.toMatchObject({
      code: 'kube_config',
      message: expect.stringMatching(/HTTP protocol is not allowed/),
    });
  });
});
