import type { Diagnosis } from '../diagnose/types.ts';

/**
 * The one case worth a warning of its own: the image pulls from where pullwatch checked, yet the node
 * failed — so the problem is on the node's side. When the check failed too, the diagnosis summary already
 * says how the two views differ, and claiming "the registry looks fine" would be false.
 */
export function nodeSideWarning(diagnosis: Diagnosis): string | null {
  if (diagnosis.agreesWithNode !== false || !diagnosis.pullable) return null;
  return "The registry looks fine from here although the node failed: suspect the node's side (its credentials, mirror or network path).";
}
