import { findKubeConfigFiles } from '../adapters/kubeconfig-files.ts';
import { errorMessage } from '../errors.ts';
import type { KubeApi } from '../forwarder/kube-port.ts';

/**
 * Is there a cluster to watch? The kubeconfig's current (or chosen) context, and an API server that answers
 * a one-item list of the events pullwatch will watch within a few seconds — a stale kubeconfig pointing at a
 * laptop cluster that is not running must not leave a newcomer staring at a silent terminal.
 */
export type ClusterLookup =
  | { found: true; kube: KubeApi; context: string; server: string; source: string }
  | { found: false; reason: string };

export interface FindClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespaces: readonly string[];
  env?: Record<string, string | undefined>;
  /** The whole check, credentials plugins included. */
  timeoutMs?: number;
}

export const DEFAULT_CLUSTER_TIMEOUT_MS = 4_000;

export async function findCluster(options: FindClusterOptions): Promise<ClusterLookup> {
  // Without a kubeconfig file there is nothing to load the Kubernetes client for (it takes over a second).
  const files = findKubeConfigFiles({
    ...(options.kubeconfig ? { path: options.kubeconfig } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (!files.found) return files;
  const [{ openKubeConfig }, { createKubeApi }] = await Promise.all([
    import('../adapters/kubeconfig.ts'),
    import('../adapters/kubernetes.ts'),
  ]);
  const lookup = openKubeConfig({
    ...(options.kubeconfig ? { path: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (!lookup.found) return lookup;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLUSTER_TIMEOUT_MS;
  const probe = createKubeApi(lookup.kubeConfig, { requestTimeoutMs: timeoutMs });
  const namespace = options.namespaces[0];
  const path = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events` : '/api/v1/events';
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // The request has its own timeout; this one also covers a credentials plugin (exec) that never returns.
    await Promise.race([
      probe.list(path, { limit: 1, signal: abort.signal }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    abort.abort();
    return {
      found: false,
      reason: `the API server of context "${lookup.context}" (${lookup.server}) is not usable: ${errorMessage(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
  // The watch itself waits on silent streams far longer than this check does.
  return {
    found: true,
    kube: createKubeApi(lookup.kubeConfig),
    context: lookup.context,
    server: lookup.server,
    source: lookup.source,
  };
}

/**
 * The cluster name alerts carry when the settings do not name one: the kubeconfig context, shortened the
 * way people say it (`arn:aws:eks:eu-west-1:123456789012:cluster/prod` → `prod`, `gke_p_z_prod` stays).
 */
export function clusterNameOf(context: string): string {
  const tail = context.includes('/') ? context.slice(context.lastIndexOf('/') + 1) : context;
  const name = tail
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 128);
  return name === '' ? 'local' : name;
}
