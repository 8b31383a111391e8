/**
 * The cause vocabulary of DESIGN.md §4. The ids are a contract: the shared corpus, incident keys, routing
 * rules and SNS filter policies all use them, so they never change meaning.
 */
export const CAUSE_CATEGORY = {
  tag_not_found: 'availability',
  repo_not_found: 'availability',
  repo_not_found_or_denied: 'availability',
  platform_mismatch: 'availability',
  unauthorized: 'auth',
  forbidden: 'auth',
  rate_limited: 'limits',
  dns: 'network',
  connection_refused: 'network',
  network_unreachable: 'network',
  timeout: 'network',
  proxy: 'network',
  tls: 'registry',
  http_vs_https: 'registry',
  registry_server_error: 'registry',
  invalid_reference: 'config',
  never_pull_policy: 'config',
  signature_policy: 'config',
  disk_full: 'node',
  corrupt_or_interrupted: 'node',
  unknown: 'unknown',
  none: 'none',
} as const;

export type Cause = keyof typeof CAUSE_CATEGORY;
export type Category = (typeof CAUSE_CATEGORY)[Cause];

export const CAUSES = Object.keys(CAUSE_CATEGORY) as Cause[];

export function categoryOf(cause: Cause): Category {
  return CAUSE_CATEGORY[cause];
}

export function isCause(value: unknown): value is Cause {
  return typeof value === 'string' && Object.hasOwn(CAUSE_CATEGORY, value);
}

/**
 * Infra-level categories: the problem is the registry or the path to it, not one workload, so these roll up
 * into one registry incident per (cluster, registry host, cause).
 */
export const INFRA_CATEGORIES: ReadonlySet<Category> = new Set(['network', 'registry', 'limits']);

/** The container waiting reasons kubelet reports for image problems. */
export const WAITING_REASONS = [
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];
