import type { Cause } from '../classify/causes.ts';
import { artifactRegistryRepository, registryVendor } from '../registry/vendor.ts';
import type { ImageParts } from './remediation.ts';
import type { RemediationStep } from './types.ts';

/**
 * How each hosted registry grants pulls, for access failures: cloud registries are normally pulled with the
 * node's (or the pod's workload) identity, not a pull secret, so the fix is an IAM grant on that identity.
 */

const ACCESS: ReadonlySet<Cause> = new Set(['unauthorized', 'forbidden', 'repo_not_found_or_denied']);

function step(title: string, command?: string): RemediationStep {
  return command ? { title, command } : { title };
}

export function vendorAccessSteps(cause: Cause, image: ImageParts | null): RemediationStep[] {
  if (!image || !ACCESS.has(cause)) return [];
  const vendor = registryVendor(image.registry);
  if (!vendor) return [];
  switch (vendor.kind) {
    case 'ecr':
      return [
        step(
          `Nodes pull from ECR with their own IAM role through the kubelet's ECR credential provider (built into EKS nodes): give the node role AmazonEC2ContainerRegistryReadOnly (ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer)${
            cause === 'forbidden'
              ? `; if the node role is in another account than ${vendor.registryId}, also allow it in the repository policy`
              : ''
          }`,
          'aws iam attach-role-policy --role-name <node-instance-role> --policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
        ),
      ];
    case 'ecr-public':
      return [
        step(
          'ECR Public serves public repositories anonymously: check the repository alias and name in the gallery, and drop a stale pull secret for public.ecr.aws',
        ),
      ];
    case 'gar':
    case 'gcr': {
      const repo = artifactRegistryRepository(image.registry, image.repository);
      const where = repo
        ? `repository ${repo.repository} (project ${repo.project}, location ${repo.location})`
        : 'the Artifact Registry repository';
      return [
        step(
          `Grant roles/artifactregistry.reader on ${where} to the node's service account (the GKE node pool's, or the pod's with Workload Identity); Artifact Registry answers a missing repository with the same "permission denied"`,
          repo
            ? `gcloud artifacts repositories add-iam-policy-binding ${repo.repository} --project=${repo.project} --location=${repo.location} --member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader`
            : undefined,
        ),
        ...(repo
          ? [
              step(
                'Check that the repository and image exist',
                `gcloud artifacts docker images list ${repo.location}-docker.pkg.dev/${repo.project}/${repo.repository}`,
              ),
            ]
          : []),
      ];
    }
    case 'acr':
      return [
        step(
          `Let the cluster's kubelet identity pull from ${vendor.name} (AcrPull): attach the registry to the AKS cluster, or grant AcrPull to the identity in the pull secret`,
          `az aks update --name <cluster> --resource-group <resource-group> --attach-acr ${vendor.name}`,
        ),
      ];
    case 'ghcr':
      return [
        step(
          'GHCR packages are private unless made public: put a token with read:packages (a classic PAT, or a fine-grained one with package read) in the pull secret, or make the package public in its settings',
        ),
      ];
    case 'quay':
      return [
        step(
          'Quay: create a robot account with read permission on the repository and use its Kubernetes secret as the pull secret, or make the repository public',
        ),
      ];
    case 'gitlab':
      return [
        step(
          'GitLab: use a deploy token with the read_registry scope in the pull secret (private projects refuse anonymous pulls)',
        ),
      ];
    case 'dockerhub':
      return [];
  }
}
