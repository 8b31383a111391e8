import { PullwatchError } from '../errors.ts';

/**
 * One code per upstream error kind (distribution/reference and go-digest sentinels), so a caller can
 * branch on the same distinctions kubelet and containerd make:
 *
 * | code                       | upstream                                                        |
 * |----------------------------|-----------------------------------------------------------------|
 * | `invalid_reference_format` | ErrReferenceInvalidFormat                                       |
 * | `name_empty`               | ErrNameEmpty                                                    |
 * | `name_too_long`            | ErrNameTooLong (path longer than 255)                           |
 * | `name_contains_uppercase`  | ErrNameContainsUppercase, and ParseNormalizedNamed's "must be lowercase" |
 * | `name_not_canonical`       | ErrNameNotCanonical (ParseNamed)                                |
 * | `name_is_identifier`       | ParseNormalizedNamed's "cannot specify 64-byte hexadecimal strings" |
 * | `tag_invalid`              | ErrTagInvalidFormat (WithTag)                                   |
 * | `digest_invalid`           | digest.ErrDigestInvalidFormat / ErrDigestInvalidFormat          |
 * | `digest_invalid_length`    | digest.ErrDigestInvalidLength                                   |
 * | `digest_unsupported`       | digest.ErrDigestUnsupported                                     |
 */
export type ImageReferenceErrorCode =
  | 'invalid_reference_format'
  | 'name_empty'
  | 'name_too_long'
  | 'name_contains_uppercase'
  | 'name_not_canonical'
  | 'name_is_identifier'
  | 'tag_invalid'
  | 'digest_invalid'
  | 'digest_invalid_length'
  | 'digest_unsupported';

/** Which part of the reference is wrong, when one part can be blamed. */
export type ReferencePart = 'name' | 'domain' | 'path' | 'tag' | 'digest';

const QUOTE_MAX = 120;

/** Quotes input for an error message: escaped, and cut so a hostile megabyte never lands in a log line. */
export function quote(value: string): string {
  if (value.length <= QUOTE_MAX) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTE_MAX))}… (${value.length} characters)`;
}

export class ImageReferenceError extends PullwatchError {
  override readonly name: string = 'ImageReferenceError';
  declare readonly code: ImageReferenceErrorCode;
  /** The string that was being parsed. */
  readonly input: string;
  readonly part: ReferencePart | null;

  constructor(
    code: ImageReferenceErrorCode,
    input: string,
    message: string,
    part: ReferencePart | null = null,
  ) {
    super(code, message);
    this.input = input;
    this.part = part;
  }
}
