import { isValidDigest, type ParseOptions } from './digest.ts';
import { ImageReferenceError, quote } from './errors.ts';
import type { ReferenceSpans } from './grammar.ts';
import { isIdentifier } from './grammar.ts';
import {
  inspectReference,
  makeReference,
  type Reference,
  referenceError,
  referenceFromSpans,
  referenceString,
} from './reference.ts';

/** Docker Hub as references name it (its registry API lives at registry-1.docker.io). */
export const DEFAULT_DOMAIN = 'docker.io';
/** The "Docker Index" name, canonicalised to docker.io. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const LOCALHOST = 'localhost';

/** Go's `strings.ToLower(s) != s` over s[start, end). */
function changesWhenLowercased(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x41 && c <= 0x5a) return true;
      continue;
    }
    const cp = s.codePointAt(i) ?? c;
    const char = String.fromCodePoint(cp);
    if (char.toLowerCase() !== char) return true;
    if (cp > 0xffff) i++;
  }
  return false;
}

/**
 * splitDockerDomain: the first '/'-separated component is a registry when it is `localhost`, contains '.'
 * or ':', or is not all lowercase (uppercase is illegal in a path, so it must be a host). Otherwise the name
 * is on Docker Hub, and single-component Hub names get `library/`. Returns [domain, remainder], where
 * the remainder keeps any tag and digest.
 */
export function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const [expanded, remainderStart] = expandDockerName(name);
  return [expanded.slice(0, remainderStart - 1), expanded.slice(remainderStart)];
}

/** `docker.io/` and `docker.io/library/`, the prefixes normalisation adds. */
export const DEFAULT_PREFIX = `${DEFAULT_DOMAIN}/`;
export const OFFICIAL_PREFIX = `${DEFAULT_DOMAIN}/${OFFICIAL_REPO_PREFIX}`;

/**
 * splitDockerDomain's domain + "/" + remainder, built with at most one concatenation (the input is reused
 * whenever it already is that string), and where the remainder starts in it.
 */
export function expandDockerName(name: string): [expanded: string, remainderStart: number] {
  const slash = name.indexOf('/');
  if (slash === -1) return [OFFICIAL_PREFIX + name, DEFAULT_PREFIX.length];
  const dot = name.indexOf('.');
  const colon = name.indexOf(':');
  const hostLike =
    (dot !== -1 && dot < slash) ||
    (colon !== -1 && colon < slash) ||
    (slash === LOCALHOST.length && name.startsWith(LOCALHOST)) ||
    changesWhenLowercased(name, 0, slash);
  if (!hostLike) return [DEFAULT_PREFIX + name, DEFAULT_PREFIX.length];
  const legacy = slash === LEGACY_DEFAULT_DOMAIN.length && name.startsWith(LEGACY_DEFAULT_DOMAIN);
  const hub = legacy || (slash === DEFAULT_DOMAIN.length && name.startsWith(DEFAULT_DOMAIN));
  if (!hub) return [name, slash + 1];
  const official = name.indexOf('/', slash + 1) === -1;
  if (!legacy && !official) return [name, slash + 1];
  return [(official ? OFFICIAL_PREFIX : DEFAULT_PREFIX) + name.slice(slash + 1), DEFAULT_PREFIX.length];
}

/** Upstream checks case on everything before the first ':' of the remainder, digest text included. */
function remoteEnd(expanded: string, remainderStart: number): number {
  const tagSep = expanded.indexOf(':', remainderStart);
  return tagSep === -1 ? expanded.length : tagSep;
}

/**
 * ParseNormalizedNamed's checks on `s`: the normalised string and where its parts are, or null when `s` is
 * not a valid reference. Shared by parseNormalizedNamed and the allocation-light parseImageReference.
 */
export function inspectNormalized(
  s: string,
  options: ParseOptions | undefined,
): [expanded: string, spans: ReferenceSpans] | null {
  if (isIdentifier(s)) return null;
  const [expanded, remainderStart] = expandDockerName(s);
  if (changesWhenLowercased(expanded, remainderStart, remoteEnd(expanded, remainderStart))) return null;
  const spans = inspectReference(expanded, options);
  return spans === null ? null : [expanded, spans];
}

/** The error ParseNormalizedNamed returns for an `s` that inspectNormalized rejected. */
export function normalizedError(s: string, options: ParseOptions | undefined): ImageReferenceError {
  if (isIdentifier(s)) {
    return new ImageReferenceError(
      'name_is_identifier',
      s,
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings (that is an image ID)`,
      'name',
    );
  }
  const [expanded, remainderStart] = expandDockerName(s);
  const end = remoteEnd(expanded, remainderStart);
  if (changesWhenLowercased(expanded, remainderStart, end)) {
    return new ImageReferenceError(
      'name_contains_uppercase',
      s,
      `invalid reference format: repository name (${quote(expanded.slice(remainderStart, end))}) must be lowercase`,
      'path',
    );
  }
  return referenceError(expanded, options, s);
}

/** inspectNormalized, throwing upstream's error when `s` is not a reference. */
export function checkNormalized(
  s: string,
  options: ParseOptions | undefined,
): [expanded: string, spans: ReferenceSpans] {
  const result = inspectNormalized(s, options);
  if (result === null) throw normalizedError(s, options);
  return result;
}

/**
 * ParseNormalizedNamed: a familiar name as users write it (`nginx`, `user/app:1`, `ghcr.io/o/app@sha256:…`)
 * to its fully qualified form (`docker.io/library/nginx`). No default tag is added. Rejects 64-hex strings,
 * which are image IDs, not names.
 */
export function parseNormalizedNamed(s: string, options?: ParseOptions): Reference {
  const [expanded, spans] = checkNormalized(s, options);
  return referenceFromSpans(expanded, spans);
}

/**
 * FamiliarName: the name as the Docker CLI shows it: docker.io dropped, and `library/` dropped from
 * single-component official images (`docker.io/library/foo/bar` keeps it: nested library paths are not
 * official images).
 */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  const path = ref.path;
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** FamiliarString: the familiar name with the reference's tag and digest; a digest alone stays as is. */
export function familiarString(ref: Reference): string {
  if (ref.name === '') return referenceString(ref);
  let out = familiarName(ref);
  if (ref.tag !== null) out += `:${ref.tag}`;
  if (ref.digest !== null) out += `@${ref.digest}`;
  return out;
}

/** TagNameOnly: adds `:latest` when the reference has neither tag nor digest. */
export function tagNameOnly(ref: Reference): Reference {
  if (ref.tag !== null || ref.digest !== null) return ref;
  return makeReference(ref.domain, ref.path, DEFAULT_TAG, null);
}

/**
 * ParseAnyReference: an image ID (64 hex → sha256 digest), a bare digest, or else a familiar name.
 */
export function parseAnyReference(s: string, options?: ParseOptions): Reference {
  if (isIdentifier(s)) return makeReference('', '', null, `sha256:${s}`);
  if (isValidDigest(s, options)) return makeReference('', '', null, s);
  return parseNormalizedNamed(s, options);
}

/** ParseNamed: like parseNormalizedNamed, but the input must already be in canonical form. */
export function parseNamed(s: string, options?: ParseOptions): Reference {
  const ref = parseNormalizedNamed(s, options);
  const canonical = referenceString(ref);
  if (canonical !== s) {
    throw new ImageReferenceError(
      'name_not_canonical',
      s,
      `repository name must be canonical: ${quote(s)} normalises to ${quote(canonical)}`,
      'name',
    );
  }
  return ref;
}
