import type { Category, Cause } from '../classify/causes.ts';

/**
 * The verdict of checking a failing image against its registry (DESIGN.md §1, issue "registry probe and
 * diagnosis"). Rendered by Slack/SNS/terminal; every field is plain data.
 */
export interface EvidenceItem {
  /** dns, tcp, tls, http, ping, auth, token, manifest, tags, platform, ratelimit, kubelet … */
  step: string;
  ok: boolean;
  /** One line a human reads: `GET /v2/team/api/manifests/v9 → 404 MANIFEST_UNKNOWN (38 ms)`. */
  summary: string;
  durationMs?: number;
  /** What was asked, e.g. `HEAD https://registry.example.com/v2/team/api/manifests/v9`. */
  request?: string;
  /** HTTP status of the answer, when there was one. */
  status?: number;
  /** Registry error code from the body (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `DENIED`, `TOOMANYREQUESTS` …). */
  code?: string;
  /** The response headers that matter for the verdict (content type, digest, auth challenge, rate limit …). */
  headers?: Record<string, string>;
  /** Error text (network, TLS …) when the step failed without an HTTP answer. Never holds credentials. */
  error?: string;
}

export interface RemediationStep {
  /** What to do, in words. */
  title: string;
  /** A command with the real names filled in, when there is one. */
  command?: string;
}

export interface Diagnosis {
  image: string;
  registry: string;
  cause: Cause;
  category: Category;
  confidence: number;
  /** One sentence: what is wrong. */
  summary: string;
  evidence: EvidenceItem[];
  remediation: RemediationStep[];
  /** Closest existing tags when the tag is missing; may be empty. */
  suggestions: string[];
  /** Where the check ran from (e.g. `lambda eu-west-1`, `pullwatch CLI on host x`); the node may see otherwise. */
  checkedFrom: string;
  /** false when the registry looks fine from here although the node failed: suspect the node's side. */
  agreesWithNode: boolean | null;
  /** True when the image is pullable from where the check ran. */
  pullable: boolean;
}
