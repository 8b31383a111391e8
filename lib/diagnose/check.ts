import type { Classification } from '../classify/types.ts';
import type { NodeContext, PodContext, PullSecretInfo } from '../events/envelope.ts';
import { tryParseImageReference } from '../image/index.ts';
import type { RegistryProber } from '../registry/prober.ts';
import type { ProbeStep } from '../registry/types.ts';
import { nodePlatform, nodeScheme, sameImage } from './context.ts';
import { diagnose } from './diagnose.ts';
import type { Diagnosis } from './types.ts';

export interface CheckImageInput {
  /** Long-lived: holds the token cache and credential sources across calls. */
  prober: RegistryProber;
  classification?: Classification | null;
  /** The failing image; default: the classification's image (or the text it quoted). */
  image?: string | null;
  pod?: PodContext | null;
  node?: NodeContext | null;
  pullSecrets?: PullSecretInfo[] | null;
  checkedFrom: string;
  namespace?: string | null;
  onStep?: (step: ProbeStep) => void;
  /** Overrides the prober's whole-probe deadline (a Lambda with little time left). */
  deadlineMs?: number;
}

/**
 * Alert-time check of one failing image (what the notify function calls): probes the registry for the
 * node's platform and with the scheme the node used, then diagnoses with the pod's context. An image that
 * does not parse is not probed; the verdict then rests on the node's report.
 */
export async function checkImage(input: CheckImageInput): Promise<Diagnosis> {
  const text = input.image ?? input.classification?.image ?? input.classification?.imageText ?? null;
  const reference = text ? tryParseImageReference(text) : null;
  const context = {
    classification: input.classification ?? null,
    pod: input.pod ?? null,
    node: input.node ?? null,
    pullSecrets: input.pullSecrets ?? null,
    checkedFrom: input.checkedFrom,
    namespace: input.namespace ?? null,
    sameImage,
  };
  if (!reference) {
    const fallback = input.classification?.cause === 'invalid_reference' ? input.classification : null;
    return diagnose({
      ...context,
      classification: fallback ?? {
        kind: 'pull_failure',
        reason: 'InvalidImageName',
        cause: 'invalid_reference',
        category: 'config',
        image: null,
        registry: null,
        imageText: text,
        evidence: text ? `${text} is not a valid image reference` : 'no image in the event',
        confidence: text ? 0.9 : 0.3,
        rule: 'diagnose/unparseable-image',
      },
    });
  }
  const probe = await input.prober.probe(reference, {
    platform: nodePlatform(input.node),
    scheme: nodeScheme(input.classification),
    ...(input.onStep ? { onStep: input.onStep } : {}),
    ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
  });
  return diagnose({
    ...context,
    probe,
    image: {
      registry: reference.registry,
      repository: reference.repository,
      tag: reference.tag,
      digest: reference.digest,
      full: reference.canonical,
    },
  });
}
