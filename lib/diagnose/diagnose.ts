import { type Category, type Cause, categoryOf } from '../classify/causes.ts';
import type { Classification } from '../classify/types.ts';
import type { NodeContext, PodContext, PullSecretInfo } from '../events/envelope.ts';
import type { ProbeResult } from '../registry/types.ts';
import { type NamesInScope, namesInScope, sameImage } from './context.ts';
import { type ImageParts, remediation } from './remediation.ts';
import type { Diagnosis, EvidenceItem } from './types.ts';

/**
 * Turns what the node said (the classification), what the registry showed (the probe) and who is affected
 * (pod, node, pull secrets) into one verdict. Pure.
 *
 * - The probe refines the node's view: Docker Hub's ambiguous `repo_not_found_or_denied` becomes
 *   `repo_not_found`, `tag_not_found`, `unauthorized` or `forbidden` once the registry has been asked.
 * - When the two disagree it says so (`agreesWithNode: false`) and keeps the more informative side: a
 *   registry that serves the image from here means the node's network, credentials or mirror are at fault;
 *   a node that reached the registry beats a checker that cannot (it runs outside the private network).
 */

export interface DiagnoseInput {
  classification?: Classification | null;
  probe?: ProbeResult | null;
  pod?: PodContext | null;
  node?: NodeContext | null;
  pullSecrets?: PullSecretInfo[] | null;
  /** Where the check ran (`lambda eu-west-1`, `pullwatch CLI on host x`). */
  checkedFrom: string;
  /** Namespace for commands when there is no pod (the CLI's --namespace). */
  namespace?: string | null;
  /** The image's parts for commands; default from the probe. */
  image?: ImageParts | null;
  /** Compares a pod spec's image text with the canonical image; default: canonical forms from lib/image. */
  sameImage?: (a: string, b: string) => boolean;
}

/** Causes a registry check can confirm or contradict; the others happen on the node or in its config. */
const REGISTRY_VISIBLE: ReadonlySet<Category> = new Set([
  'availability',
  'auth',
  'limits',
  'network',
  'registry',
]);
/** Reaching the registry failed: the checker may simply sit outside the registry's network. */
const REACHABILITY: ReadonlySet<Category> = new Set(['network', 'registry']);
/** The node got an answer from the registry itself. */
const ANSWERED: ReadonlySet<Category> = new Set(['availability', 'auth', 'limits']);

const ACCESS_FAMILY: ReadonlySet<Cause> = new Set([
  'repo_not_found',
  'repo_not_found_or_denied',
  'tag_not_found',
  'unauthorized',
  'forbidden',
]);

/** Does the probe's cause say the same as the node's, allowing for the kubelet's vaguer wording? */
export function causesAgree(node: Cause, probe: Cause): boolean {
  if (node === probe) return true;
  if (node === 'repo_not_found_or_denied') return ACCESS_FAMILY.has(probe);
  if (probe === 'repo_not_found_or_denied') return ACCESS_FAMILY.has(node);
  // containerd says "not found" for a missing repository and a missing tag alike.
  if (
    (node === 'tag_not_found' || node === 'repo_not_found') &&
    (probe === 'tag_not_found' || probe === 'repo_not_found')
  ) {
    return true;
  }
  if (
    (node === 'unauthorized' || node === 'forbidden') &&
    (probe === 'unauthorized' || probe === 'forbidden')
  )
    return true;
  // Network failures look different from different places (refused here, timeout there): same family.
  return categoryOf(node) === 'network' && categoryOf(probe) === 'network';
}

function nodeFailure(classification: Classification | null | undefined): Cause | null {
  if (!classification || classification.kind === 'not_image' || classification.kind === 'pulled') return null;
  return classification.cause === 'none' || classification.cause === 'unknown' ? null : classification.cause;
}

function imageFromProbe(probe: ProbeResult | null | undefined): ImageParts | null {
  if (!probe) return null;
  const digest = probe.reference.startsWith('sha256:') ? probe.reference : null;
  return {
    registry: probe.registry,
    repository: probe.repository,
    tag: digest ? null : probe.reference,
    digest,
    full: probe.image,
  };
}

function podEvidence(names: NamesInScope): EvidenceItem | null {
  if (!names.namespace || !names.podName) return null;
  const secrets =
    names.imagePullSecrets.length === 0
      ? 'no imagePullSecrets'
      : `imagePullSecrets ${names.imagePullSecrets
          .map((name) => {
            const info = names.pullSecrets.find((s) => s.name === name);
            if (!info) return name;
            if (!info.exists) return `${name} (missing)`;
            return `${name} (${info.registries.length > 0 ? `for ${info.registries.join(', ')}` : 'no registries'})`;
          })
          .join(', ')}`;
  return {
    step: 'pod',
    ok: true,
    summary: `pod ${names.namespace}/${names.podName}: service account ${names.serviceAccount}, ${secrets}${
      names.pullPolicy ? `, imagePullPolicy ${names.pullPolicy}` : ''
    }${names.nodeName ? `, node ${names.nodeName}` : ''}`,
  };
}

export function diagnose(input: DiagnoseInput): Diagnosis {
  const { classification, probe } = input;
  const parts = input.image ?? imageFromProbe(probe);
  const image = parts?.full ?? classification?.image ?? classification?.imageText ?? '';
  const registry = parts?.registry ?? probe?.registry ?? classification?.registry ?? '';
  const names = namesInScope({
    pod: input.pod ?? null,
    node: input.node ?? null,
    pullSecrets: input.pullSecrets ?? null,
    namespace: input.namespace ?? null,
    image: image || null,
    sameImage: input.sameImage ?? sameImage,
  });
  const nodeCause = nodeFailure(classification);
  const checked = probe && !probe.blocked ? probe : null;

  let cause: Cause;
  let confidence: number;
  let summary: string;
  let agreesWithNode: boolean | null = null;
  let disagreement = false;
  const pullable = checked?.pullable ?? false;

  if (!checked) {
    cause = nodeCause ?? 'unknown';
    confidence = nodeCause ? (classification?.confidence ?? 0.5) : 0;
    const why = probe?.blocked
      ? `the registry was not checked: ${probe.summary.replace(/^not checked: /, '')}`
      : 'the registry was not checked';
    summary = nodeCause ? `The node reports ${cause.replace(/_/g, ' ')}; ${why}.` : `No verdict: ${why}.`;
  } else if (checked.pullable) {
    if (nodeCause && REGISTRY_VISIBLE.has(categoryOf(nodeCause))) {
      cause = nodeCause;
      confidence = Math.min(classification?.confidence ?? 0.5, 0.6);
      agreesWithNode = false;
      disagreement = true;
      const used =
        checked.auth.credentials === 'anonymous'
          ? 'anonymously'
          : `with credentials from ${checked.auth.credentials}`;
      summary = `The node failed with ${nodeCause.replace(/_/g, ' ')}, but ${image} is pullable from ${input.checkedFrom} (${used}): suspect the node's side — its network, credentials or registry mirror.`;
    } else {
      cause = nodeCause ?? 'none';
      confidence = nodeCause ? (classification?.confidence ?? 0.5) : checked.confidence;
      agreesWithNode = classification?.kind === 'pulled' ? true : null;
      summary = nodeCause
        ? `The node reports ${nodeCause.replace(/_/g, ' ')}, a problem on the node itself; the registry serves ${image} fine.`
        : checked.summary;
    }
  } else {
    const probeCause = checked.cause ?? 'unknown';
    const anonymousRefusal =
      checked.auth.credentials === 'anonymous' &&
      (probeCause === 'unauthorized' ||
        probeCause === 'repo_not_found_or_denied' ||
        probeCause === 'forbidden');
    // A TLS handshake, a plain-HTTP answer or a 5xx means the node resolved and reached the registry.
    const nodeReachedIt =
      categoryOf(nodeCause ?? 'unknown') === 'registry' && categoryOf(probeCause) === 'network';
    if (
      nodeCause &&
      ((ANSWERED.has(categoryOf(nodeCause)) &&
        (REACHABILITY.has(categoryOf(probeCause)) ||
          // An anonymous refusal cannot refine what the node saw with its own identity (GKE/EKS/AKS nodes
          // pull with one): a missing tag, or a permission its identity lacks.
          (anonymousRefusal && (categoryOf(nodeCause) === 'availability' || nodeCause === 'forbidden')))) ||
        nodeReachedIt)
    ) {
      // The node got further than this checker: keep its cause, say why the check could not confirm it.
      cause = nodeCause;
      confidence = classification?.confidence ?? 0.5;
      agreesWithNode = null;
      summary = `The node reached ${registry} and reports ${nodeCause.replace(/_/g, ' ')}; from ${input.checkedFrom} the check stopped earlier: ${checked.summary}`;
    } else {
      cause = probeCause;
      confidence = checked.confidence;
      agreesWithNode = nodeCause ? causesAgree(nodeCause, probeCause) : null;
      summary =
        agreesWithNode === false && nodeCause
          ? `${checked.summary}. The node reported ${nodeCause.replace(/_/g, ' ')}: it may use another path, mirror or credentials.`
          : checked.summary;
    }
  }

  const evidence: EvidenceItem[] = [];
  if (classification && classification.kind !== 'not_image') {
    evidence.push({
      step: 'kubelet',
      ok: classification.kind === 'pulled',
      summary: `node reported ${classification.cause}${classification.evidence ? `: ${classification.evidence}` : ''}`,
    });
  }
  const pod = podEvidence(names);
  if (pod) evidence.push(pod);
  if (probe) evidence.push(...probe.steps);

  return {
    image,
    registry,
    cause,
    category: categoryOf(cause),
    confidence: Math.round(confidence * 100) / 100,
    summary: /[.!?]$/.test(summary) ? summary : `${summary}.`,
    evidence,
    remediation: remediation({
      cause,
      image: parts,
      names,
      probe: probe ?? null,
      disagreement,
      checkedFrom: input.checkedFrom,
      nodeEvidence: classification?.evidence ?? null,
    }),
    suggestions: checked?.suggestions ?? [],
    checkedFrom: input.checkedFrom,
    agreesWithNode,
    pullable,
  };
}
