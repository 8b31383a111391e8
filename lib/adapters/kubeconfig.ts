import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';

/**
 * Finds and opens the kubeconfig the way kubectl does, for `pullwatch run`: `--kubeconfig`, else the files
 * listed in KUBECONFIG (missing ones skipped, as kubectl skips them — @kubernetes/client-node would throw),
 * else ~/.kube/config, else the pod's service account. Never throws: "there is no usable cluster here" is an
 * ordinary answer, with the reason in words.
 */
export type KubeConfigLookup =
  | {
      found: true;
      /** Pass to createKubeApi (lib/adapters/kubernetes.ts). */
      kubeConfig: KubeConfig;
      /** Where it came from: a file path, a list of them, or `in-cluster`. */
      source: string;
      context: string;
      server: string;
    }
  | { found: false; reason: string };

export interface KubeConfigRequest {
  /** An explicit file (`--kubeconfig`). */
  path?: string;
  /** A context other than the current one (`--context`). */
  context?: string;
  env?: Record<string, string | undefined>;
  /** The home directory (~/.kube/config); default from the environment. */
  home?: string;
}

export function openKubeConfig(request: KubeConfigRequest = {}): KubeConfigLookup {
  const env = request.env ?? process.env;
  const kubeConfig = new KubeConfig();
  let source: string;
  try {
    if (request.path) {
      if (!existsSync(request.path)) return { found: false, reason: `${request.path} does not exist` };
      kubeConfig.loadFromFile(request.path);
      source = request.path;
    } else {
      const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
      const home = request.home ?? env.HOME ?? env.USERPROFILE ?? '';
      const fallback = home ? join(home, '.kube', 'config') : '';
      const files = listed.length > 0 ? listed.filter((file) => existsSync(file)) : [];
      if (listed.length > 0 && files.length === 0) {
        return {
          found: false,
          reason: `no kubeconfig: KUBECONFIG names ${listed.join(delimiter)}, which does not exist`,
        };
      }
      if (files.length > 0) {
        kubeConfig.loadFromFile(files[0]!);
        for (const file of files.slice(1)) {
          const more = new KubeConfig();
          more.loadFromFile(file);
          // As kubectl: the first file that sets current-context wins.
          kubeConfig.mergeConfig(more, kubeConfig.getCurrentContext() !== '');
        }
        source = files.join(delimiter);
      } else if (fallback && existsSync(fallback)) {
        kubeConfig.loadFromFile(fallback);
        source = fallback;
      } else if (env.KUBERNETES_SERVICE_HOST) {
        kubeConfig.loadFromCluster();
        source = 'in-cluster';
      } else {
        return {
          found: false,
          reason: `no kubeconfig (KUBECONFIG is not set and ${fallback || '~/.kube/config'} does not exist)`,
        };
      }
    }
  } catch (error) {
    return { found: false, reason: `cannot read the kubeconfig: ${errorMessage(error)}` };
  }
  if (request.context) {
    const names = kubeConfig.getContexts().map((context) => context.name);
    if (!names.includes(request.context)) {
      return {
        found: false,
        reason: `no context "${request.context}" in ${source} (it has: ${names.join(', ') || 'none'})`,
      };
    }
    kubeConfig.setCurrentContext(request.context);
  }
  const context = kubeConfig.getCurrentContext();
  const cluster = kubeConfig.getCurrentCluster();
  if (!context || !cluster) {
    return {
      found: false,
      reason: `${source} has no current context (set one with kubectl config use-context)`,
    };
  }
  return { found: true, kubeConfig, source, context, server: cluster.server };
}
