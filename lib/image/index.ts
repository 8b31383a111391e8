/**
 * Container image references, parsed and normalised exactly as kubelet and containerd do
 * (github.com/distribution/reference with go-digest). `parseImageReference` is the one most callers want;
 * the rest are the upstream functions it is built from, under upstream's names.
 */
export {
  DEFAULT_DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  isValidDigest,
  type ParseOptions,
  validateDigest,
} from './digest.ts';
export {
  type ImageReference,
  parseDockerRef,
  parseImageReference,
  tryParseImageReference,
} from './docker-ref.ts';
export { ImageReferenceError, type ImageReferenceErrorCode, type ReferencePart } from './errors.ts';
export {
  IDENTIFIER_LENGTH,
  isIdentifier,
  isValidDomain,
  isValidName,
  isValidPath,
  isValidTag,
  REPOSITORY_NAME_TOTAL_LENGTH_MAX,
  TAG_MAX_LENGTH,
} from './grammar.ts';
export {
  DEFAULT_DOMAIN,
  DEFAULT_TAG,
  familiarName,
  familiarString,
  LEGACY_DEFAULT_DOMAIN,
  OFFICIAL_REPO_PREFIX,
  parseAnyReference,
  parseNamed,
  parseNormalizedNamed,
  splitDockerDomain,
  tagNameOnly,
} from './normalize.ts';
export { parse, type Reference, referenceString, withName, withTag } from './reference.ts';
