import type { Classification } from '../classify/types.ts';
import type { NodeContext, PodContext, PullSecretInfo } from '../events/envelope.ts';
import { tryParseImageReference } from '../image/index.ts';
import type { Platform } from '../registry/platform.ts';
import { normalizePlatform } from '../registry/platform.ts';

/** The names remediation commands are written with, gathered once from the pod, node and CLI flags. */
export interface NamesInScope {
  namespace: string | null;
  serviceAccount: string;
  /** `deployment/api`, `statefulset/db`, `pod/api-7d9f-x2`; null when unknown. */
  workload: string | null;
  /** `deployment api` split, for `kubectl patch deployment api`. */
  workloadKind: string | null;
  workloadName: string | null;
  container: string | null;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
  podName: string | null;
  nodeName: string | null;
  imagePullSecrets: string[];
  pullSecrets: PullSecretInfo[];
}

/**
 * The pod's container that runs this image. Pods name images as written in the spec (`nginx:1.25`) while
 * the probe and the classifier use the canonical form, so `sameImage` (from lib/image) compares them.
 */
export function namesInScope(input: {
  pod?: PodContext | null;
  node?: NodeContext | null;
  pullSecrets?: PullSecretInfo[] | null;
  namespace?: string | null;
  image: string | null;
  sameImage: (a: string, b: string) => boolean;
}): NamesInScope {
  const pod = input.pod ?? null;
  const containers = pod?.containers ?? [];
  const container =
    (input.image ? containers.find((c) => input.sameImage(c.image, input.image ?? '')) : undefined) ??
    (containers.length === 1 ? containers[0] : undefined);
  const workload = pod?.workload ?? pod?.owner ?? null;
  const workloadKind = workload ? workload.kind.toLowerCase() : pod ? 'pod' : null;
  const workloadName = workload ? workload.name : (pod?.name ?? null);
  return {
    namespace: pod?.namespace ?? input.namespace ?? null,
    serviceAccount: pod?.serviceAccount || 'default',
    workload: workloadKind && workloadName ? `${workloadKind}/${workloadName}` : null,
    workloadKind,
    workloadName,
    container: container?.name ?? null,
    pullPolicy: container?.imagePullPolicy ?? null,
    podName: pod?.name ?? null,
    nodeName: pod?.nodeName ?? input.node?.name ?? null,
    imagePullSecrets: pod?.imagePullSecrets ?? [],
    pullSecrets: input.pullSecrets ?? [],
  };
}

/** Pod specs name images as written (`nginx:1.25`); events and the probe use the canonical form. */
export function sameImage(a: string, b: string): boolean {
  if (a === b) return true;
  const left = tryParseImageReference(a);
  const right = tryParseImageReference(b);
  return left !== null && right !== null && left.canonical === right.canonical;
}

/** The node's platform, when the forwarder reported it. */
export function nodePlatform(node: NodeContext | null | undefined): Platform | null {
  if (!node?.os || !node.arch) return null;
  return normalizePlatform(
    node.variant
      ? { os: node.os, architecture: node.arch, variant: node.variant }
      : { os: node.os, architecture: node.arch },
  );
}

/**
 * Which scheme the node used, read from the kubelet's text: "server gave HTTP response to HTTPS client"
 * means it spoke HTTPS; "HTTP request to an HTTPS server" means plain HTTP. Null when the text says neither.
 */
export function nodeScheme(classification: Classification | null | undefined): 'https' | 'http' | null {
  const text = `${classification?.evidence ?? ''}`;
  if (/HTTP response to HTTPS client/i.test(text)) return 'https';
  if (/HTTP request to an? HTTPS server|plain HTTP request was sent to HTTPS port/i.test(text)) return 'http';
  if (classification?.cause === 'http_vs_https') return 'https';
  return null;
}
