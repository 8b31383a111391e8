import type { Cause } from '../classify/causes.ts';
import type { EvidenceItem } from '../diagnose/types.ts';
import type { ManifestKind } from './media-types.ts';
import type { Platform } from './platform.ts';
import type { RateLimit } from './ratelimit.ts';

/**
 * What to probe: the fields of an `ImageReference` (lib/image) the probe reads. `registry` is the host as
 * the image names it (`docker.io`, `registry.example.com:5000`, `[::1]:5000`).
 */
export interface ProbeTarget {
  registry: string;
  repository: string;
  tag?: string | null;
  digest?: string | null;
}

export type StepName =
  | 'dns'
  | 'guard'
  | 'tcp'
  | 'tls'
  | 'http'
  | 'ping'
  | 'auth'
  | 'credentials'
  | 'token'
  | 'manifest'
  | 'tags'
  | 'platform'
  | 'ratelimit'
  | 'deadline'
  | 'error';

export interface ProbeStep extends EvidenceItem {
  step: StepName;
}

/** Where credentials came from; `anonymous` when the probe had none for this host. */
export type CredentialSourceName = 'config' | 'secrets-manager' | 'ecr' | 'static' | 'anonymous';

export interface ProbeResult {
  /** The image as probed: `registry/repository:tag` or `…@digest`. */
  image: string;
  registry: string;
  /** The host the HTTP API lives on (`registry-1.docker.io` for `docker.io`). */
  apiHost: string;
  repository: string;
  /** The tag or digest asked for. */
  reference: string;
  /** True when every check passed: this checker could pull the image. */
  pullable: boolean;
  /** What is wrong, as the registry showed it; null when pullable. */
  cause: Cause | null;
  /** How sure the probe is of `cause` (registry error codes ≈ 0.95, inferences lower). */
  confidence: number;
  /** One sentence. */
  summary: string;
  /** Every step in order, failed ones included: the evidence. */
  steps: ProbeStep[];
  /** True when the SSRF guard refused an address, so the registry was not (fully) checked. */
  blocked: boolean;
  scheme: 'https' | 'http' | null;
  /** The address the probe connected to (after the guard). */
  address: string | null;
  auth: {
    challenge: 'none' | 'basic' | 'bearer' | 'other' | null;
    credentials: CredentialSourceName;
    tokenFromCache: boolean;
  };
  manifest: { mediaType: string; kind: ManifestKind; digest: string | null; platforms: Platform[] } | null;
  platform: { wanted: Platform; available: Platform[]; matched: boolean } | null;
  tags: { listed: number; complete: boolean; containsReference: boolean } | null;
  /** Closest existing tags when the tag is missing; empty otherwise. */
  suggestions: string[];
  rateLimit: RateLimit | null;
  retryAfterSeconds: number | null;
  checkedAt: string;
  durationMs: number;
}

export interface ProbeOptions {
  /** The node's platform: an index without it is `platform_mismatch`. */
  platform?: Platform | null;
  /**
   * The scheme the node used, when known (the kubelet message says so): `https` makes an HTTP-only registry
   * `http_vs_https` even on loopback; `http` makes an HTTPS-only one `http_vs_https`. Default: HTTPS, with
   * the plain-HTTP fallback runtimes allow for loopback and configured plain-HTTP hosts.
   */
  scheme?: 'https' | 'http' | null;
  /** Called as each step completes (the CLI prints ✓/✗ lines from it). */
  onStep?: (step: ProbeStep) => void;
  /** Overrides the configured whole-probe deadline. */
  deadlineMs?: number;
}
