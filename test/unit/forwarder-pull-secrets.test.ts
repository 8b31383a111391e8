import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { KubeApi, SecretData } from '../../lib/forwarder/kube-port.ts';
import { KubeApiError } from '../../lib/forwarder/kube-port.ts';
import { createForwarderMetrics } from '../../lib/forwarder/metrics.ts';
import { hostOfKey, PullSecretInspector, registryHostsFromSecret } from '../../lib/forwarder/pull-secrets.ts';
import { recordingLogger } from './forwarder-support.ts';

const PASSWORD = 'hunter2-S3cr3t-Pa55';
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const b64 = (text: string) => Buffer.from(text).toString('base64');

function dockerConfigJson(auths: Record<string, unknown>): SecretData {
  return {
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  };
}

const credentials = {
  username: 'robot',
  password: PASSWORD,
  auth: b64(`robot:${PASSWORD}`),
  identitytoken: TOKEN,
  email: 'robot@example.com',
};

describe('registryHostsFromSecret', () => {
  it('returns only the hosts of a .dockerconfigjson, normalised and sorted', () => {
    const hosts = registryHostsFromSecret(
      dockerConfigJson({
        'https://index.docker.io/v1/': credentials,
        'Registry.Example.com:5000': credentials,
        'ghcr.io': { auth: b64(`x:${TOKEN}`) },
        '123456789012.dkr.ecr.eu-west-1.amazonaws.com': credentials,
      }),
    );
    expect(hosts).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'ghcr.io',
      'index.docker.io',
      'registry.example.com:5000',
    ]);
    expect(JSON.stringify(hosts)).not.toMatch(/hunter2|ghp_|robot/);
  });

  it('reads the legacy .dockercfg form (hosts at the top level)', () => {
    const secret = {
      type: 'kubernetes.io/dockercfg',
      data: { '.dockercfg': b64(JSON.stringify({ 'quay.io': credentials })) },
    };
    expect(registryHostsFromSecret(secret)).toEqual(['quay.io']);
  });

  it('cuts user-info out of a key, so a credential written into the URL never leaves', () => {
    expect(hostOfKey(`https://robot:${PASSWORD}@registry.example.com/v2/`)).toBe('registry.example.com');
    const hosts = registryHostsFromSecret(
      dockerConfigJson({ [`robot:${PASSWORD}@registry.example.com`]: {} }),
    );
    expect(hosts).toEqual(['registry.example.com']);
  });

  it('reports no hosts for a secret kubelet would not use as a pull secret, or one it cannot parse', () => {
    expect(
      registryHostsFromSecret({
        type: 'Opaque',
        data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { 'a.io': {} } })) },
      }),
    ).toEqual([]);
    expect(
      registryHostsFromSecret({
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64(`{"auths": {"${PASSWORD}`) },
      }),
    ).toEqual([]);
    expect(registryHostsFromSecret({ type: 'kubernetes.io/dockerconfigjson', data: {} })).toEqual([]);
  });
});

function fakeKube(secrets: Record<string, SecretData | Error>): KubeApi & { gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    list: async () => ({ items: [], resourceVersion: '1', continueToken: null }),
    watch: () => ({ abort() {} }),
    async getSecret(namespace, name) {
      gets.push(`${namespace}/${name}`);
      const found = secrets[`${namespace}/${name}`];
      if (found instanceof Error) throw found;
      return found ?? null;
    },
  };
}

describe('PullSecretInspector', () => {
  it('reports existence, type and hosts, and nothing of the credentials — in its answer or its logs', async () => {
    const kube = fakeKube({
      'shop/regcred': dockerConfigJson({ 'registry.example.com': credentials }),
      'shop/broken': {
        type: 'kubernetes.io/dockerconfigjson',
        data: { '.dockerconfigjson': b64(`{"auths":{"x":${PASSWORD}`) },
      },
    });
    const logger = recordingLogger();
    const inspector = new PullSecretInspector({
      kube,
      now: () => 0,
      logger,
      metrics: createForwarderMetrics(new Registry()),
    });
    const result = await inspector.inspect('shop', ['regcred', 'missing', 'broken']);
    expect(result).toEqual([
      {
        name: 'regcred',
        exists: true,
        type: 'kubernetes.io/dockerconfigjson',
        registries: ['registry.example.com'],
      },
      { name: 'missing', exists: false, type: null, registries: [] },
      { name: 'broken', exists: true, type: 'kubernetes.io/dockerconfigjson', registries: [] },
    ]);
    const everything = JSON.stringify(result) + logger.text();
    for (const secret of [PASSWORD, TOKEN, credentials.auth, 'robot'])
      expect(everything).not.toContain(secret);
  });

  it('caches answers per secret, and shares one request between concurrent asks', async () => {
    const kube = fakeKube({ 'shop/regcred': dockerConfigJson({ 'a.io': {} }) });
    let now = 0;
    const inspector = new PullSecretInspector({
      kube,
      now: () => now,
      ttlMs: 1000,
      logger: recordingLogger(),
      metrics: createForwarderMetrics(new Registry()),
    });
    await Promise.all([inspector.inspect('shop', ['regcred']), inspector.inspect('shop', ['regcred'])]);
    await inspector.inspect('shop', ['regcred']);
    expect(kube.gets).toEqual(['shop/regcred']);
    now = 1001;
    await inspector.inspect('shop', ['regcred']);
    expect(kube.gets).toHaveLength(2);
  });

  it('leaves out a secret it may not read rather than claiming it does not exist, and logs the status', async () => {
    const kube = fakeKube({
      'shop/regcred': new KubeApiError('kube_forbidden', 'GET secrets: HTTP 403', { status: 403 }),
    });
    const logger = recordingLogger();
    const inspector = new PullSecretInspector({
      kube,
      now: () => 0,
      logger,
      metrics: createForwarderMetrics(new Registry()),
    });
    expect(await inspector.inspect('shop', ['regcred'])).toEqual([]);
    expect(logger.lines.find((line) => line.level === 'warn')?.extra.status).toBe(403);
  });
});
