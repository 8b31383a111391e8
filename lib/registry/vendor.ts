/**
 * The hosted registries whose auth and error answers differ enough to need their own advice. Recognised by
 * host name only (the port is ignored), never by probing: the verdict stays the registry's own answer, the
 * vendor only picks the remediation wording (IAM role, service account, PAT …).
 */
export type RegistryVendor =
  | { kind: 'dockerhub' }
  | { kind: 'ecr'; registryId: string; region: string }
  | { kind: 'ecr-public' }
  | { kind: 'gar'; location: string }
  | { kind: 'gcr'; location: string }
  | { kind: 'acr'; name: string }
  | { kind: 'ghcr' }
  | { kind: 'quay' }
  | { kind: 'gitlab' };

const ECR = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)$/;
const GAR = /^([a-z0-9-]+)-docker\.pkg\.dev$/;
/** gcr.io hosts are Artifact Registry repositories named after the host, in a multi-region. */
const GCR_LOCATION: Record<string, string> = {
  'gcr.io': 'us',
  'us.gcr.io': 'us',
  'eu.gcr.io': 'europe',
  'asia.gcr.io': 'asia',
};
/** Docker Hub's several names for one registry. */
export const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** The host name of `host[:port]` (ports are ignored: a stand-in or a mirror may add one). */
function hostName(registry: string): string {
  return registry
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .replace(/:\d+$/, '');
}

export function registryVendor(registry: string): RegistryVendor | null {
  const host = hostName(registry);
  if (DOCKER_HUB_HOSTS.has(host)) return { kind: 'dockerhub' };
  const ecr = ECR.exec(host);
  if (ecr) return { kind: 'ecr', registryId: ecr[1] ?? '', region: ecr[2] ?? '' };
  if (host === 'public.ecr.aws') return { kind: 'ecr-public' };
  const gar = GAR.exec(host);
  if (gar) return { kind: 'gar', location: gar[1] ?? '' };
  const gcr = GCR_LOCATION[host];
  if (gcr) return { kind: 'gcr', location: gcr };
  if (host.endsWith('.azurecr.io') || host.endsWith('.azurecr.cn') || host.endsWith('.azurecr.us')) {
    return { kind: 'acr', name: host.split('.')[0] ?? host };
  }
  if (host === 'ghcr.io') return { kind: 'ghcr' };
  if (host === 'quay.io') return { kind: 'quay' };
  if (host === 'registry.gitlab.com') return { kind: 'gitlab' };
  return null;
}

/**
 * The Artifact Registry repository an image lives in, as IAM names it (`projects/P/locations/L/repositories/R`):
 * `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE`, or for gcr.io `HOST/PROJECT/IMAGE` in the repository
 * named after the host. Null when the path is too short to name one.
 */
export function artifactRegistryRepository(
  registry: string,
  repository: string,
): { project: string; location: string; repository: string } | null {
  const vendor = registryVendor(registry);
  const parts = repository.split('/');
  if (vendor?.kind === 'gar' && parts.length >= 3) {
    return { project: parts[0] ?? '', location: vendor.location, repository: parts[1] ?? '' };
  }
  if (vendor?.kind === 'gcr' && parts.length >= 2) {
    return {
      project: parts[0] ?? '',
      location: vendor.location,
      repository: hostName(registry),
    };
  }
  return null;
}
