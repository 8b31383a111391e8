import { hash } from 'node:crypto';
import type { Cause } from '../classify/causes.ts';
import type { WorkloadRef } from './types.ts';

/**
 * Incident keys. A key names a problem, not an event: every event of one bad image in one workload maps to
 * the same key, whatever pod, node or time it came from. The inputs are joined with a separator that cannot
 * occur in them (NUL), so ("a-b", "c") and ("a", "b-c") never collide.
 */
function digest(parts: readonly string[], length: number): string {
  // The one-shot hash: the same bytes as createHash().update().digest(), without a Hash object per event.
  return hash('sha256', parts.join('\u0000'), 'base64url').slice(0, length);
}

export interface WorkloadKeyInput {
  cluster: string;
  namespace: string;
  workload: WorkloadRef;
  /** Canonical image reference (or the raw text when it does not parse). */
  image: string;
}

export function workloadKey(input: WorkloadKeyInput): string {
  return `w-${digest(['w', input.cluster, input.namespace, input.workload.kind, input.workload.name, input.image], 22)}`;
}

/** Infra-level causes roll up per (cluster, registry host, cause): one alert for a whole registry outage. */
export function registryKey(input: { cluster: string; registry: string; cause: Cause }): string {
  return `r-${digest(['r', input.cluster, input.registry.toLowerCase(), input.cause], 22)}`;
}

/**
 * A short stable id for ledgers (events counted, workloads affected): 8 base64url characters (48 bits) keep
 * a few hundred entries per record small with a negligible chance of collision.
 */
export function shortId(...parts: string[]): string {
  return digest(parts, 8);
}
