import type { ParseOptions } from './digest.ts';
import { ImageReferenceError } from './errors.ts';
import {
  DEFAULT_DOMAIN,
  familiarName,
  familiarString,
  parseNormalizedNamed,
  splitDockerDomain,
  tagNameOnly,
} from './normalize.ts';
import { makeReference, type Reference, referenceString } from './reference.ts';

/** An image reference the way kubelet and containerd resolve a pod's `image:` (ParseDockerRef). */
export interface ImageReference {
  /** The text that was parsed, unchanged. */
  input: string;
  /** Registry host[:port]: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path on that registry: `library/nginx`. */
  repository: string;
  /** registry/repository. */
  name: string;
  /** The tag; `latest` when the input had neither tag nor digest; null when a digest pins the image. */
  tag: string | null;
  /** `algorithm:hex`, or null. */
  digest: string | null;
  /** name:tag or name@digest: `docker.io/library/nginx:latest`. */
  canonical: string;
  /** The Docker CLI form: `nginx:latest`, `dmcgowan/myapp:1`, `localhost:5000/x:latest`. */
  familiar: string;
}

/**
 * ParseDockerRef: normalise, then keep only the digest when both tag and digest are given (the digest is what
 * gets pulled), else add `:latest` when there is no tag.
 */
export function parseDockerRef(s: string, options?: ParseOptions): Reference {
  const named = parseNormalizedNamed(s, options);
  if (named.tag !== null && named.digest !== null) {
    return makeReference(named.domain, named.path, null, named.digest);
  }
  return tagNameOnly(named);
}

/**
 * Upstream's FamiliarString, except where that would name a different image: for a Hub path whose first
 * component reads as a host (`docker.io/a.b/c` → `a.b/c`, registry a.b; `docker.io/localhost/x`), the full
 * canonical form is kept, so the familiar form always parses back to the same reference.
 */
function unambiguousFamiliar(ref: Reference): string {
  const familiar = familiarString(ref);
  if (ref.domain !== DEFAULT_DOMAIN) return familiar;
  const [domain, path] = splitDockerDomain(familiarName(ref));
  return domain === ref.domain && path === ref.path ? familiar : referenceString(ref);
}

/** Parses a pod's image reference as kubelet does; throws ImageReferenceError naming what is wrong. */
export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string') {
    // Callers pass text out of JSON events; a missing field must fail like any other bad reference.
    throw new ImageReferenceError(
      'invalid_reference_format',
      String(input),
      `invalid reference format: expected a string, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const ref = parseDockerRef(input);
  return {
    input,
    registry: ref.domain,
    repository: ref.path,
    name: ref.name,
    tag: ref.tag,
    digest: ref.digest,
    canonical: referenceString(ref),
    familiar: unambiguousFamiliar(ref),
  };
}

/** parseImageReference that returns null instead of throwing, whatever it is given. */
export function tryParseImageReference(input: string): ImageReference | null {
  if (typeof input !== 'string') return null;
  try {
    return parseImageReference(input);
  } catch {
    return null;
  }
}
