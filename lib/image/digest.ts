import { ImageReferenceError, quote } from './errors.ts';
import { isAlnum, isLowerAlnum, isLowerHex } from './grammar.ts';

/**
 * go-digest's digest validation (digest.Parse / Digest.Validate, v1.0.0).
 *
 * go-digest knows sha256, sha384 and sha512 (lowercase hex of 64, 96 and 128 characters), but an algorithm
 * is only "available" when the program links its hash. kubelet and containerd link crypto/sha256 and
 * crypto/sha512 (which also provides sha384), so all three are the default. distribution/reference's own
 * test binary linked only sha256, which is why its suite expects `sha512:…` to be unsupported; pass
 * `{ digestAlgorithms: ['sha256'] }` to reproduce that configuration.
 */
export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export const DEFAULT_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha384', 'sha512'];

export interface ParseOptions {
  /** The digest algorithms the emulated binary links; default sha256, sha384, sha512 (kubelet, containerd). */
  digestAlgorithms?: readonly DigestAlgorithm[];
}

function hexLengthOf(algorithm: string, options: ParseOptions | undefined): number | undefined {
  if (algorithm !== 'sha256' && algorithm !== 'sha384' && algorithm !== 'sha512') return undefined;
  const available = options?.digestAlgorithms;
  if (available !== undefined && !available.includes(algorithm)) return undefined;
  return HEX_LENGTH[algorithm];
}

/** go-digest's DigestRegexpAnchored: `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`. */
function matchesGoDigestPattern(s: string): boolean {
  let i = 0;
  const end = s.length;
  while (true) {
    const componentStart = i;
    while (i < end && isLowerAlnum(s.charCodeAt(i))) i++;
    if (i === componentStart || i >= end) return false;
    const c = s.charCodeAt(i);
    if (c === 0x3a) break;
    if (c !== 0x2e && c !== 0x2b && c !== 0x5f && c !== 0x2d) return false;
    i++;
  }
  i++;
  if (i >= end) return false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x3d && c !== 0x5f && c !== 0x2d) return false;
  }
  return true;
}

/**
 * go-digest's error for `digest`, or null when it is valid: `digest_invalid`, `digest_invalid_length` or
 * `digest_unsupported`, naming what is wrong. `input` is the whole reference, for the error.
 */
export function digestError(
  digest: string,
  input: string,
  options?: ParseOptions,
): ImageReferenceError | null {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon + 1 === digest.length) {
    return new ImageReferenceError(
      'digest_invalid',
      input,
      `invalid checksum digest format: ${quote(digest)} is not algorithm:encoded`,
      'digest',
    );
  }
  const algorithm = digest.slice(0, colon);
  const hexLength = hexLengthOf(algorithm, options);
  if (hexLength === undefined) {
    if (!matchesGoDigestPattern(digest)) {
      return new ImageReferenceError(
        'digest_invalid',
        input,
        `invalid checksum digest format: ${quote(digest)} (algorithm must be lowercase alphanumerics)`,
        'digest',
      );
    }
    const supported = (options?.digestAlgorithms ?? DEFAULT_DIGEST_ALGORITHMS).join(', ');
    return new ImageReferenceError(
      'digest_unsupported',
      input,
      `unsupported digest algorithm ${quote(algorithm)} (supported: ${supported})`,
      'digest',
    );
  }
  const encodedLength = digest.length - colon - 1;
  if (encodedLength !== hexLength) {
    return new ImageReferenceError(
      'digest_invalid_length',
      input,
      `invalid checksum digest length: ${algorithm} needs ${hexLength} hex characters, got ${encodedLength}`,
      'digest',
    );
  }
  for (let i = colon + 1; i < digest.length; i++) {
    if (!isLowerHex(digest.charCodeAt(i))) {
      return new ImageReferenceError(
        'digest_invalid',
        input,
        `invalid checksum digest format: ${algorithm} hex must be lowercase [0-9a-f], found ${quote(digest[i] ?? '')}`,
        'digest',
      );
    }
  }
  return null;
}

/** digest.Parse: returns `digest` when go-digest accepts it, else throws its error. */
export function validateDigest(digest: string, input: string = digest, options?: ParseOptions): string {
  const error = digestError(digest, input, options);
  if (error !== null) throw error;
  return digest;
}

/** digest.Parse as a predicate: the hot-path twin of digestError (ParseAnyReference, inspectReference). */
export function isValidDigest(digest: string, options?: ParseOptions): boolean {
  const colon = digest.indexOf(':');
  if (colon <= 0) return false;
  const hexLength = hexLengthOf(digest.slice(0, colon), options);
  if (hexLength === undefined || digest.length - colon - 1 !== hexLength) return false;
  for (let i = colon + 1; i < digest.length; i++) {
    if (!isLowerHex(digest.charCodeAt(i))) return false;
  }
  return true;
}
