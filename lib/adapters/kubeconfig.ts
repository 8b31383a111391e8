import { delimiter } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { errorMessage } from '../errors.ts';
import { findKubeConfigFiles, type KubeConfigFilesRequest } from './kubeconfig-files.ts';

/**
 * Opens the kubeconfig the way kubectl does, for `pullwatch run` (which files: kubeconfig-files.ts;
 * missing KUBECONFIG entries are skipped as kubectl skips them, where @kubernetes/client-node would throw).
 * Never throws: "there is no usable cluster here" is an ordinary answer, with the reason in words.
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

export interface KubeConfigRequest extends KubeConfigFilesRequest {
  /** A context other than the current one (`--context`). */
  context?: string;
}

export function openKubeConfig(request: KubeConfigRequest = {}): KubeConfigLookup {
  const located = findKubeConfigFiles(request);
  if (!located.found) return located;
  const kubeConfig = new KubeConfig();
  let source: string;
  try {
    if (located.inCluster) {
      kubeConfig.loadFromCluster();
      source = 'in-cluster';
    } else {
      const [first, ...rest] = located.files;
      kubeConfig.loadFromFile(first!);
      for (const file of rest) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        // As kubectl: the first file that sets current-context wins.
        kubeConfig.mergeConfig(more, kubeConfig.getCurrentContext() !== '');
      }
      source = located.files.join(delimiter);
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
