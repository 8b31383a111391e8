// Deep imports: the package index also loads exec, attach, port-forward, cp, metrics and the typed API, which
// the forwarder never uses but would carry in its bundle (and resident memory).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import { errorMessage } from '../errors.ts';
import {
  isRecord,
  type KubeApi,
  KubeApiError,
  kubeErrorCode,
  type ListOptions,
  type ListPage,
  type SecretData,
  type WatchHandle,
  type WatchOptions,
} from '../forwarder/kube-port.ts';

/**
 * The forwarder's Kubernetes API port on @kubernetes/client-node 2.0.1. The client does authentication
 * (kubeconfig, in-cluster token with rotation, exec plugins) and the watch stream; lists and gets go through
 * its HTTP library too but are read as raw JSON, because the typed API turns timestamps into Date objects
 * and the envelope carries the wire form. Facts this relies on (read in node_modules/@kubernetes/client-node):
 * - `Watch.watch` calls `done(err)` with `err.statusCode` for a non-200 answer (410 included), and
 *   `done(null)` when the stream ends; an in-stream `ERROR` line only reaches the callback.
 * - It aborts a watch after `requestTimeoutMs` without bytes (2.0.1: reset per chunk; 2.0.0 aborted every
 *   watch after 30 s) — set here from the caller's inactivity time.
 * - Exceptions thrown by the line callback are swallowed (the caller must catch its own).
 * - An `http://` server needs `insecure-skip-tls-verify: true` in the kubeconfig.
 */
export interface KubeApiOptions {
  /** Per list/get request. */
  requestTimeoutMs?: number;
}

/** In a pod: the service account (KUBERNETES_SERVICE_HOST is set). Elsewhere: KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(options: { path?: string } = {}): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (options.path) kubeConfig.loadFromFile(options.path);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

function statusMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && typeof parsed.message === 'string') return parsed.message.slice(0, 500);
  } catch {
    // not a Status object
  }
  return '';
}

function networkError(path: string, error: unknown): KubeApiError {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return new KubeApiError(
    timedOut ? 'kube_timeout' : 'kube_unreachable',
    `${path}: ${timedOut ? 'request timed out' : errorMessage(error)}`,
    { cause: error },
  );
}

export function createKubeApi(kubeConfig: KubeConfig, options: KubeApiOptions = {}): KubeApi {
  const http = new IsomorphicFetchHttpLibrary();
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const server = () => {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeApiError('kube_config', 'kubeconfig has no current cluster');
    return cluster.server.replace(/\/+$/, '');
  };

  /** GET → parsed JSON; null for 404 when `allowMissing`. Errors carry the status and Status.message only. */
  async function getJson(
    path: string,
    query: Record<string, string>,
    allowMissing: boolean,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const url = new URL(server() + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    try {
      await kubeConfig.applySecurityAuthentication(context);
    } catch (error) {
      // Bad kubeconfig, failing exec plugin, unreadable token file: not something a retry at once fixes.
      throw new KubeApiError('kube_config', `credentials for ${path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    context.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
    let status: number;
    let body: string;
    try {
      const response = await http.send(context).toPromise();
      status = response.httpStatusCode;
      body = await response.body.text();
    } catch (error) {
      throw networkError(path, error);
    }
    if (status === 404 && allowMissing) return null;
    if (status !== 200) {
      const detail = statusMessage(body);
      throw new KubeApiError(
        kubeErrorCode(status),
        `GET ${path}: HTTP ${status}${detail ? `: ${detail}` : ''}`,
        {
          status,
        },
      );
    }
    try {
      return JSON.parse(body);
    } catch (error) {
      throw new KubeApiError('kube_bad_response', `GET ${path}: response is not JSON`, {
        status,
        cause: error,
      });
    }
  }

  return {
    async list(path: string, listOptions: ListOptions): Promise<ListPage> {
      const query: Record<string, string> = { limit: String(listOptions.limit) };
      if (listOptions.continueToken) query.continue = listOptions.continueToken;
      const body = await getJson(path, query, false, listOptions.signal);
      const metadata = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
      const items = isRecord(body) && Array.isArray(body.items) ? body.items : null;
      if (items === null || typeof metadata.resourceVersion !== 'string') {
        throw new KubeApiError('kube_bad_response', `GET ${path}: not a list (no items or resourceVersion)`);
      }
      return {
        items,
        resourceVersion: metadata.resourceVersion,
        continueToken:
          typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : null,
      };
    },

    watch(path, watchOptions: WatchOptions, onEvent, onDone): WatchHandle {
      const watch = new Watch(kubeConfig);
      // Declared private in the typings but a plain field at run time (30 s by default).
      (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = watchOptions.inactivityMs;
      let controller: AbortController | null = null;
      let aborted = false;
      let done = false;
      const finish = (error: KubeApiError | null) => {
        if (done || aborted) return;
        done = true;
        onDone(error);
      };
      watch
        .watch(
          path,
          {
            resourceVersion: watchOptions.resourceVersion,
            allowWatchBookmarks: watchOptions.allowWatchBookmarks,
            timeoutSeconds: watchOptions.timeoutSeconds,
          },
          (type: string, object: unknown) => {
            if (!done && !aborted) onEvent(type, object);
          },
          (error: unknown) => {
            if (!error) return finish(null);
            const status =
              isRecord(error) && typeof error.statusCode === 'number' ? (error.statusCode as number) : null;
            if (status !== null) {
              return finish(
                new KubeApiError(kubeErrorCode(status), `watch ${path}: HTTP ${status}`, { status }),
              );
            }
            finish(networkError(path, error));
          },
        )
        .then(
          (result) => {
            controller = result;
            if (aborted) result.abort();
          },
          (error: unknown) => finish(networkError(path, error)),
        );
      return {
        abort() {
          aborted = true;
          controller?.abort();
        },
      };
    },

    async getSecret(namespace: string, name: string): Promise<SecretData | null> {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
      const body = await getJson(path, {}, true);
      if (body === null) return null;
      const data: Record<string, string> = {};
      if (isRecord(body) && isRecord(body.data)) {
        for (const [key, value] of Object.entries(body.data)) {
          if (typeof value === 'string') data[key] = value;
        }
      }
      return { type: isRecord(body) && typeof body.type === 'string' ? body.type : null, data };
    },
  };
}
