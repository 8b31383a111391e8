import { type ImageReference, tryParseImageReference } from '../image/index.ts';
import { type Cause, categoryOf, type WaitingReason } from './causes.ts';
import { evidenceAt } from './evidence.ts';
import { findImageText, registryHostFromUrl, textAfterImage } from './image-text.ts';
import { compileRules, type RuleHit } from './match.ts';
import { RULES } from './rules.ts';
import type { Classification, ClassifyInput, EventKind } from './types.ts';

/**
 * kubelet messages are short; a message this long is not one, and the cap keeps one hostile event from
 * costing more than its neighbours. The head is kept: kubelet puts the image and the cause chain first.
 */
export const MAX_MESSAGE_CHARS = 16 * 1024;

interface BareReason {
  kind: EventKind;
  reason: WaitingReason | null;
  cause: Cause;
}

/**
 * Messages that are only a waiting reason (`ErrImagePull`, `Error: ErrImageNeverPull`): the name is all the
 * text says. Names that imply a cause give it; the rest (a pull failed, is backing off) carry none.
 */
const BARE_REASONS: Readonly<Record<string, BareReason>> = {
  ErrImagePull: { kind: 'pull_backoff', reason: 'ErrImagePull', cause: 'none' },
  PullImageError: { kind: 'pull_backoff', reason: 'ErrImagePull', cause: 'none' },
  ImagePullBackOff: { kind: 'pull_backoff', reason: 'ImagePullBackOff', cause: 'none' },
  ErrImagePullBackOff: { kind: 'pull_backoff', reason: 'ImagePullBackOff', cause: 'none' },
  ImageInspectError: { kind: 'pull_backoff', reason: null, cause: 'none' },
  ErrImageNeverPull: { kind: 'pull_failure', reason: 'ErrImageNeverPull', cause: 'never_pull_policy' },
  InvalidImageName: { kind: 'pull_failure', reason: 'InvalidImageName', cause: 'invalid_reference' },
  SignatureValidationFailed: {
    kind: 'pull_failure',
    reason: 'SignatureValidationFailed',
    cause: 'signature_policy',
  },
  RegistryUnavailable: {
    kind: 'pull_failure',
    reason: 'RegistryUnavailable',
    cause: 'registry_server_error',
  },
};

/** Event/waiting reasons that are about image pulls whatever the message says. */
const PULL_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'PullImageError',
  'InspectFailed',
  'ImageInspectError',
  'ErrImageNeverPull',
  'InvalidImageName',
  'RegistryUnavailable',
  'SignatureValidationFailed',
]);

/** Phrases that put a message (under a generic reason such as Failed or FailedSync) about an image pull. */
const PULL_MARKERS: readonly string[] = [
  'failed to pull image',
  'failed pulling image',
  'image pull failed',
  'errimagepull',
  'failed to apply default image tag',
  'failed to inspect image',
  'pull policy of never',
  'failed to pull and unpack',
  'failed to resolve reference',
  'failed to resolve image',
  'sandbox image',
  'pulling image',
  // Runtime texts that only an image pull produces, for events whose reason is generic (`Failed`) and whose
  // message is the runtime's alone (CRI-O's `Error: Manifest does not match provided manifest digest…`).
  'reading manifest',
  'manifest unknown',
  'manifest list',
  'manifest digest',
  'matching manifest',
  'manifest for ',
  'pull access denied',
  'error pulling image',
  'pinging container registry',
  'pinging docker registry',
  'initializing source docker',
  'copying system image',
  // CRI-O re-checks the node's signature policy when it creates a container from an image already pulled
  // (`CreateContainerError: checking signature of "…": …`): the image is refused just as a pull would be.
  'checking signature of',
];

/**
 * kubelet's framing for other concerns (probes, volumes, scheduling, starting a container). A message with
 * no reason (pasted into the CLI) that carries one of these is not a pull failure, even when its network or
 * disk error would match a rule: `Readiness probe failed: … connect: connection refused` is the app's problem.
 */
const OTHER_CONCERNS: readonly string[] = [
  'probe failed',
  'mountvolume.',
  'unable to attach or mount',
  'nodes are available',
  'back-off restarting failed container',
  'failed to create containerd task',
  'failed to create shim task',
  'oci runtime',
  'failed to start container',
];

/**
 * Event listings may show the event's field path before its message (`kubectl describe` in 2026:
 * `spec.containers{web}: Error: ErrImagePull`); the path names the container, not the failure, so it is read
 * past.
 */
const FIELD_PATH_PREFIX = /^\s*spec\.(?:initC|ephemeralC|c)ontainers\{[^}\n]*\}: /;

/**
 * kubelet's announcement always quotes the image (`Pulling image "x"`, `pulling image "x"` before 1.14);
 * crictl's `pulling image failed: rpc error: …` and `pulling image: …` are the failure itself.
 */
const PULLING_ANNOUNCEMENT = /^pulling image "/;
const BACK_OFF = 'back-off pulling image';
const ALREADY_PRESENT = 'already present on machine';
const INVALID_NAME = ['failed to apply default image tag', "couldn't parse image"];
const SIGNATURE = ['signaturevalidationfailed', 'signature validation failed'];
const UNAVAILABLE = ['registryunavailable', 'registry is unavailable'];

/** The rules plus the framing phrases: one scan of the message answers both (see match.ts). */
const matcher = compileRules(RULES, [
  ...PULL_MARKERS,
  ...OTHER_CONCERNS,
  BACK_OFF,
  ALREADY_PRESENT,
  ...INVALID_NAME,
  ...SIGNATURE,
  ...UNAVAILABLE,
]);
const hasAny = (markers: readonly string[]) => markers.some(matcher.has);

/** What a back-off message may add after the image without saying anything about the cause. */
const NO_CAUSE_AFTER_IMAGE = /^(?:ErrImagePull|ImagePullBackOff)?$/;

const IMPLIED: Partial<Record<WaitingReason, Cause>> = {
  ErrImageNeverPull: 'never_pull_policy',
  InvalidImageName: 'invalid_reference',
  SignatureValidationFailed: 'signature_policy',
  RegistryUnavailable: 'registry_server_error',
};

/**
 * Classifies one Kubernetes event (or container waiting state) about image pulls. Pure and total: any input,
 * including non-objects and non-strings, yields a Classification; it never throws.
 */
export function classify(input: ClassifyInput): Classification {
  try {
    return classifyText(text(readField(input, 'reason')).trim(), text(readField(input, 'message')));
  } catch {
    // Unreachable by construction (the tests throw arbitrary values at it); kept so a future rule bug
    // degrades one event to `unknown` instead of failing the whole batch.
    return result('pull_failure', null, 'unknown', null, null, {
      evidence: '',
      confidence: 0,
      rule: 'internal.error',
    });
  }
}

function classifyText(reasonIn: string, raw: string): Classification {
  const capped = raw.length > MAX_MESSAGE_CHARS ? raw.slice(0, MAX_MESSAGE_CHARS) : raw;
  const message = capped.replace(FIELD_PATH_PREFIX, '');
  const trimmed = message.trim();

  const bareName = trimmed.startsWith('Error: ') ? trimmed.slice(7) : trimmed;
  // hasOwn, not `in`/index: a message reading `constructor` must not find Object.prototype's.
  const bareKey = Object.hasOwn(BARE_REASONS, bareName)
    ? bareName
    : trimmed === '' && Object.hasOwn(BARE_REASONS, reasonIn)
      ? reasonIn
      : null;
  const bare = bareKey === null ? undefined : BARE_REASONS[bareKey];
  if (bare) {
    const carriesCause = bare.cause !== 'none';
    return result(bare.kind, bare.reason, bare.cause, null, null, {
      evidence: carriesCause ? trimmed || reasonIn : '',
      confidence: carriesCause ? 0.9 : 1,
      rule: carriesCause ? 'kubelet.waiting-reason-cause' : 'kubelet.waiting-reason',
    });
  }

  const lower = message.toLowerCase();
  const hit = preferReachedAttempt(lower, matcher.scan(lower));
  const imageText = findImageText(message, lower);

  if (
    reasonIn === 'Pulled' ||
    lower.startsWith('successfully pulled image') ||
    (lower.startsWith('container image ') && matcher.has(ALREADY_PRESENT))
  ) {
    return result('pulled', null, 'none', imageText, message, {
      evidence: '',
      confidence: 1,
      rule: 'kubelet.pulled',
    });
  }
  if (reasonIn === 'Pulling' || PULLING_ANNOUNCEMENT.test(lower)) {
    // Every pull announces itself; only its outcome (Failed/BackOff/Pulled) changes anything.
    return result('not_image', null, 'none', imageText, message, {
      evidence: '',
      confidence: 1,
      rule: 'kubelet.pulling',
    });
  }

  if (reasonIn === 'ImagePullBackOff' || matcher.has(BACK_OFF)) {
    // Newer kubelets append the previous pull error to the waiting message: classify it when present.
    if (hit) {
      const { rule, start } = hit;
      const evidence = evidenceAt(message, lower, start);
      return result('pull_backoff', 'ImagePullBackOff', rule.cause, imageText, message, {
        evidence,
        confidence: rule.confidence,
        rule: rule.id,
      });
    }
    const rest = textAfterImage(message, imageText);
    const cause: Cause = NO_CAUSE_AFTER_IMAGE.test(rest) ? 'none' : 'unknown';
    return result('pull_backoff', 'ImagePullBackOff', cause, imageText, message, {
      evidence: '',
      confidence: cause === 'none' ? 1 : 0,
      rule: 'kubelet.back-off',
    });
  }

  const about = PULL_REASONS.has(reasonIn) || hasAny(PULL_MARKERS);
  if (!about && !(reasonIn === '' && hit && !hasAny(OTHER_CONCERNS))) {
    return result('not_image', null, 'none', null, null, { evidence: '', confidence: 1, rule: 'not-image' });
  }

  const reason = impliedReason(reasonIn, lower, hit?.rule.id);
  if (hit) {
    const { rule, start } = hit;
    const evidence = evidenceAt(message, lower, start);
    return result('pull_failure', reason, rule.cause, imageText, message, {
      evidence,
      confidence: rule.confidence,
      rule: rule.id,
    });
  }
  const implied = reason ? IMPLIED[reason] : undefined;
  if (implied) {
    return result('pull_failure', reason, implied, imageText, message, {
      evidence: reason ?? '',
      confidence: 0.5,
      rule: 'kubelet.reason',
    });
  }
  return result('pull_failure', reason, 'unknown', imageText, message, {
    evidence: '',
    confidence: 0,
    rule: 'unknown',
  });
}

const AUTH_REFUSALS: ReadonlySet<Cause> = new Set(['unauthorized', 'forbidden', 'repo_not_found_or_denied']);
const REACHED_CONTENT: ReadonlySet<Cause> = new Set(['tag_not_found', 'repo_not_found', 'platform_mismatch']);
/** Where one attempt's error starts inside kubelet's `[err1, err2, …]` aggregate. */
const ATTEMPT_STARTS = [
  ', rpc error: ',
  ', failed to pull and unpack image',
  ', error response from daemon: ',
];

/**
 * kubelet tries every pull secret that matches the registry and reports all failures as one aggregate
 * (`Failed to pull image "x": [err1, err2]`). When one credential was refused but another got through and
 * the registry then said the content is not there, the image is missing for everyone allowed to see it: that
 * attempt's answer is the cause, not the refusal. Only aggregates pay for the extra scans; `has` is left
 * describing the whole message.
 */
function preferReachedAttempt(lower: string, hit: RuleHit | null): RuleHit | null {
  if (hit === null || !AUTH_REFUSALS.has(hit.rule.cause)) return hit;
  const open = lower.indexOf('": [');
  if (open === -1) return hit;
  const cuts = [open + 4];
  for (const marker of ATTEMPT_STARTS) {
    for (let at = lower.indexOf(marker, open); at !== -1; at = lower.indexOf(marker, at + 1))
      cuts.push(at + 2);
  }
  if (cuts.length < 2) return hit;
  cuts.sort((a, b) => a - b);
  let reached: RuleHit | null = null;
  for (let i = 0; i < cuts.length && reached === null; i += 1) {
    const from = cuts[i] as number;
    const attempt = matcher.scan(lower.slice(from, cuts[i + 1] ?? lower.length));
    if (attempt && REACHED_CONTENT.has(attempt.rule.cause))
      reached = { rule: attempt.rule, start: from + attempt.start };
  }
  matcher.scan(lower);
  return reached ?? hit;
}

/** The waiting reason kubelet sets for this failure (kubelet's evalCRIPullErr and image manager). */
function impliedReason(reasonIn: string, lower: string, ruleId: string | undefined): WaitingReason | null {
  switch (reasonIn) {
    case 'ErrImagePull':
    case 'ErrImageNeverPull':
    case 'InvalidImageName':
    case 'RegistryUnavailable':
    case 'SignatureValidationFailed':
      return reasonIn;
    case 'PullImageError':
      return 'ErrImagePull';
    case 'ImageInspectError':
    case 'CreateContainerError':
      return null;
  }
  if (ruleId === 'kubelet.never-pull') return 'ErrImageNeverPull';
  if (hasAny(INVALID_NAME)) return 'InvalidImageName';
  if (hasAny(SIGNATURE)) return 'SignatureValidationFailed';
  if (hasAny(UNAVAILABLE)) return 'RegistryUnavailable';
  // ImageInspectError and sandbox-image failures have no waiting reason of the list.
  if (lower.startsWith('failed to inspect image') || matcher.has('sandbox image')) return null;
  return 'ErrImagePull';
}

function result(
  kind: EventKind,
  reason: WaitingReason | null,
  cause: Cause,
  imageText: string | null,
  message: string | null,
  decided: Pick<Classification, 'evidence' | 'confidence' | 'rule'>,
): Classification {
  const ref = imageText === null ? null : parseReference(imageText);
  return {
    kind,
    reason,
    cause,
    category: categoryOf(cause),
    image: ref?.canonical ?? null,
    registry: ref?.registry ?? (message === null ? null : registryHostFromUrl(message)),
    imageText,
    ...decided,
  };
}

/**
 * `tryParseImageReference`, memoised; both the image a message quotes and (for ingest and the bench) the pod's
 * image go through it. A pull-failure storm repeats a handful of images thousands of times, and a parse costs
 * about as much as the rest of classification; parsing is deterministic, so the memo changes no answer.
 * Bounded: cleared when full.
 */
const REFERENCE_MEMO_MAX = 4096;
const referenceMemo = new Map<string, ImageReference | null>();

export function parseReference(text: string): ImageReference | null {
  const known = referenceMemo.get(text);
  if (known !== undefined) return known;
  const ref = tryParseImageReference(text);
  if (referenceMemo.size >= REFERENCE_MEMO_MAX) referenceMemo.clear();
  referenceMemo.set(text, ref);
  return ref;
}

function readField(input: unknown, key: 'reason' | 'message'): unknown {
  if (typeof input !== 'object' || input === null) return undefined;
  try {
    return (input as Record<string, unknown>)[key];
  } catch {
    // A Proxy or getter that throws is still "no value" to a classifier that never throws.
    return undefined;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
