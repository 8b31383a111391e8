import { isRecord, metaOf, str } from './kube-port.ts';

/**
 * What the informer caches keep of each object: only the fields an envelope carries, already cut to the
 * envelope schema's limits, so the caches stay small (a few hundred bytes per pod) and envelopes are built
 * without re-validating.
 */
export interface OwnerRef {
  kind: string;
  name: string;
}

export interface ContainerInfo {
  name: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
}

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string | null;
  serviceAccount: string | null;
  nodeName: string | null;
  imagePullSecrets: string[];
  containers: ContainerInfo[];
  /** The controlling owner (ownerReferences with controller: true, else the first). */
  owner: OwnerRef | null;
  /** The `pod-template-hash` label a Deployment's ReplicaSet puts on its pods. */
  templateHash: string | null;
}

export interface NodeInfo {
  name: string;
  os: string | null;
  arch: string | null;
}

/** A ReplicaSet or Job reduced to its controlling owner (null: it has none). */
export interface OwnerInfo {
  owner: OwnerRef | null;
}

const PULL_POLICIES = new Set(['Always', 'IfNotPresent', 'Never']);

export function cut(value: unknown, max: number): string | null {
  const text = str(value);
  if (text === null) return null;
  return text.length > max ? text.slice(0, max) : text;
}

export function namespacedKey(namespace: string | null, name: string | null): string | null {
  if (name === null) return null;
  return `${namespace ?? ''}/${name}`;
}

export function objectKey(object: unknown): string | null {
  const meta = metaOf(object);
  return namespacedKey(meta.namespace, meta.name);
}

export function controllerOf(object: unknown): OwnerRef | null {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  const refs = Array.isArray(metadata.ownerReferences) ? metadata.ownerReferences.filter(isRecord) : [];
  const ref = refs.find((candidate) => candidate.controller === true) ?? refs[0];
  if (!ref) return null;
  const kind = cut(ref.kind, 253);
  const name = cut(ref.name, 253);
  return kind && name ? { kind, name } : null;
}

function containersOf(spec: Record<string, unknown>): ContainerInfo[] {
  const out: ContainerInfo[] = [];
  const seen = new Set<string>();
  // Init and ephemeral containers pull images too, and fail the same way.
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const container of list) {
      if (!isRecord(container) || out.length >= 128) continue;
      const name = cut(container.name, 253);
      const image = cut(container.image, 4096);
      if (name === null || image === null || seen.has(name)) continue;
      seen.add(name);
      const policy = str(container.imagePullPolicy);
      out.push({
        name,
        image,
        imagePullPolicy:
          policy !== null && PULL_POLICIES.has(policy) ? (policy as ContainerInfo['imagePullPolicy']) : null,
      });
    }
  }
  return out;
}

export function projectPod(object: unknown): PodInfo | null {
  if (!isRecord(object)) return null;
  const meta = metaOf(object);
  const name = cut(meta.name, 253);
  const namespace = cut(meta.namespace, 253);
  if (name === null || namespace === null) return null;
  const spec = isRecord(object.spec) ? object.spec : {};
  const labels = isRecord(object.metadata) && isRecord(object.metadata.labels) ? object.metadata.labels : {};
  const pullSecrets = Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
  return {
    name,
    namespace,
    uid: cut(meta.uid, 128),
    serviceAccount: cut(spec.serviceAccountName, 253) ?? cut(spec.serviceAccount, 253),
    nodeName: cut(spec.nodeName, 253),
    imagePullSecrets: [
      ...new Set(
        pullSecrets
          .map((ref) => (isRecord(ref) ? cut(ref.name, 253) : null))
          .filter((secret): secret is string => secret !== null),
      ),
    ].slice(0, 64),
    containers: containersOf(spec),
    owner: controllerOf(object),
    templateHash: cut(labels['pod-template-hash'], 253),
  };
}

export function projectNode(object: unknown): NodeInfo | null {
  if (!isRecord(object)) return null;
  const name = cut(metaOf(object).name, 253);
  if (name === null) return null;
  const labels = isRecord(object.metadata) && isRecord(object.metadata.labels) ? object.metadata.labels : {};
  const status = isRecord(object.status) ? object.status : {};
  const info = isRecord(status.nodeInfo) ? status.nodeInfo : {};
  return {
    name,
    os:
      cut(labels['kubernetes.io/os'], 64) ??
      cut(labels['beta.kubernetes.io/os'], 64) ??
      cut(info.operatingSystem, 64),
    arch:
      cut(labels['kubernetes.io/arch'], 64) ??
      cut(labels['beta.kubernetes.io/arch'], 64) ??
      cut(info.architecture, 64),
  };
}

export function projectOwner(object: unknown): OwnerInfo | null {
  if (!isRecord(object) || metaOf(object).name === null) return null;
  return { owner: controllerOf(object) };
}
