import type { Category, Cause, WaitingReason } from './causes.ts';

/** What an event is, as far as pull failures go. */
export type EventKind =
  /** A pull failed and the text says why (or at least that it failed): `Failed to pull image …`, InspectFailed … */
  | 'pull_failure'
  /** A pull is being retried or kubelet reports the waiting reason only: BackOff, `Error: ErrImagePull`. */
  | 'pull_backoff'
  /** The image was pulled (Normal `Pulled`): a pod that was failing may now be fine. */
  | 'pulled'
  /** Not about image pulls at all. */
  | 'not_image';

export interface Classification {
  kind: EventKind;
  /** The kubelet waiting reason this event implies; null when it implies none. */
  reason: WaitingReason | null;
  cause: Cause;
  category: Category;
  /** The image from the message, in canonical form (docker.io/library/nginx:latest); null when absent or invalid. */
  image: string | null;
  /** The registry host of that image (docker.io, 123.dkr.ecr.eu-west-1.amazonaws.com, localhost:5000). */
  registry: string | null;
  /** The image text exactly as the message quoted it (kept even when it does not parse). */
  imageText: string | null;
  /** The substring of the message that decided the cause; empty for `none` / `not_image`. */
  evidence: string;
  /** 0–1: how specific the matched rule is (a registry error code beats a generic phrase). */
  confidence: number;
  /** Id of the rule that matched, for logs and metrics. */
  rule: string;
}

/** The input the classifier reads: an event's reason and message (any shape; it never throws). */
export interface ClassifyInput {
  reason?: string | null;
  message?: string | null;
  type?: string | null;
}
