import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Which kubeconfig files to read, the way kubectl picks them — decided from the file system alone, so that
 * "there is no kubeconfig here" is known before the Kubernetes client (a second and a half to load) is.
 * `--kubeconfig`, else the files listed in KUBECONFIG that exist (kubectl skips missing ones), else
 * ~/.kube/config, else the pod's service account when running in a cluster.
 */
export type KubeConfigFiles =
  | { found: true; files: string[]; inCluster: false }
  | { found: true; files: []; inCluster: true }
  | { found: false; reason: string };

export interface KubeConfigFilesRequest {
  path?: string;
  env?: Record<string, string | undefined>;
  home?: string;
}

export function findKubeConfigFiles(request: KubeConfigFilesRequest = {}): KubeConfigFiles {
  const env = request.env ?? process.env;
  if (request.path) {
    return existsSync(request.path)
      ? { found: true, files: [request.path], inCluster: false }
      : { found: false, reason: `${request.path} does not exist` };
  }
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  if (listed.length > 0) {
    const files = listed.filter((file) => existsSync(file));
    if (files.length === 0) {
      return {
        found: false,
        reason: `no kubeconfig: KUBECONFIG names ${listed.join(delimiter)}, which does not exist`,
      };
    }
    return { found: true, files, inCluster: false };
  }
  const home = request.home ?? env.HOME ?? env.USERPROFILE ?? '';
  const fallback = home ? join(home, '.kube', 'config') : '';
  if (fallback && existsSync(fallback)) return { found: true, files: [fallback], inCluster: false };
  if (env.KUBERNETES_SERVICE_HOST) return { found: true, files: [], inCluster: true };
  return {
    found: false,
    reason: `no kubeconfig (KUBECONFIG is not set and ${fallback || '~/.kube/config'} does not exist)`,
  };
}
