import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildForwarder, FORWARDER_NODE_FLAGS, FORWARDER_RUNTIME_ENV } from '../../infra/forwarder/build.ts';
import { parseQueueMessage } from '../../lib/events/envelope.ts';
import { type FauxqsService, startFauxqs, TEST_CREDENTIALS, TEST_REGION } from '../support/fauxqs.ts';
import { eventObject, type KubeApiStandIn, nodeObject, startKubeApi } from '../support/kube-api.ts';

const MAIN = fileURLToPath(new URL('../../lib/forwarder/main.ts', import.meta.url));

let sqs: FauxqsService;
let api: KubeApiStandIn;
let child: ChildProcess | null = null;

interface Run {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<number | null>;
  waitForLog(message: string): Promise<Record<string, unknown>>;
}

function run(env: Record<string, string>, entry: string[] = [MAIN]): Run {
  const proc = spawn(process.execPath, entry, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      AWS_REGION: TEST_REGION,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      // Every line on stdout is a JSON log record.
      logs.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const wake of waiters.splice(0)) wake();
  });
  proc.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    child: proc,
    logs,
    stderr,
    exited,
    async waitForLog(message) {
      for (;;) {
        const found = logs.find((log) => log.message === message);
        if (found) return found;
        if (proc.exitCode !== null)
          throw new Error(`exited ${proc.exitCode}: ${stderr.join('')} ${JSON.stringify(logs)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

beforeAll(async () => {
  sqs = await startFauxqs();
});

afterAll(async () => {
  await sqs.stop();
});

beforeEach(async () => {
  api = await startKubeApi();
  api.upsert('nodes', nodeObject('node-a'));
});

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  await api.close();
});

describe('forwarder container entry (lib/forwarder/main.ts)', () => {
  it('serves health, readiness and metrics, and on SIGTERM flushes the buffer and exits 0', async () => {
    const queue = await sqs.createQueue(`main-${Date.now()}`);
    const forwarder = run({
      PULLWATCH_CLUSTER: 'main-test',
      PULLWATCH_QUEUE_URL: queue.url,
      PULLWATCH_SQS_ENDPOINT: sqs.endpoint,
      KUBECONFIG: api.kubeconfigPath,
      PULLWATCH_HTTP_PORT: '0',
      // Nothing leaves before shutdown unless the flush sends it.
      PULLWATCH_LINGER_MS: '60000',
    });
    const started = await forwarder.waitForLog('forwarder started');
    const base = `http://${started.http as string}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await forwarder.waitForLog('forwarder ready');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    for (let i = 0; i < 3; i += 1) {
      api.upsert(
        'events',
        eventObject({
          namespace: 'shop',
          pod: `p${i}`,
          reason: 'Failed',
          message: 'Failed to pull image "x:1": not found',
        }),
      );
    }
    let metrics = '';
    while (!metrics.includes('pullwatch_forwarder_events_enqueued_total{kind="event"} 3')) {
      metrics = await (await fetch(`${base}/metrics`)).text();
    }
    for (const name of [
      'pullwatch_forwarder_events_seen_total',
      'pullwatch_forwarder_buffer_events 3',
      'pullwatch_forwarder_watch_restarts_total',
      'pullwatch_forwarder_send_duration_seconds',
      'pullwatch_forwarder_synced{resource="events"} 1',
      'process_resident_memory_bytes',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(await queue.queue.receive({ maxMessages: 10 })).toEqual([]);

    forwarder.child.kill('SIGTERM');
    expect(await forwarder.exited).toBe(0);
    const done = forwarder.logs.find((log) => log.message === 'shutdown complete');
    expect(done).toMatchObject({
      drained: true,
      abandoned: 0,
      forwarded: 3,
      level: 'INFO',
      service: 'pullwatch-forwarder',
    });
    const messages = await queue.queue.receive({ maxMessages: 10 });
    const clusters = messages.flatMap((m) =>
      parseQueueMessage(m.body).map((r) => (r.ok ? r.envelope.cluster : 'invalid')),
    );
    expect(clusters).toEqual(['main-test', 'main-test', 'main-test']);
  });

  it('the bundle the image runs (esbuild, no node_modules) starts, forwards and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pullwatch-bundle-'));
    try {
      const bundle = join(dir, 'forwarder.mjs');
      await buildForwarder(bundle);
      const queue = await sqs.createQueue(`bundle-${Date.now()}`);
      const forwarder = run(
        {
          PULLWATCH_CLUSTER: 'bundle-test',
          PULLWATCH_QUEUE_URL: queue.url,
          PULLWATCH_SQS_ENDPOINT: sqs.endpoint,
          KUBECONFIG: api.kubeconfigPath,
          PULLWATCH_HTTP_PORT: '0',
          PULLWATCH_LINGER_MS: '10',
          ...FORWARDER_RUNTIME_ENV,
        },
        [...FORWARDER_NODE_FLAGS, bundle],
      );
      await forwarder.waitForLog('forwarder ready');
      api.upsert(
        'events',
        eventObject({
          namespace: 'shop',
          pod: 'api',
          type: 'Normal',
          reason: 'BackOff',
          message: 'Back-off pulling image "x:1"',
        }),
      );
      let messages: Awaited<ReturnType<typeof queue.queue.receive>> = [];
      while (messages.length === 0) messages = await queue.queue.receive({ maxMessages: 10, waitSeconds: 1 });
      const [result] = parseQueueMessage(messages[0]!.body);
      expect(result?.ok && result.envelope.cluster).toBe('bundle-test');
      forwarder.child.kill('SIGTERM');
      expect(await forwarder.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad setting and names the variable', async () => {
    const forwarder = run({
      PULLWATCH_CLUSTER: 'c',
      PULLWATCH_QUEUE_URL: 'https://sqs.example/q',
      PULLWATCH_LINGER_MS: 'soon',
    });
    expect(await forwarder.exited).toBe(2);
    // Errors are JSON records on stderr.
    const error = JSON.parse(forwarder.stderr.join('').trim().split('\n')[0]!);
    expect(error).toMatchObject({
      level: 'ERROR',
      message: 'PULLWATCH_LINGER_MS: expected an integer, got "soon"',
    });
  });

  it('refuses to start without a queue', async () => {
    const forwarder = run({ PULLWATCH_CLUSTER: 'c', KUBECONFIG: api.kubeconfigPath });
    expect(await forwarder.exited).toBe(2);
    expect(forwarder.stderr.join('')).toContain('PULLWATCH_QUEUE_URL: required');
  });
});
