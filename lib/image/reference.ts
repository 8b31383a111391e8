import { digestError, isValidDigest, type ParseOptions } from './digest.ts';
import { ImageReferenceError, quote } from './errors.ts';
import { explainName, explainReference } from './explain.ts';
import {
  isTag,
  NO_DOMAIN,
  NOT_A_NAME,
  REPOSITORY_NAME_TOTAL_LENGTH_MAX,
  type ReferenceSpans,
  splitName,
  splitReference,
  TAG_MAX_LENGTH,
} from './grammar.ts';

/**
 * A parsed reference, as distribution/reference's Reference types carry it. `domain` is "" when the grammar
 * finds no domain part: `parse`/`withName` of a bare path, and, after normalisation, a first component that
 * looks like a host but is not one (`foo_bar.com/app`).
 * A digest-only reference (from `parseAnyReference`) has empty `domain`, `path` and `name`.
 */
export interface Reference {
  readonly domain: string;
  readonly path: string;
  /** domain + "/" + path, or path alone when there is no domain. */
  readonly name: string;
  readonly tag: string | null;
  readonly digest: string | null;
}

export function makeReference(
  domain: string,
  path: string,
  tag: string | null,
  digest: string | null,
): Reference {
  return { domain, path, name: domain === '' ? path : `${domain}/${path}`, tag, digest };
}

/** Upstream's String(): name[:tag][@digest], or the digest alone for a digest-only reference. */
export function referenceString(ref: Reference): string {
  let out = ref.name;
  if (ref.tag !== null) out += `:${ref.tag}`;
  if (ref.digest !== null) out = out === '' ? ref.digest : `${out}@${ref.digest}`;
  return out;
}

function tooLong(input: string, pathLength: number): ImageReferenceError {
  return new ImageReferenceError(
    'name_too_long',
    input,
    `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters: the path of ${quote(input)} has ${pathLength}`,
    'path',
  );
}

/** Lowercases exactly the characters whose Go `unicode.ToLower` is ASCII; others cannot match the grammar anyway. */
function lowerForGrammar(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let lower = -1;
    if (c >= 0x41 && c <= 0x5a) lower = c + 0x20;
    else if (c === 0x130)
      lower = 0x69; // LATIN CAPITAL LETTER I WITH DOT ABOVE → i (simple mapping)
    else if (c === 0x212a) lower = 0x6b; // KELVIN SIGN → k
    if (lower !== -1) {
      out += s.slice(from, i) + String.fromCharCode(lower);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

function invalidFormat(s: string, input: string): ImageReferenceError {
  // Explain the caller's own text first, so the parts quoted are the ones they wrote.
  const why = (input !== s ? explainReference(input) : null) ?? explainReference(s);
  return new ImageReferenceError(
    'invalid_reference_format',
    input,
    `invalid reference format: ${quote(input)}: ${why?.reason ?? 'does not match the reference grammar'}`,
    why?.part ?? null,
  );
}

/**
 * Where the parts of `s` are when it is a valid reference (grammar, path length, digest), else null. The
 * non-throwing core shared by every parser; errors are worked out separately, only when needed.
 */
export function inspectReference(s: string, options: ParseOptions | undefined): ReferenceSpans | null {
  const spans = splitReference(s);
  if (spans === null) return null;
  const pathLength = spans.nameEnd - (spans.domainSlash === NO_DOMAIN ? 0 : spans.domainSlash + 1);
  if (pathLength > REPOSITORY_NAME_TOTAL_LENGTH_MAX) return null;
  if (spans.digestStart !== -1 && !isValidDigest(s.slice(spans.digestStart), options)) return null;
  return spans;
}

/**
 * The error upstream's Parse returns for an invalid `s`, in its order: empty, grammar (uppercase when
 * lowercasing would fix it), path length, digest. `input` is the caller's original text when `s` was derived
 * from it (normalisation), for the message.
 */
export function referenceError(
  s: string,
  options: ParseOptions | undefined,
  input: string,
): ImageReferenceError {
  if (s.length === 0) {
    return new ImageReferenceError(
      'name_empty',
      input,
      'repository name must have at least one component',
      'name',
    );
  }
  const spans = splitReference(s);
  if (spans === null) {
    const lower = lowerForGrammar(s);
    if (lower !== s && splitReference(lower) !== null) {
      return new ImageReferenceError(
        'name_contains_uppercase',
        input,
        `repository name must be lowercase: ${quote(input)}`,
        'path',
      );
    }
    return invalidFormat(s, input);
  }
  const pathLength = spans.nameEnd - (spans.domainSlash === NO_DOMAIN ? 0 : spans.domainSlash + 1);
  if (pathLength > REPOSITORY_NAME_TOTAL_LENGTH_MAX) return tooLong(input, pathLength);
  if (spans.digestStart !== -1) {
    const problem = digestError(s.slice(spans.digestStart), input, options);
    if (problem !== null) return problem;
  }
  throw new Error(`referenceError called on a valid reference: ${quote(s)}`);
}

/** inspectReference, throwing upstream's error when `s` is not a reference. */
export function checkReference(s: string, options: ParseOptions | undefined, input: string): ReferenceSpans {
  const spans = inspectReference(s, options);
  if (spans === null) throw referenceError(s, options, input);
  return spans;
}

/** The Reference that `spans` (from checkReference) describe in `s`. */
export function referenceFromSpans(s: string, spans: ReferenceSpans): Reference {
  const { nameEnd, domainSlash, tagStart, digestStart } = spans;
  const name = nameEnd === s.length ? s : s.slice(0, nameEnd);
  return {
    domain: domainSlash === NO_DOMAIN ? '' : s.slice(0, domainSlash),
    path: domainSlash === NO_DOMAIN ? name : s.slice(domainSlash + 1, nameEnd),
    name,
    tag: tagStart === -1 ? null : s.slice(tagStart, digestStart === -1 ? s.length : digestStart - 1),
    digest: digestStart === -1 ? null : s.slice(digestStart),
  };
}

/** Parse: the reference grammar without normalisation (no docker.io, no library/, no default tag). */
export function parse(s: string, options?: ParseOptions, input: string = s): Reference {
  return referenceFromSpans(s, checkReference(s, options, input));
}

/** WithName: a bare repository name (no tag or digest), split into domain and path without normalising. */
export function withName(name: string): Reference {
  const domainSlash = splitName(name, 0, name.length);
  if (domainSlash === NOT_A_NAME) {
    const why = explainName(name);
    throw new ImageReferenceError(
      'invalid_reference_format',
      name,
      `invalid reference format: ${quote(name)}: ${why?.reason ?? 'not a repository name'}`,
      why?.part ?? 'name',
    );
  }
  const domain = domainSlash === NO_DOMAIN ? '' : name.slice(0, domainSlash);
  const path = domainSlash === NO_DOMAIN ? name : name.slice(domainSlash + 1);
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw tooLong(name, path.length);
  return makeReference(domain, path, null, null);
}

/** WithTag: the same name (and digest) with `tag`, which must satisfy the tag grammar. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!isTag(tag, 0, tag.length)) {
    throw new ImageReferenceError(
      'tag_invalid',
      tag,
      `invalid tag format: ${quote(tag)} must be 1-${TAG_MAX_LENGTH} characters of [A-Za-z0-9_.-], not starting with "." or "-"`,
      'tag',
    );
  }
  return makeReference(ref.domain, ref.path, tag, ref.digest);
}
