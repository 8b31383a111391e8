import type { Classification } from '../classify/types.ts';
import { checkImage } from '../diagnose/check.ts';
import type { Diagnosis } from '../diagnose/types.ts';
import type { NodeContext, PodContext, PullSecretInfo } from '../events/envelope.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { diagnosedImage } from '../notify/alert-state.ts';
import type { RegistryProber } from '../registry/prober.ts';

/**
 * The alert-time registry check of an incident: the incident record stands in for the kubelet event (cause,
 * evidence, message) and its pull context for the pod (service account, pull secrets, container and pull
 * policy, node platform), so the remediation names the real objects. A registry incident is checked through
 * the first affected workload's image, without a pod.
 */
export type IncidentDiagnoser = (
  incident: IncidentRecord,
  options: { deadlineMs: number },
) => Promise<Diagnosis | null>;

export function registryDiagnoser(prober: RegistryProber, checkedFrom: string): IncidentDiagnoser {
  return async (incident, options) => {
    const image = diagnosedImage(incident);
    if (image === null) return null;
    const input = incidentCheckInput(incident, image);
    return checkImage({
      prober,
      classification: input.classification,
      image,
      pod: input.pod,
      node: input.node,
      pullSecrets: input.pullSecrets,
      namespace: incident.namespace,
      checkedFrom,
      // The probe's own deadline, cut to what this invocation can spare.
      deadlineMs: Math.min(options.deadlineMs, prober.config.deadlineMs),
    });
  };
}

export interface IncidentCheckInput {
  classification: Classification;
  pod: PodContext | null;
  node: NodeContext | null;
  pullSecrets: PullSecretInfo[] | null;
}

/** The record as the kubelet event and pod it was built from, for `checkImage`. */
export function incidentCheckInput(incident: IncidentRecord, image: string): IncidentCheckInput {
  const context = incident.kind === 'workload' ? (incident.context ?? null) : null;
  const classification: Classification = {
    kind: 'pull_failure',
    reason: incident.reason,
    cause: incident.cause,
    category: incident.category,
    image,
    registry: incident.registry,
    imageText: image,
    evidence: incident.evidence,
    confidence: incident.cause === 'unknown' || incident.cause === 'none' ? 0.3 : 0.7,
    rule: 'incident',
  };
  const podName = incident.pods.at(-1) ?? null;
  const nodeName = incident.nodes.at(-1) ?? null;
  const pod: PodContext | null =
    incident.kind === 'workload' && incident.namespace !== null && podName !== null
      ? {
          name: podName,
          namespace: incident.namespace,
          serviceAccount: context?.serviceAccount ?? null,
          nodeName,
          imagePullSecrets: context?.imagePullSecrets ?? [],
          containers: context?.container
            ? [
                {
                  name: context.container.name,
                  image,
                  imagePullPolicy: context.container.imagePullPolicy ?? null,
                },
              ]
            : [],
          workload: incident.workload,
        }
      : null;
  const node: NodeContext | null =
    nodeName !== null || context?.node
      ? {
          name: nodeName ?? 'node',
          os: context?.node?.os ?? null,
          arch: context?.node?.arch ?? null,
          variant: context?.node?.variant ?? null,
        }
      : null;
  const pullSecrets =
    context?.pullSecrets?.map((secret) => ({ ...secret, type: secret.type ?? null })) ?? null;
  return { classification, pod, node, pullSecrets };
}
