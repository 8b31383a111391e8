/**
 * The registry probe (issue 4): checks an image against its registry — DNS, TCP, TLS or plain HTTP,
 * `/v2/`, auth challenge, token, manifest, tags, platform, rate limit — behind an SSRF guard, and returns the
 * evidence with a verdict. Entry points: `RegistryProber` (long-lived: token cache, credential sources) and
 * `probeImage` (one-off).
 */
export { closestTags } from './closest-tags.ts';
export {
  type CredentialRef,
  parseRegistryConfig,
  type RegistryConfig,
  type RegistryConfigInput,
  registryConfigSchema,
} from './config.ts';
export { type CredentialBackends, type EcrAuthorization, ecrHost, parseSecretString } from './credentials.ts';
export { formatPlatform, type Platform, parsePlatform } from './platform.ts';
export { apiHostOf } from './probe.ts';
export { probeImage, RegistryProber, type RegistryProberOptions } from './prober.ts';
export { Secret } from './secret.ts';
export { AllowListError, blockedRange, parseAllowEntry, SsrfGuard } from './ssrf.ts';
export type { ProbeOptions, ProbeResult, ProbeStep, ProbeTarget, StepName } from './types.ts';
