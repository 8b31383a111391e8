import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type EnvelopeInput,
  type NodeContext,
  type PodContext,
  parseEnvelope,
} from '../lib/events/envelope.ts';

/**
 * Writes examples/demo-events.ndjson: twenty minutes of a fictional cluster (`acme-eu-1`) as the in-cluster
 * forwarder would have sent it — one envelope per forwarded observation of a kubelet event, with the pod and
 * node context. Deterministic: the same script always writes the same bytes (no clock, no Math.random), so
 * the file can be checked against it (test/unit/run-demo-data.test.ts).
 *
 *   npx node examples/make-demo.ts            # rewrite examples/demo-events.ndjson
 *   npx node examples/make-demo.ts --stdout   # print it instead
 *
 * The message wordings are real kubelet/containerd ones (test/fixtures/pull-failures.jsonl and
 * classify-extra.jsonl) with fictional names; registry hosts are under example.com, which never resolves
 * to a registry, so a live check honestly reports that it could not reach them.
 */
export const DEMO_CLUSTER = 'acme-eu-1';
export const DEMO_START = Date.parse('2026-03-10T09:00:00Z');
const MINUTE = 60_000;

interface Workload {
  namespace: string;
  kind: string;
  name: string;
  owner: { kind: string; name: string };
  container: string;
  image: string;
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccount?: string;
  pullSecrets?: string[];
}

interface Pod {
  workload: Workload;
  name: string;
  node: NodeContext;
}

interface Line {
  at: number;
  seq: number;
  envelope: EnvelopeInput;
}

const NODES = {
  a: { name: 'worker-a-7f2k', os: 'linux', arch: 'amd64' },
  b: { name: 'worker-b-9q4m', os: 'linux', arch: 'amd64' },
  c: { name: 'worker-c-3x8d', os: 'linux', arch: 'amd64' },
  d: { name: 'worker-d-5h1r', os: 'linux', arch: 'amd64' },
  arm: { name: 'arm-worker-1-v6n2', os: 'linux', arch: 'arm64' },
} satisfies Record<string, NodeContext>;

/** Stable pseudo-random ids: a hash of what they name. */
function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function uid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Kubernetes' random suffix alphabet (no vowels, no ambiguous characters). */
function suffix(seed: string, length: number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = createHash('sha256').update(seed).digest();
  return Array.from({ length }, (_, i) => alphabet[bytes[i]! % alphabet.length]).join('');
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Small deterministic offsets (pull durations, sync delays) so the story does not tick like a metronome. */
function jitter(seed: string, maxMs: number): number {
  return Number.parseInt(hex(seed, 8), 16) % maxMs;
}

class Story {
  readonly lines: Line[] = [];
  readonly #counts = new Map<string, { count: number; first: number; name: string; uid: string }>();

  /** One observation of a kubelet event about `pod`; repeats of the same event grow its count. */
  event(pod: Pod, at: number, reason: string, type: 'Warning' | 'Normal', message: string): void {
    this.#push(pod, at, reason, type, message, 'event');
  }

  /** A `Pulled` after failures: the forwarder sends it as a `resolved` envelope. */
  pulled(pod: Pod, at: number, message: string): void {
    this.#push(pod, at, 'Pulled', 'Normal', message, 'resolved');
  }

  #push(
    pod: Pod,
    at: number,
    reason: string,
    type: string,
    message: string,
    kind: 'event' | 'resolved',
  ): void {
    const id = `${pod.workload.namespace}/${pod.name}/${reason}/${message}`;
    const seen = this.#counts.get(id) ?? {
      count: 0,
      first: at,
      name: `${pod.name}.${hex(id, 16)}`,
      uid: uid(id),
    };
    seen.count += 1;
    this.#counts.set(id, seen);
    const w = pod.workload;
    const podContext: PodContext = {
      name: pod.name,
      uid: uid(`pod/${w.namespace}/${pod.name}`),
      namespace: w.namespace,
      serviceAccount: w.serviceAccount ?? 'default',
      nodeName: pod.node.name,
      imagePullSecrets: w.pullSecrets ?? [],
      containers: [{ name: w.container, image: w.image, imagePullPolicy: w.pullPolicy ?? 'IfNotPresent' }],
      owner: w.owner,
      workload: { kind: w.kind, name: w.name },
    };
    const envelope: EnvelopeInput = {
      v: 1,
      cluster: DEMO_CLUSTER,
      // The forwarder sends within its linger time (250 ms) of the watch event.
      forwardedAt: new Date(at + 250 + jitter(`fwd/${id}/${seen.count}`, 200)).toISOString(),
      kind,
      event: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: seen.name,
          namespace: w.namespace,
          uid: seen.uid,
          creationTimestamp: iso(seen.first),
        },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.name,
          namespace: w.namespace,
          uid: podContext.uid,
          fieldPath: `spec.containers{${w.container}}`,
        },
        reason,
        message,
        type,
        count: seen.count,
        firstTimestamp: iso(seen.first),
        lastTimestamp: iso(at),
        source: { component: 'kubelet', host: pod.node.name },
        reportingComponent: 'kubelet',
        reportingInstance: pod.node.name,
      },
      pod: podContext,
      node: pod.node,
    };
    this.lines.push({ at, seq: this.lines.length, envelope });
  }
}

/** kubelet's image back-off: 10 s doubling to 300 s between pull attempts. */
function attempts(start: number, end: number, seed: string): number[] {
  const out: number[] = [];
  let at = start;
  let delay = 10_000;
  while (at < end) {
    out.push(at);
    at += delay + jitter(`${seed}/${out.length}`, 4_000);
    delay = Math.min(delay * 2, 300_000);
  }
  return out;
}

/**
 * A pod whose pulls keep failing with `failure` from `start` until `end` (exclusive): each attempt is the
 * `Failed` event with the runtime's text, kubelet's `Error: ErrImagePull`, then `Back-off pulling image`
 * (a Normal event) and `Error: ImagePullBackOff` — the four lines `kubectl describe pod` shows, repeating.
 */
function failingPulls(story: Story, pod: Pod, start: number, end: number, failure: string): number[] {
  const image = pod.workload.image;
  const times = attempts(start, end, pod.name);
  for (const at of times) {
    const failed = at + 600 + jitter(`${pod.name}/${at}/pull`, 1_800);
    story.event(pod, failed, 'Failed', 'Warning', `Failed to pull image "${image}": ${failure}`);
    story.event(pod, failed, 'Failed', 'Warning', 'Error: ErrImagePull');
    const backoff = failed + 1_000 + jitter(`${pod.name}/${at}/backoff`, 2_000);
    story.event(pod, backoff, 'BackOff', 'Normal', `Back-off pulling image "${image}"`);
    story.event(pod, backoff, 'Failed', 'Warning', 'Error: ImagePullBackOff');
  }
  return times;
}

function deployment(
  namespace: string,
  name: string,
  image: string,
  extra: Partial<Workload> = {},
): Workload & { replicaSet: string } {
  const replicaSet = `${name}-${suffix(`${namespace}/${name}/${image}`, 10)}`;
  return {
    namespace,
    kind: 'Deployment',
    name,
    owner: { kind: 'ReplicaSet', name: replicaSet },
    container: name,
    image,
    replicaSet,
    ...extra,
  };
}

function podsOf(workload: Workload & { replicaSet: string }, nodes: NodeContext[]): Pod[] {
  return nodes.map((node, i) => ({
    workload,
    node,
    name: `${workload.replicaSet}-${suffix(`${workload.replicaSet}/${i}`, 5)}`,
  }));
}

export function buildDemo(): string[] {
  const story = new Story();
  const t = (minutes: number, seconds = 0) => DEMO_START + minutes * MINUTE + seconds * 1000;
  const end = t(20);

  // 1. 09:00 — shop/checkout-api is rolled out (Recreate strategy, 3 replicas) with tag v2.14.0, which CI
  //    never pushed. containerd's NotFound wording. At 09:13 the release job is re-run and pushes the tag; each
  //    pod's next attempt pulls it, which resolves the incident.
  const checkout = deployment('shop', 'checkout-api', 'registry.example.com/shop/checkout-api:v2.14.0', {
    serviceAccount: 'checkout-api',
    pullSecrets: ['registry-example-com'],
  });
  const checkoutPods = podsOf(checkout, [NODES.a, NODES.b, NODES.c]);
  const fixedAt = t(13, 5);
  checkoutPods.forEach((pod, i) => {
    const ref = checkout.image;
    const times = failingPulls(
      story,
      pod,
      t(0, 4 + i * 2),
      fixedAt,
      `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
    );
    // The next attempt after the fix (kubelet's back-off keeps its rhythm) succeeds.
    const gaps = times.slice(1).map((at, j) => at - times[j]!);
    const next = times.at(-1)! + Math.min((gaps.at(-1) ?? 10_000) * 2, 300_000);
    const pullMs = 2_100 + jitter(`${pod.name}/pulled`, 900);
    story.pulled(
      pod,
      next + pullMs,
      `Successfully pulled image "${ref}" in ${(pullMs / 1000).toFixed(3)}s (${(pullMs / 1000).toFixed(3)}s including waiting). Image size: 48213321 bytes.`,
    );
  });

  // 2. 09:01 — billing/invoice-worker uses a private Docker Hub repository without any pull secret:
  //    containerd's ambiguous "pull access denied … may require authorization" (Docker Hub answers the same
  //    for a repository that does not exist). `acme-corp` cannot be a Docker Hub account (no hyphens there).
  const invoice = deployment('billing', 'invoice-worker', 'acme-corp/invoice-worker:3.2.0', {
    serviceAccount: 'invoice-worker',
  });
  for (const pod of podsOf(invoice, [NODES.b])) {
    const ref = 'docker.io/acme-corp/invoice-worker:3.2.0';
    failingPulls(
      story,
      pod,
      t(1, 12),
      end,
      `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
    );
  }

  // 3. 09:03 — the TLS certificate of harbor.example.com expired at 09:00. Every pod that needs a pull from
  //    it fails with the same x509 text: four workloads in three namespaces, one registry incident.
  const expired = '2026-03-10T09:00:00Z';
  const ledger = deployment('payments', 'ledger-api', 'harbor.example.com/payments/ledger-api:1.8.3');
  const fraud = deployment('payments', 'fraud-scorer', 'harbor.example.com/payments/fraud-scorer:4.1.0');
  const indexer: Workload = {
    namespace: 'search',
    kind: 'StatefulSet',
    name: 'indexer',
    owner: { kind: 'StatefulSet', name: 'indexer' },
    container: 'indexer',
    image: 'harbor.example.com/search/indexer:2024.11.2',
  };
  const harborPods: Pod[] = [
    ...podsOf(ledger, [NODES.a]),
    ...podsOf(fraud, [NODES.c]),
    { workload: indexer, node: NODES.d, name: 'indexer-0' },
  ];
  harborPods.forEach((pod, i) => {
    tlsPulls(story, pod, t(3, 5 + i * 47), end, expired);
  });
  // A CronJob's pod: the Job is named after its scheduled time in minutes since the epoch (09:05).
  const scheduled = t(5) / MINUTE;
  const job = `nightly-export-${scheduled}`;
  const exportJob: Workload = {
    namespace: 'data',
    kind: 'CronJob',
    name: 'nightly-export',
    owner: { kind: 'Job', name: job },
    container: 'export',
    image: 'harbor.example.com/data/exporter:0.9.7',
  };
  tlsPulls(
    story,
    { workload: exportJob, node: NODES.b, name: `${job}-${suffix(job, 5)}` },
    t(5, 2),
    end,
    expired,
  );

  // 4. 09:06 — web/storefront-proxy runs nginx from Docker Hub with imagePullPolicy: Always; the HPA adds
  //    three pods on nodes that share one NAT address, and Docker Hub's anonymous pull limit answers 429.
  const proxy = deployment('web', 'storefront-proxy', 'nginx:1.27-alpine', { pullPolicy: 'Always' });
  const digest = `sha256:${hex('nginx:1.27-alpine/linux/amd64', 64)}`;
  podsOf(proxy, [NODES.a, NODES.c, NODES.d]).forEach((pod, i) => {
    failingPulls(
      story,
      pod,
      t(6, 20 + i * 3),
      end,
      `failed to pull and unpack image "docker.io/library/nginx:1.27-alpine": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/${digest}: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit`,
    );
  });

  // 5. 09:08 — ml/feature-store is scheduled onto the new arm64 node pool, but its image was built for amd64
  //    only: containerd's "no match for platform in manifest".
  const features = deployment('ml', 'feature-store', 'registry.example.com/ml/feature-store:2.0.0');
  for (const pod of podsOf(features, [NODES.arm])) {
    const ref = features.image;
    failingPulls(
      story,
      pod,
      t(8, 31),
      end,
      `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": no match for platform in manifest: not found`,
    );
  }

  // 6. 09:10 — tools/debug-shell names an image with an upper-case repository path: kubelet cannot parse it
  //    (InspectFailed, waiting reason InvalidImageName) and never tries a pull.
  const debug = deployment('tools', 'debug-shell', 'registry.example.com/Platform/debug-shell:1.0');
  for (const pod of podsOf(debug, [NODES.d])) {
    const ref = debug.image;
    for (const at of attempts(t(10, 40), end, pod.name)) {
      story.event(
        pod,
        at,
        'InspectFailed',
        'Warning',
        `Failed to apply default image tag "${ref}": couldn't parse image reference "${ref}": invalid reference format: repository name must be lowercase`,
      );
      story.event(pod, at, 'Failed', 'Warning', 'Error: InvalidImageName');
    }
  }

  const sorted = [...story.lines].sort((a, b) => a.at - b.at || a.seq - b.seq);
  return sorted.map((line) => {
    parseEnvelope(line.envelope); // a generator bug fails here, not in the reader's replay
    return JSON.stringify(line.envelope);
  });
}

function tlsPulls(story: Story, pod: Pod, start: number, end: number, expiredAt: string): void {
  const ref = pod.workload.image;
  const slash = ref.indexOf('/');
  const host = ref.slice(0, slash);
  const [path, tag] = ref.slice(slash + 1).split(':') as [string, string];
  // The x509 text names the time of each attempt, so each attempt is a new message (as on a real node).
  for (const at of attempts(start, end, pod.name)) {
    const failed = at + 150 + jitter(`${pod.name}/${at}/tls`, 400);
    story.event(
      pod,
      failed,
      'Failed',
      'Warning',
      `Failed to pull image "${ref}": failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": failed to do request: Head "https://${host}/v2/${path}/manifests/${tag}": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time ${iso(failed)} is after ${expiredAt}`,
    );
    story.event(pod, failed, 'Failed', 'Warning', 'Error: ErrImagePull');
    const backoff = failed + 1_000 + jitter(`${pod.name}/${at}/backoff`, 2_000);
    story.event(pod, backoff, 'BackOff', 'Normal', `Back-off pulling image "${ref}"`);
    story.event(pod, backoff, 'Failed', 'Warning', 'Error: ImagePullBackOff');
  }
}

export const DEMO_FILE = fileURLToPath(new URL('./demo-events.ndjson', import.meta.url));

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const text = `${buildDemo().join('\n')}\n`;
  if (process.argv.includes('--stdout')) process.stdout.write(text);
  else {
    writeFileSync(DEMO_FILE, text);
    process.stderr.write(`wrote ${DEMO_FILE} (${text.split('\n').length - 1} envelopes)\n`);
  }
}
