import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CAUSE_WORDS } from '../../lib/notify/cause-words.ts';
import { type FauxqsService, type QueueHandle, startFauxqs, TEST_CREDENTIALS } from '../support/fauxqs.ts';
import {
  eventObject,
  type KubeApiStandIn,
  nodeObject,
  podObject,
  startKubeApi,
} from '../support/kube-api.ts';
import { type SlackApiStandIn, startSlackApi } from '../support/slack-api.ts';

/**
 * `pullwatch run` as a newcomer runs it: the real CLI (bin/pullwatch.js) in its own process, with no cluster,
 * with an unreachable one, and against the Kubernetes API stand-in; its stdout and exit status are what is
 * asserted. Every spawned process is preloaded with test/support/no-internet.ts, so the live registry checks
 * fail at DNS on any machine, as they do here.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/pullwatch.js');
const NO_INTERNET = join(ROOT, 'test/support/no-internet.ts');
const SLOW = 90_000;

let dir: string;
let home: string;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** `stdin`: text to send and close; null keeps it open (a pipe that has not ended). */
function start(args: string[], env: Record<string, string> = {}, stdin?: string | null): Run {
  const child = spawn(process.execPath, [BIN, 'run', ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      KUBECONFIG: join(dir, 'no-such-kubeconfig'),
      NODE_OPTIONS: `--import ${NO_INTERNET}`,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  if (typeof stdin === 'string') child.stdin?.end(stdin);
  else if (stdin === undefined) child.stdin?.end();
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function run(args: string[], env: Record<string, string> = {}, stdin?: string) {
  const process = start(args, env, stdin);
  const timer = setTimeout(() => process.child.kill('SIGKILL'), SLOW - 5_000);
  const code = await process.exit;
  clearTimeout(timer);
  return { code, stdout: process.stdout(), stderr: process.stderr() };
}

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Full alert blocks start with the severity badge; the headline follows it. */
function blocks(stdout: string): string[] {
  return stdout.split('\n').filter((line) => /^● (CRITICAL|WARNING|INFO) {2}/.test(line));
}

const STORY: Array<[string, RegExp]> = [
  ['tag missing', new RegExp(`shop/checkout-api: ${CAUSE_WORDS.tag_not_found.title}`)],
  ['private image', new RegExp(`billing/invoice-worker: ${CAUSE_WORDS.repo_not_found_or_denied.title}`)],
  ['registry TLS', new RegExp(`harbor\\.example\\.com: ${CAUSE_WORDS.tls.title}`)],
  ['rate limit', new RegExp(`docker\\.io: ${CAUSE_WORDS.rate_limited.title}`)],
  ['platform', new RegExp(`ml/feature-store: ${CAUSE_WORDS.platform_mismatch.title}`)],
  ['invalid name', new RegExp(`tools/debug-shell: ${CAUSE_WORDS.invalid_reference.title}`)],
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-run-cli-'));
  home = join(dir, 'home');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('pullwatch run with no cluster', () => {
  it(
    'says why, replays the bundled example, and shows one alert per problem and the resolution',
    async () => {
      const { code, stdout, stderr } = await run([]);
      expect(code).toBe(0);
      expect(stderr).toMatch(/No cluster to watch: no kubeconfig: KUBECONFIG names .*no-such-kubeconfig/);
      expect(stderr).toMatch(/Replaying examples\/demo-events\.ndjson|Replaying .*demo-events\.ndjson/);
      expect(stderr).toMatch(/That was a replay of a recorded example/);
      const headlines = blocks(stdout);
      expect(headlines).toHaveLength(STORY.length);
      for (const [name, pattern] of STORY) {
        expect(
          headlines.filter((line) => pattern.test(line)),
          name,
        ).toHaveLength(1);
      }
      expect(stdout).toMatch(/RESOLVED shop\/checkout-api: .* the image now pulls/);
      // The registry incident ends up naming all four workloads, in three namespaces.
      expect(stdout).toMatch(/harbor\.example\.com: .* — 4 workloads/);
      for (const workload of [
        'payments/ledger-api',
        'payments/fraud-scorer',
        'search/indexer',
        'data/nightly-export',
      ]) {
        expect(stdout).toContain(workload);
      }
      // The live check ran, could not resolve the fictional hosts, and said so.
      expect(stdout).toMatch(/the check stopped earlier: resolving registry\.example\.com: no such host/);
      // Not a terminal: no colour.
      expect(stdout).not.toContain('\u001b[');
    },
    SLOW,
  );

  it(
    '--json prints one parseable object per alert: one opening per incident, the four workloads, the resolution',
    async () => {
      const { code, stdout } = await run(['--json', '--state', join(dir, 'json-state')]);
      expect(code).toBe(0);
      const records = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const byIncident = new Map<string, Array<Record<string, unknown>>>();
      for (const record of records) {
        const list = byIncident.get(record.incident as string) ?? [];
        list.push(record);
        byIncident.set(record.incident as string, list);
      }
      expect(byIncident.size).toBe(6);
      expect(records.every((r) => r.replay === true)).toBe(true);
      for (const list of byIncident.values()) {
        expect(list.filter((r) => r.news === 'opened')).toHaveLength(1);
        expect(list[0]?.news).toBe('opened');
        expect((list[0]!.remediation as unknown[]).length).toBeGreaterThan(0);
        expect(list[0]?.diagnosis).toMatchObject({
          checkedFrom: expect.stringMatching(/^pullwatch run on /),
        });
      }
      const kinds = [...byIncident.values()].map((list) => `${list[0]?.kind}:${list[0]?.cause}`).sort();
      expect(kinds).toEqual([
        'registry:rate_limited',
        'registry:tls',
        'workload:invalid_reference',
        'workload:platform_mismatch',
        'workload:repo_not_found_or_denied',
        'workload:tag_not_found',
      ]);
      const tls = [...byIncident.values()].find((list) => list[0]?.cause === 'tls')!.at(-1)!;
      expect(tls.affectedTotal).toBe(4);
      const namespaces = new Set((tls.affected as Array<{ namespace: string }>).map((a) => a.namespace));
      expect(namespaces).toEqual(new Set(['payments', 'search', 'data']));
      const resolved = records.filter((r) => r.news === 'resolved');
      expect(resolved).toHaveLength(1);
      expect(resolved[0]).toMatchObject({ state: 'resolved', namespace: 'shop', resolvedBy: 'pulled' });
      // Times are the story's own: the replay did not sleep through twenty minutes.
      expect(Date.parse(resolved[0]?.at as string)).toBeLessThan(Date.parse('2026-03-10T09:30:00Z'));
    },
    SLOW,
  );

  it(
    'a kubeconfig whose API server does not answer: the reason, then the example',
    async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const kubeconfig = join(dir, 'unreachable');
      writeFileSync(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'gone',
              cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
            },
          ],
          users: [{ name: 'gone', user: { token: 't' } }],
          contexts: [{ name: 'laptop', context: { cluster: 'gone', user: 'gone' } }],
          'current-context': 'laptop',
        }),
      );
      const implicit = await run(['--state', join(dir, 'unreachable-state')], { KUBECONFIG: kubeconfig });
      expect(implicit.code).toBe(0);
      expect(implicit.stderr).toMatch(
        /No cluster to watch: the API server of context "laptop" .* is not usable/,
      );
      expect(blocks(implicit.stdout)).toHaveLength(STORY.length);

      // Asked for by name, an unreachable cluster is an error, not a demo.
      const explicit = await run(['--kubeconfig', kubeconfig]);
      expect(explicit.code).toBe(1);
      expect(explicit.stderr).toMatch(/cannot watch the cluster: the API server of context "laptop"/);
      expect(explicit.stdout).toBe('');
    },
    SLOW,
  );
});

describe('pullwatch run with Slack and SNS configured by the environment', () => {
  let slack: SlackApiStandIn;
  let aws: FauxqsService;
  let topicArn: string;
  let subscriber: QueueHandle;

  beforeAll(async () => {
    slack = await startSlackApi();
    aws = await startFauxqs();
    topicArn = await aws.createTopic('pull-alerts');
    subscriber = await aws.createQueue('pull-alerts-reader');
    await aws.subscribeQueue(topicArn, subscriber.arn, { raw: true });
  });

  afterAll(async () => {
    await slack?.close();
    await aws?.stop();
  });

  it(
    'the same alerts reach the terminal, one living Slack message per problem, and SNS for each piece of news',
    async () => {
      const config = join(dir, 'with-slack.yml');
      writeFileSync(config, stringify({ slack: { apiUrl: slack.url } }));
      const { code, stdout, stderr } = await run(['--config', config, '--state', join(dir, 'slack-state')], {
        SLACK_BOT_TOKEN: slack.token,
        SLACK_CHANNEL: 'C0ALERTS01',
        PULLWATCH_SNS_TOPIC_ARN: topicArn,
        SNS_ENDPOINT: aws.endpoint,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      });
      expect(code).toBe(0);
      expect(stderr).toContain(`Alerts go to the terminal, Slack (C0ALERTS01), SNS (${topicArn})`);
      expect(blocks(stdout)).toHaveLength(STORY.length);

      const posts = slack.channel('C0ALERTS01').filter((message) => message.threadTs === null);
      expect(posts).toHaveLength(STORY.length);
      expect(slack.calls.filter((c) => c.method === 'chat.update').length).toBeGreaterThan(0);
      expect(slack.calls.every((c) => c.auth === 'ok' && c.outcome === 'ok')).toBe(true);
      const checkout = posts.find((post) => post.text.includes('shop/checkout-api'));
      expect(checkout?.versions.at(-1)?.attachments).toEqual([expect.objectContaining({ color: '#2EB67D' })]);

      const published = [];
      for (let attempt = 0; attempt < 10 && published.length < STORY.length + 1; attempt += 1) {
        const batch = await subscriber.queue.receive({ maxMessages: 10, waitSeconds: 1 });
        published.push(...batch);
        if (batch.length > 0) await subscriber.queue.delete(batch.map((m) => m.receiptHandle));
      }
      // Opened ×6 and resolved ×1: repeats update Slack in place and publish nothing.
      expect(published).toHaveLength(STORY.length + 1);
    },
    SLOW,
  );
});

describe('pullwatch run against a cluster (the Kubernetes API stand-in)', () => {
  let api: KubeApiStandIn;

  beforeAll(async () => {
    api = await startKubeApi({ bookmarkIntervalMs: 200 });
    api.upsert('nodes', nodeObject('node-a'));
    api.upsert(
      'pods',
      podObject({
        namespace: 'shop',
        name: 'web-5c7d9f8b6-q2w4e',
        uid: 'pod-uid-web',
        owner: { kind: 'ReplicaSet', name: 'web-5c7d9f8b6' },
        labels: { 'pod-template-hash': '5c7d9f8b6' },
        containers: [{ name: 'web', image: 'registry.example.com/shop/web:3.1.0' }],
      }),
    );
    api.upsert(
      'events',
      eventObject({
        namespace: 'shop',
        pod: 'web-5c7d9f8b6-q2w4e',
        podUid: 'pod-uid-web',
        container: 'web',
        reason: 'Failed',
        message:
          'Failed to pull image "registry.example.com/shop/web:3.1.0": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/shop/web:3.1.0": failed to resolve reference "registry.example.com/shop/web:3.1.0": registry.example.com/shop/web:3.1.0: not found',
      }),
    );
  });

  afterAll(async () => {
    await api.close();
  });

  it(
    'watches through a generated kubeconfig, shows the alert, and stops cleanly on SIGTERM',
    async () => {
      const watch = start(['--state', join(dir, 'watch-state')], { KUBECONFIG: api.kubeconfigPath });
      await until(() => /shop\/web: Image tag not found/.test(watch.stdout()));
      expect(watch.stderr()).toMatch(
        /Watching context "standin" \(http:\/\/127\.0\.0\.1:\d+\) as cluster "standin"/,
      );
      expect(watch.stderr()).not.toMatch(/Replaying/);
      expect(blocks(watch.stdout())).toHaveLength(1);
      await until(() => /Listed the recent events: 1 problem/.test(watch.stderr()));

      // A repeat arriving over the watch is an update of the same alert, never a second one.
      api.upsert(
        'events',
        eventObject({
          namespace: 'shop',
          pod: 'web-5c7d9f8b6-q2w4e',
          podUid: 'pod-uid-web',
          container: 'web',
          reason: 'Failed',
          count: 2,
          name: 'web-5c7d9f8b6-q2w4e.second',
          message:
            'Failed to pull image "registry.example.com/shop/web:3.1.0": registry.example.com/shop/web:3.1.0: not found',
        }),
      );
      await until(() => api.requests.some((r) => r.resource === 'events' && r.watch));
      watch.child.kill('SIGTERM');
      expect(await watch.exit).toBe(0);
      expect(watch.stderr()).toMatch(/Stopped\. \d+ events handled, 1 alerts?/);
      expect(blocks(watch.stdout())).toHaveLength(1);
    },
    SLOW,
  );

  it(
    '--once lists what is failing now and exits; a second run with the same state does not announce it again',
    async () => {
      const state = join(dir, 'once-state');
      const first = await run(['--once', '--kubeconfig', api.kubeconfigPath, '--state', state]);
      expect(first.code).toBe(0);
      expect(blocks(first.stdout)).toHaveLength(1);
      expect(first.stdout).toMatch(/Still failing \(1\):/);
      const second = await run(['--once', '--kubeconfig', api.kubeconfigPath, '--state', state]);
      expect(second.code).toBe(0);
      expect(blocks(second.stdout)).toHaveLength(0);
      const fresh = await run(['--once', '--fresh', '--kubeconfig', api.kubeconfigPath, '--state', state]);
      expect(blocks(fresh.stdout)).toHaveLength(1);
    },
    SLOW,
  );
});

describe('pullwatch run input and usage errors', () => {
  it(
    '--replay -: bare Kubernetes Events from stdin; a bad line is reported with its number, the rest still alert',
    async () => {
      const event = eventObject({
        namespace: 'team',
        pod: 'api-6f5d4c3b2-abcde',
        reason: 'Failed',
        lastTimestamp: '2026-03-10T10:00:00Z',
        message:
          'Failed to pull image "registry.example.com/team/api:v2": failed to pull and unpack image "registry.example.com/team/api:v2": failed to resolve reference "registry.example.com/team/api:v2": registry.example.com/team/api:v2: not found',
      });
      const { code, stdout, stderr } = await run(
        ['--replay', '-', '--state', join(dir, 'stdin-state')],
        {},
        `{broken\n${JSON.stringify(event)}\n`,
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(/-:1: /);
      expect(blocks(stdout)).toHaveLength(1);
      // Without pod context the workload is the pod itself.
      expect(stdout).toMatch(/team\/api-6f5d4c3b2-abcde: Image tag not found/);
    },
    SLOW,
  );

  it.each([
    [['--bogus']],
    [['--namespace', 'Not_A_Namespace']],
    [['stray']],
    [['--replay', 'x.ndjson', '--kubeconfig', 'k']],
  ])(
    '%j → exit 2 with the usage',
    async (args) => {
      const { code, stdout, stderr } = await run(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/usage: pullwatch run \[options\]/);
      expect(stdout).toBe('');
    },
    SLOW,
  );

  it(
    'Ctrl-C in the middle of a replay from a pipe: what was read is shown, the summary printed, exit 0',
    async () => {
      const replay = start(['--replay', '-', '--state', join(dir, 'sigint-state')], {}, null);
      const event = eventObject({
        namespace: 'team',
        pod: 'api-6f5d4c3b2-fghij',
        reason: 'Failed',
        lastTimestamp: '2026-03-10T10:00:00Z',
        message:
          'Failed to pull image "registry.example.com/team/api:v3": registry.example.com/team/api:v3: not found',
      });
      replay.child.stdin?.write(`${JSON.stringify(event)}\n`);
      await until(() => blocks(replay.stdout()).length === 1);
      replay.child.kill('SIGINT');
      expect(await replay.exit).toBe(0);
      expect(replay.stderr()).toMatch(/Replay of - done in .*: 1 events/);
    },
    SLOW,
  );

  it(
    '--help: the usage on stdout, exit 0',
    async () => {
      const { code, stdout } = await run(['--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/usage: pullwatch run \[options\]/);
      expect(stdout).toMatch(/SLACK_BOT_TOKEN/);
    },
    SLOW,
  );

  it(
    'a replay file that cannot be read: exit 1 with the reason',
    async () => {
      const { code, stderr } = await run(['--replay', join(dir, 'missing.ndjson')]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/missing\.ndjson/);
    },
    SLOW,
  );
});
