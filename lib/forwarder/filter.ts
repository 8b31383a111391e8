/**
 * Which events the forwarder cares about. Pure: decided from the event's own type, reason and message.
 *
 * kubelet reports a pull failure as Warning `Failed` ("Failed to pull image …", "Error: ErrImagePull",
 * "Error: ImagePullBackOff"), `InspectFailed`, `ErrImageNeverPull`; older kubelets as `FailedSync` with the
 * error inside. The back-off between attempts is `BackOff` "Back-off pulling image …" — type **Normal** —, and
 * `Pulled` (Normal) says a pull now works. The message test uses kubelet's own vocabulary (its waiting
 * reasons and verbs), not example texts.
 */
export type EventClass =
  /** A Warning that an image could not be pulled or inspected. */
  | 'pull_failure'
  /** kubelet waiting before the next pull attempt (Normal or Warning). */
  | 'pull_backoff'
  /** The image was pulled, or found present: a candidate `resolved` envelope. */
  | 'pulled'
  /** Any other Warning (forwarded only with forwardAllWarnings). */
  | 'warning'
  /** A reason the settings include explicitly. */
  | 'included';

export interface FilterSettings {
  excludeNamespaces: ReadonlySet<string>;
  includeReasons: ReadonlySet<string>;
  excludeReasons: ReadonlySet<string>;
  forwardAllWarnings: boolean;
}

export type FilterDecision =
  | { interested: true; eventClass: EventClass }
  | { interested: false; reason: 'excluded_namespace' | 'excluded_reason' | 'not_pull_related' };

/** Reasons that only ever concern images (kubelet's event reasons and container waiting reasons). */
const IMAGE_REASONS = new Set([
  'InspectFailed',
  'ErrImageNeverPull',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ImageInspectError',
  'RegistryUnavailable',
  'SignatureValidationFailed',
  'PullImageError',
]);

const IMAGE_TEXT = new RegExp(
  [
    String.raw`pull(?:ing)?\s+(?:and\s+unpack\s+)?image`,
    String.raw`image\s*pull`,
    'ErrImagePull',
    'ImagePullBackOff',
    'ErrImageNeverPull',
    'InvalidImageName',
    'ImageInspectError',
    'PullImageError',
    'RegistryUnavailable',
    'SignatureValidationFailed',
    String.raw`image\s+(?:tag|reference|name)\b`,
    String.raw`image\s+"[^"]*"\s+is\s+not\s+present`,
  ].join('|'),
  'i',
);

export function isImageRelated(reason: string, message: string): boolean {
  return IMAGE_REASONS.has(reason) || IMAGE_TEXT.test(message);
}

export function classify(type: string, reason: string, message: string): EventClass | null {
  if (reason === 'Pulled') return 'pulled';
  if (reason === 'BackOff') {
    // "Back-off pulling image" is the image back-off; "Back-off restarting failed container" is not.
    if (IMAGE_TEXT.test(message)) return 'pull_backoff';
    return type === 'Warning' ? 'warning' : null;
  }
  if (type === 'Warning') return isImageRelated(reason, message) ? 'pull_failure' : 'warning';
  return null;
}

export function decide(
  event: { namespace: string | null; type: string; reason: string; message: string },
  settings: FilterSettings,
): FilterDecision {
  if (event.namespace !== null && settings.excludeNamespaces.has(event.namespace)) {
    return { interested: false, reason: 'excluded_namespace' };
  }
  if (settings.excludeReasons.has(event.reason)) return { interested: false, reason: 'excluded_reason' };
  const eventClass = classify(event.type, event.reason, event.message);
  if (eventClass === 'pull_failure' || eventClass === 'pull_backoff' || eventClass === 'pulled') {
    return { interested: true, eventClass };
  }
  if (settings.includeReasons.has(event.reason)) return { interested: true, eventClass: 'included' };
  if (eventClass === 'warning' && settings.forwardAllWarnings) return { interested: true, eventClass };
  return { interested: false, reason: 'not_pull_related' };
}
