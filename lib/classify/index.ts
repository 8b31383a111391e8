/**
 * The classifier: one Kubernetes event (or container waiting state) about an image pull → its kind, the
 * kubelet waiting reason it implies, the cause (DESIGN.md §4 vocabulary), the image and registry it names,
 * and the evidence that decided it. Pure and table-driven (rules.ts); it never throws.
 */
export {
  CAUSE_CATEGORY,
  CAUSES,
  type Category,
  type Cause,
  categoryOf,
  isCause,
  WAITING_REASONS,
  type WaitingReason,
} from './causes.ts';
export { classify, MAX_MESSAGE_CHARS, parseReference } from './classify.ts';
export { EVIDENCE_MAX, redact } from './evidence.ts';
export { RULES, type Rule } from './rules.ts';
export type { Classification, ClassifyInput, EventKind } from './types.ts';
