import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * A local stand-in for the Kubernetes API server (HTTP on 127.0.0.1, reached through a generated
 * kubeconfig), speaking list + watch the way kube-apiserver does:
 * - one global, growing resourceVersion; every change is kept in a history that `compact()` expires;
 * - paged lists (`limit`/`continue`) served from a snapshot, 410 for a continue token older than compaction;
 * - watches as chunked newline-delimited JSON, replaying history after `resourceVersion`, then live changes,
 *   BOOKMARK lines when asked (`allowWatchBookmarks`), ending after `timeoutSeconds`;
 * - a too-old resourceVersion answered like the real server: HTTP 200 and an in-stream `ERROR` Status with
 *   code 410 (or, with `goneAs: 'http'`, an HTTP 410);
 * - faults on demand: abrupt disconnects (optionally cutting a line in half), slow streams (lines split into
 *   small delayed chunks), silent watches (headers, then nothing), 403 per resource, one-off HTTP errors.
 */
export type Resource = 'events' | 'pods' | 'nodes' | 'secrets' | 'replicasets' | 'jobs';

export interface RecordedRequest {
  method: string;
  resource: Resource | null;
  namespace: string | null;
  name: string | null;
  watch: boolean;
  query: Record<string, string>;
}

export type KubeObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
};

/** Objects are replaced, never changed in place, so history and list snapshots can share them. */
interface Change {
  rv: number;
  resource: Resource;
  namespace: string | null;
  /** The watch line, serialised once. */
  line: string;
}

interface WatchConnection {
  resource: Resource;
  namespace: string | null;
  response: ServerResponse;
  bookmarks: boolean;
  silent: boolean;
  chain: Promise<void>;
  closed: boolean;
  cutNext: boolean;
  timers: Array<ReturnType<typeof setTimeout>>;
}

const CLUSTER_SCOPED = new Set<Resource>(['nodes']);
const GROUPS: Record<string, Resource[]> = {
  '/api/v1': ['events', 'pods', 'nodes', 'secrets'],
  '/apis/apps/v1': ['replicasets'],
  '/apis/batch/v1': ['jobs'],
};

export interface KubeApiStandIn {
  url: string;
  kubeconfigPath: string;
  token: string;
  requests: RecordedRequest[];
  readonly resourceVersion: number;
  /** Creates or replaces an object (ADDED or MODIFIED), assigning the next resourceVersion. */
  upsert(resource: Resource, object: KubeObject): KubeObject;
  remove(resource: Resource, namespace: string | null, name: string): void;
  get(resource: Resource, namespace: string | null, name: string): KubeObject | undefined;
  /** Expires all history so far: watches from an older resourceVersion get 410. */
  compact(): void;
  /** Sends an in-stream `ERROR` 410 to every open watch (after compacting), then ends them. */
  expireWatches(): void;
  /** Destroys every open watch connection; with `midLine`, the next line each one sends is cut in half first. */
  disconnectWatches(options?: { midLine?: boolean }): Promise<number>;
  openWatches(resource?: Resource): number;
  forbid(resource: Resource, forbidden: boolean): void;
  /** The next `times` requests (list, watch or get) for `resource` answer this HTTP status. */
  failNext(resource: Resource, status: number, times?: number): void;
  options: {
    goneAs: 'stream' | 'http';
    bookmarkIntervalMs: number;
    /** New watches send headers and then nothing at all (no events, no bookmarks). */
    silent: boolean;
    /** Lines written in chunks of this many bytes with this delay between them. */
    slow: { chunkBytes: number; delayMs: number } | null;
    /** Requests are accepted and never answered (a stuck API server). */
    hang: boolean;
  };
  close(): Promise<void>;
}

function keyOf(namespace: string | null | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function parseRoute(
  pathname: string,
): { resource: Resource; namespace: string | null; name: string | null } | null {
  for (const [prefix, resources] of Object.entries(GROUPS)) {
    if (!pathname.startsWith(`${prefix}/`)) continue;
    const parts = pathname
      .slice(prefix.length + 1)
      .split('/')
      .map(decodeURIComponent);
    let namespace: string | null = null;
    if (parts[0] === 'namespaces' && parts.length >= 3) {
      namespace = parts[1] ?? null;
      parts.splice(0, 2);
    }
    const resource = parts[0] as Resource;
    if (!resources.includes(resource) || parts.length > 2) return null;
    return { resource, namespace, name: parts[1] ?? null };
  }
  return null;
}

export async function startKubeApi(init: Partial<KubeApiStandIn['options']> = {}): Promise<KubeApiStandIn> {
  const token = `standin-${Math.random().toString(36).slice(2)}`;
  const options: KubeApiStandIn['options'] = {
    goneAs: 'stream',
    bookmarkIntervalMs: 1000,
    silent: false,
    slow: null,
    hang: false,
    ...init,
  };
  const store = new Map<Resource, Map<string, KubeObject>>();
  const history: Change[] = [];
  const snapshots = new Map<string, { rv: number; items: KubeObject[] }>();
  const watches = new Set<WatchConnection>();
  const forbidden = new Set<Resource>();
  const failures = new Map<Resource, { status: number; times: number }>();
  const requests: RecordedRequest[] = [];
  let rv = 100;
  let compactedRv = 0;
  let uidSeq = 0;

  const objects = (resource: Resource) => {
    let map = store.get(resource);
    if (!map) {
      map = new Map();
      store.set(resource, map);
    }
    return map;
  };

  const matches = (namespace: string | null, object: KubeObject) =>
    namespace === null || object.metadata.namespace === namespace;

  function send(connection: WatchConnection, line: string): void {
    if (connection.closed || connection.silent) return;
    connection.chain = connection.chain.then(async () => {
      if (connection.closed) return;
      const { response } = connection;
      if (connection.cutNext && !line.startsWith('{"type":"BOOKMARK"')) {
        connection.closed = true;
        response.write(line.slice(0, Math.max(1, Math.floor(line.length / 2))));
        await new Promise((resolve) => setTimeout(resolve, 20));
        response.socket?.destroy();
        return;
      }
      if (!options.slow) {
        response.write(`${line}\n`);
        return;
      }
      const bytes = `${line}\n`;
      for (let i = 0; i < bytes.length; i += options.slow.chunkBytes) {
        if (connection.closed) return;
        response.write(bytes.slice(i, i + options.slow.chunkBytes));
        await new Promise((resolve) => setTimeout(resolve, options.slow?.delayMs ?? 0));
      }
    });
  }

  function endWatch(connection: WatchConnection, last?: string): void {
    if (connection.closed) return;
    if (last !== undefined) send(connection, last);
    connection.chain = connection.chain.then(() => {
      connection.closed = true;
      for (const timer of connection.timers) clearTimeout(timer);
      watches.delete(connection);
      connection.response.end();
    });
  }

  function record(resource: Resource, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    const namespace = object.metadata.namespace ?? null;
    const line = JSON.stringify({ type, object });
    history.push({ rv, resource, namespace, line });
    for (const connection of watches) {
      if (
        connection.resource === resource &&
        (connection.namespace === null || connection.namespace === namespace)
      ) {
        send(connection, line);
      }
    }
  }

  function answer(response: ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(code, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  function list(
    response: ServerResponse,
    resource: Resource,
    namespace: string | null,
    query: Record<string, string>,
  ): void {
    const limit = Number(query.limit ?? '0');
    let snapshot: { rv: number; items: KubeObject[] };
    let offset = 0;
    if (query.continue) {
      const token = query.continue;
      const found = snapshots.get(token);
      if (!found || found.rv < compactedRv) {
        answer(response, 410, status(410, 'Expired', 'The provided continue parameter is too old'));
        return;
      }
      snapshot = found;
      offset = Number(token.split(':')[1]);
    } else {
      const items = [...objects(resource).values()]
        .filter((object) => namespace === null || object.metadata.namespace === namespace)
        .sort((a, b) =>
          keyOf(a.metadata.namespace, a.metadata.name).localeCompare(
            keyOf(b.metadata.namespace, b.metadata.name),
          ),
        );
      snapshot = { rv, items };
    }
    const end = limit > 0 ? Math.min(snapshot.items.length, offset + limit) : snapshot.items.length;
    let continueToken = '';
    if (end < snapshot.items.length) {
      continueToken = `${snapshot.rv}:${end}:${Math.random().toString(36).slice(2)}`;
      snapshots.set(continueToken, snapshot);
    }
    answer(response, 200, {
      kind: 'List',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: String(snapshot.rv),
        ...(continueToken ? { continue: continueToken } : {}),
      },
      items: snapshot.items.slice(offset, end),
    });
  }

  function watch(
    request: IncomingMessage,
    response: ServerResponse,
    resource: Resource,
    namespace: string | null,
    query: Record<string, string>,
  ): void {
    const from = query.resourceVersion ?? '';
    const fromRv = from === '' || from === '0' ? null : Number(from);
    if (fromRv !== null && fromRv < compactedRv && options.goneAs === 'http') {
      answer(response, 410, status(410, 'Expired', `too old resource version: ${fromRv} (${compactedRv})`));
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const connection: WatchConnection = {
      resource,
      namespace,
      response,
      bookmarks: query.allowWatchBookmarks === 'true',
      silent: options.silent,
      chain: Promise.resolve(),
      closed: false,
      cutNext: false,
      timers: [],
    };
    request.on('close', () => {
      connection.closed = true;
      for (const timer of connection.timers) clearTimeout(timer);
      watches.delete(connection);
    });
    if (fromRv !== null && fromRv < compactedRv) {
      connection.silent = false;
      endWatch(
        connection,
        JSON.stringify({
          type: 'ERROR',
          object: status(410, 'Expired', `too old resource version: ${fromRv} (${compactedRv})`),
        }),
      );
      return;
    }
    if (fromRv === null) {
      for (const object of objects(resource).values()) {
        if (matches(namespace, object)) send(connection, JSON.stringify({ type: 'ADDED', object }));
      }
    } else {
      for (const change of history) {
        if (
          change.rv > fromRv &&
          change.resource === resource &&
          (namespace === null || change.namespace === namespace)
        ) {
          send(connection, change.line);
        }
      }
    }
    watches.add(connection);
    if (connection.bookmarks) {
      const tick = () => {
        if (connection.closed) return;
        send(
          connection,
          JSON.stringify({
            type: 'BOOKMARK',
            object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: String(rv) } },
          }),
        );
        connection.timers.push(setTimeout(tick, options.bookmarkIntervalMs));
      };
      connection.timers.push(setTimeout(tick, options.bookmarkIntervalMs));
    }
    const timeoutSeconds = Number(query.timeoutSeconds ?? '0');
    if (timeoutSeconds > 0) {
      connection.timers.push(setTimeout(() => endWatch(connection), timeoutSeconds * 1000));
    }
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const route = parseRoute(url.pathname);
    const isWatch = query.watch === 'true' || query.watch === '1';
    requests.push({
      method: request.method ?? 'GET',
      resource: route?.resource ?? null,
      namespace: route?.namespace ?? null,
      name: route?.name ?? null,
      watch: isWatch,
      query,
    });
    if (request.headers.authorization !== `Bearer ${token}`) {
      return answer(response, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    if (!route || request.method !== 'GET')
      return answer(response, 404, status(404, 'NotFound', 'not found'));
    if (options.hang) return;
    const { resource, namespace, name } = route;
    if (forbidden.has(resource)) {
      return answer(
        response,
        403,
        status(
          403,
          'Forbidden',
          `${resource} is forbidden: User "system:serviceaccount:pullwatch:forwarder" cannot list resource "${resource}"`,
        ),
      );
    }
    const failure = failures.get(resource);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      return answer(
        response,
        failure.status,
        status(failure.status, 'InternalError', `injected HTTP ${failure.status}`),
      );
    }
    if (name !== null) {
      const object = objects(resource).get(keyOf(CLUSTER_SCOPED.has(resource) ? null : namespace, name));
      if (!object) return answer(response, 404, status(404, 'NotFound', `${resource} "${name}" not found`));
      return answer(response, 200, object);
    }
    if (isWatch) return watch(request, response, resource, namespace, query);
    list(response, resource, namespace, query);
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'pullwatch-kube-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is explicitly skipped.
      clusters: [{ name: 'standin', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'standin', user: { token } }],
      contexts: [{ name: 'standin', context: { cluster: 'standin', user: 'standin' } }],
      'current-context': 'standin',
    }),
  );

  return {
    url,
    kubeconfigPath,
    token,
    requests,
    options,
    get resourceVersion() {
      return rv;
    },
    upsert(resource, object) {
      const copy: KubeObject = { ...object, metadata: { ...object.metadata } };
      const namespace = CLUSTER_SCOPED.has(resource) ? null : (copy.metadata.namespace ?? null);
      const key = keyOf(namespace, copy.metadata.name);
      const existing = objects(resource).get(key);
      rv += 1;
      copy.metadata.resourceVersion = String(rv);
      copy.metadata.uid ??= (existing?.metadata.uid as string | undefined) ?? `uid-${resource}-${++uidSeq}`;
      objects(resource).set(key, copy);
      record(resource, existing ? 'MODIFIED' : 'ADDED', copy);
      return copy;
    },
    remove(resource, namespace, name) {
      const key = keyOf(CLUSTER_SCOPED.has(resource) ? null : namespace, name);
      const existing = objects(resource).get(key);
      if (!existing) return;
      objects(resource).delete(key);
      rv += 1;
      record(resource, 'DELETED', {
        ...existing,
        metadata: { ...existing.metadata, resourceVersion: String(rv) },
      });
    },
    get(resource, namespace, name) {
      const object = objects(resource).get(keyOf(CLUSTER_SCOPED.has(resource) ? null : namespace, name));
      return object ? { ...object, metadata: { ...object.metadata } } : undefined;
    },
    compact() {
      compactedRv = rv + 1;
      history.length = 0;
    },
    expireWatches() {
      compactedRv = rv + 1;
      history.length = 0;
      for (const connection of [...watches]) {
        connection.silent = false;
        endWatch(
          connection,
          JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') }),
        );
      }
    },
    async disconnectWatches(disconnect = {}) {
      const open = [...watches];
      for (const connection of open) {
        if (disconnect.midLine) {
          connection.cutNext = true;
          continue;
        }
        await connection.chain;
        connection.closed = true;
        watches.delete(connection);
        connection.response.socket?.destroy();
      }
      return open.length;
    },
    openWatches(resource) {
      return [...watches].filter(
        (connection) => !connection.closed && (!resource || connection.resource === resource),
      ).length;
    },
    forbid(resource, value) {
      if (value) forbidden.add(resource);
      else forbidden.delete(resource);
    },
    failNext(resource, code, times = 1) {
      failures.set(resource, { status: code, times });
    },
    async close() {
      for (const connection of watches) {
        connection.closed = true;
        for (const timer of connection.timers) clearTimeout(timer);
        connection.response.socket?.destroy();
      }
      watches.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Object builders shaped like what kube-apiserver returns. */
let nameSeq = 0;

export function podObject(init: {
  namespace: string;
  name: string;
  uid?: string;
  node?: string;
  serviceAccount?: string;
  pullSecrets?: string[];
  containers?: Array<{ name: string; image: string; imagePullPolicy?: string }>;
  owner?: { kind: string; name: string; apiVersion?: string };
  labels?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: init.name,
      namespace: init.namespace,
      ...(init.uid ? { uid: init.uid } : {}),
      labels: init.labels ?? {},
      ownerReferences: init.owner
        ? [
            {
              apiVersion: init.owner.apiVersion ?? 'apps/v1',
              kind: init.owner.kind,
              name: init.owner.name,
              uid: 'owner-uid',
              controller: true,
            },
          ]
        : [],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
    },
    spec: {
      nodeName: init.node ?? 'node-a',
      serviceAccountName: init.serviceAccount ?? 'default',
      imagePullSecrets: (init.pullSecrets ?? []).map((name) => ({ name })),
      containers: (init.containers ?? [{ name: 'app', image: 'registry.example.com/team/app:1.0' }]).map(
        (c) => ({
          imagePullPolicy: 'IfNotPresent',
          ...c,
        }),
      ),
    },
    status: { phase: 'Pending' },
  };
}

export function nodeObject(name: string, os = 'linux', arch = 'amd64'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/os': os, 'kubernetes.io/arch': arch } },
    status: { nodeInfo: { operatingSystem: os, architecture: arch, kubeletVersion: 'v1.31.0' } },
  };
}

export function eventObject(init: {
  namespace: string;
  pod: string;
  podUid?: string;
  container?: string;
  type?: string;
  reason: string;
  message: string;
  count?: number;
  name?: string;
  lastTimestamp?: string;
  node?: string;
}): KubeObject {
  const time = init.lastTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: init.name ?? `${init.pod}.${(++nameSeq).toString(16).padStart(12, '0')}`,
      namespace: init.namespace,
      creationTimestamp: time,
      managedFields: [{ manager: 'kubelet', operation: 'Update' }],
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      name: init.pod,
      namespace: init.namespace,
      ...(init.podUid ? { uid: init.podUid } : {}),
      fieldPath: `spec.containers{${init.container ?? 'app'}}`,
    },
    reason: init.reason,
    message: init.message,
    type: init.type ?? 'Warning',
    count: init.count ?? 1,
    firstTimestamp: time,
    lastTimestamp: time,
    source: { component: 'kubelet', host: init.node ?? 'node-a' },
    reportingComponent: 'kubelet',
    reportingInstance: init.node ?? 'node-a',
  };
}

export function secretObject(
  namespace: string,
  name: string,
  type: string,
  data: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type,
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
  };
}
