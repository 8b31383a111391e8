import type { ParseOptions } from './digest.ts';
import { ImageReferenceError } from './errors.ts';
import { NO_DOMAIN, type ReferenceSpans } from './grammar.ts';
import {
  checkNormalized,
  DEFAULT_DOMAIN,
  DEFAULT_PREFIX,
  DEFAULT_TAG,
  inspectNormalized,
  OFFICIAL_PREFIX,
  OFFICIAL_REPO_PREFIX,
  parseNormalizedNamed,
  tagNameOnly,
} from './normalize.ts';
import { makeReference, type Reference } from './reference.ts';

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
 * Upstream's FamiliarString of a docker.io reference, except where that would name a different image: a Hub
 * path whose first component reads as a host (`docker.io/a.b/c` → `a.b/c`, registry a.b;
 * `docker.io/localhost/x`) keeps the full canonical form, so the familiar form always parses back to the same
 * reference. `path` is the repository within `canonical`, which starts with "docker.io/".
 */
function hubFamiliar(canonical: string, path: string): string {
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
    return canonical.slice(OFFICIAL_PREFIX.length);
  }
  const slash = path.indexOf('/');
  const first = slash === -1 ? path : path.slice(0, slash);
  if (slash !== -1 && (first === 'localhost' || first.indexOf('.') !== -1 || first.indexOf(':') !== -1)) {
    return canonical;
  }
  return canonical.slice(DEFAULT_PREFIX.length);
}

/** The ImageReference (ParseDockerRef result) that validated `spans` describe in `expanded`. */
function fromSpans(input: string, expanded: string, spans: ReferenceSpans): ImageReference {
  const { nameEnd, domainSlash, tagStart, digestStart } = spans;
  const name = nameEnd === expanded.length ? expanded : expanded.slice(0, nameEnd);
  let tag: string | null;
  let canonical: string;
  if (digestStart !== -1) {
    tag = null;
    canonical = tagStart === -1 ? expanded : name + expanded.slice(digestStart - 1);
  } else if (tagStart !== -1) {
    tag = expanded.slice(tagStart);
    canonical = expanded;
  } else {
    tag = DEFAULT_TAG;
    canonical = `${expanded}:${DEFAULT_TAG}`;
  }
  const registry = domainSlash === NO_DOMAIN ? '' : expanded.slice(0, domainSlash);
  const repository = domainSlash === NO_DOMAIN ? name : expanded.slice(domainSlash + 1, nameEnd);
  return {
    input,
    registry,
    repository,
    name,
    tag,
    digest: digestStart === -1 ? null : expanded.slice(digestStart),
    canonical,
    familiar: registry === DEFAULT_DOMAIN ? hubFamiliar(canonical, repository) : canonical,
  };
}

/**
 * Parses a pod's image reference as kubelet does (ParseDockerRef); throws ImageReferenceError naming what is
 * wrong. Built straight from the validated spans: this runs once per classified message.
 */
export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string') {
    // Callers pass text out of JSON events; a missing field must fail like any other bad reference.
    throw new ImageReferenceError(
      'invalid_reference_format',
      String(input),
      `invalid reference format: expected a string, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const [expanded, spans] = checkNormalized(input, undefined);
  return fromSpans(input, expanded, spans);
}

/**
 * parseImageReference that returns null instead of throwing, whatever it is given. A rejected reference costs
 * no error object: a storm of one bad image name parses it thousands of times.
 */
export function tryParseImageReference(input: string): ImageReference | null {
  if (typeof input !== 'string') return null;
  const result = inspectNormalized(input, undefined);
  return result === null ? null : fromSpans(input, result[0], result[1]);
}
