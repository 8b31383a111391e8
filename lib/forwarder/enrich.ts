import type { NodeContext, PodContext, PullSecretInfo } from '../events/envelope.ts';
import { isRecord, str } from './kube-port.ts';
import type { NodeInfo, OwnerInfo, PodInfo } from './projections.ts';
import type { PullSecretInspector } from './pull-secrets.ts';
import { resolveWorkload } from './workload.ts';

/**
 * Context for an event from the informer caches — never a GET per event. A pod whose uid differs from the
 * event's is another instance with the same name (a StatefulSet replacement) and is not used.
 */
export interface EnricherSources {
  pod(namespace: string, name: string): PodInfo | undefined;
  node(name: string): NodeInfo | undefined;
  replicaSet?(namespace: string, name: string): OwnerInfo | undefined;
  job?(namespace: string, name: string): OwnerInfo | undefined;
  secrets?: PullSecretInspector;
  now: () => number;
}

export interface EventContext {
  pod: PodContext | null;
  node: NodeContext | null;
  podInfo: PodInfo | null;
}

export class Enricher {
  readonly #sources: EnricherSources;

  constructor(sources: EnricherSources) {
    this.#sources = sources;
  }

  get inspectsPullSecrets(): boolean {
    return this.#sources.secrets !== undefined;
  }

  context(event: unknown): EventContext {
    const record = isRecord(event) ? event : {};
    const involved = isRecord(record.involvedObject) ? record.involvedObject : {};
    const kind = str(involved.kind);
    const name = str(involved.name);
    const namespace = str(involved.namespace);
    let podInfo: PodInfo | null = null;
    if (kind === 'Pod' && name !== null && namespace !== null) {
      const cached = this.#sources.pod(namespace, name) ?? null;
      const uid = str(involved.uid);
      podInfo = cached && (uid === null || cached.uid === null || cached.uid === uid) ? cached : null;
    }
    const source = isRecord(record.source) ? record.source : {};
    const nodeName =
      podInfo?.nodeName ??
      (kind === 'Node' ? name : null) ??
      str(source.host) ??
      str(record.reportingInstance);
    const nodeInfo = nodeName !== null ? this.#sources.node(nodeName) : undefined;
    return {
      podInfo,
      pod: podInfo ? this.#podContext(podInfo) : null,
      node: nodeInfo ? { name: nodeInfo.name, os: nodeInfo.os, arch: nodeInfo.arch } : null,
    };
  }

  async pullSecrets(pod: PodInfo): Promise<PullSecretInfo[]> {
    if (!this.#sources.secrets || pod.imagePullSecrets.length === 0) return [];
    return this.#sources.secrets.inspect(pod.namespace, pod.imagePullSecrets);
  }

  #podContext(pod: PodInfo): PodContext {
    const workload = resolveWorkload(
      pod,
      { replicaSet: this.#sources.replicaSet, job: this.#sources.job },
      this.#sources.now(),
    );
    return {
      name: pod.name,
      uid: pod.uid,
      namespace: pod.namespace,
      serviceAccount: pod.serviceAccount,
      nodeName: pod.nodeName,
      imagePullSecrets: pod.imagePullSecrets,
      containers: pod.containers,
      owner: pod.owner,
      workload,
    };
  }
}
