import type { Diagnosis, RemediationStep } from '../diagnose/types.ts';
import type { Incident } from '../incidents/types.ts';
import { effectiveCause } from './severity.ts';
import { shellArg } from './text.ts';

/**
 * What to do. The diagnosis (registry probe) knows best and wins when it has steps; without one (probe
 * skipped, timed out, or rolled-up registry incident) the alert still gets first steps with the real names
 * filled in, chosen by the cause's category.
 */
export function remediationFor(incident: Incident, diagnosis?: Diagnosis | null): RemediationStep[] {
  if (diagnosis && diagnosis.remediation.length > 0) return diagnosis.remediation;
  return fallbackSteps(incident, diagnosis);
}

/** `registry/path/name` from `registry/path/name:tag@sha256:…`. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

function fallbackSteps(incident: Incident, diagnosis?: Diagnosis | null): RemediationStep[] {
  const cause = effectiveCause(incident, diagnosis);
  const ns = incident.namespace ? `-n ${shellArg(incident.namespace)} ` : '';
  const pod = incident.pods[0];
  const node = incident.nodes[0];
  const image = incident.image ?? diagnosis?.image ?? null;
  const host = incident.registry ?? diagnosis?.registry ?? null;
  const workload = incident.workload
    ? `${shellArg(incident.workload.kind.toLowerCase())}/${shellArg(incident.workload.name)}`
    : null;
  const steps: RemediationStep[] = [];

  switch (cause) {
    case 'tag_not_found':
    case 'repo_not_found':
    case 'repo_not_found_or_denied':
    case 'platform_mismatch':
      if (image) {
        steps.push({
          title: 'List what the registry has for this repository (with the same credentials the node uses)',
          command: `skopeo list-tags docker://${shellArg(repositoryOf(image))}`,
        });
      }
      if (workload) {
        steps.push({
          title: 'Point the workload at an image that exists (or push the missing one)',
          command: `kubectl ${ns}get ${workload} -o jsonpath='{..image}'`,
        });
      }
      break;
    case 'unauthorized':
    case 'forbidden':
      if (pod) {
        steps.push({
          title: 'Check which pull secrets the pod uses, and that they exist in the namespace',
          command: `kubectl ${ns}get pod ${shellArg(pod)} -o jsonpath='{.spec.imagePullSecrets}{"\\n"}{.spec.serviceAccountName}'`,
        });
      }
      if (image) {
        steps.push({
          title: 'Try the pull with those credentials',
          command: `skopeo inspect --creds USER:TOKEN docker://${shellArg(image)}`,
        });
      }
      break;
    case 'disk_full':
      if (node) {
        steps.push({
          title: "Check the node's disk pressure and image garbage collection",
          command: `kubectl describe node ${shellArg(node)}`,
        });
      }
      break;
    case 'invalid_reference':
    case 'never_pull_policy':
      if (workload) {
        steps.push({
          title: 'Fix the image reference or pull policy in the workload spec',
          command: `kubectl ${ns}get ${workload} -o jsonpath='{range ..containers[*]}{.image} {.imagePullPolicy}{"\\n"}{end}'`,
        });
      }
      break;
    default:
      if (host && node) {
        steps.push({
          title: 'Test the registry from the node that failed',
          command: `kubectl debug node/${shellArg(node)} -it --image=curlimages/curl -- curl -sv https://${shellArg(host)}/v2/`,
        });
      }
      break;
  }
  if (pod) {
    steps.push({ title: "Read the pod's events", command: `kubectl ${ns}describe pod ${shellArg(pod)}` });
  }
  return steps;
}
