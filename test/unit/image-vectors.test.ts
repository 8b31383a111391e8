import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  familiarString,
  ImageReferenceError,
  type ImageReferenceErrorCode,
  isValidDomain,
  type ParseOptions,
  parse,
  parseAnyReference,
  parseDockerRef,
  parseNamed,
  parseNormalizedNamed,
  type Reference,
  referenceString,
  withName,
} from '../../lib/image/index.ts';

/** One record of test/fixtures/reference-vectors.json (see ../shared/README.md). */
interface Vector {
  input: string;
  mode: 'docker_ref' | 'normalize' | 'any' | 'canonical' | 'parse' | 'name' | 'domain';
  valid: boolean;
  domain: string | null;
  path: string | null;
  tag: string | null;
  digest: string | null;
  familiar: string | null;
  canonical: string | null;
  error: string | null;
  source: string | string[];
  asserted: string[];
  note?: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/reference-vectors.json', import.meta.url), 'utf8'),
) as Vector[];

/** Upstream error sentinels → our codes. A fixture naming any other error fails its test. */
const UPSTREAM_ERRORS: Record<string, ImageReferenceErrorCode> = {
  ErrReferenceInvalidFormat: 'invalid_reference_format',
  ErrNameEmpty: 'name_empty',
  ErrNameTooLong: 'name_too_long',
  ErrNameContainsUppercase: 'name_contains_uppercase',
  ErrNameNotCanonical: 'name_not_canonical',
  ErrTagInvalidFormat: 'tag_invalid',
  ErrDigestInvalidFormat: 'digest_invalid',
  'digest.ErrDigestInvalidFormat': 'digest_invalid',
  'digest.ErrDigestInvalidLength': 'digest_invalid_length',
  'digest.ErrDigestUnsupported': 'digest_unsupported',
};

/**
 * Which digest algorithms the upstream test binary linked. distribution/reference@0965666's tests imported
 * only crypto/sha256, so go-digest reported sha512 as unsupported there; containerd's tests (like kubelet
 * and containerd themselves) link sha512 too. Both behaviours are real, so each vector runs under the
 * configuration of the suite it came from.
 */
function optionsFor(vector: Vector): ParseOptions | undefined {
  const sources = Array.isArray(vector.source) ? vector.source : [vector.source];
  return sources.every((source) => source.startsWith('distribution/reference@'))
    ? { digestAlgorithms: ['sha256'] }
    : undefined;
}

interface Outcome {
  valid: boolean;
  error: string | null;
  domain: string | null;
  path: string | null;
  name: string | null;
  tag: string | null;
  digest: string | null;
  familiar: string | null;
  canonical: string | null;
}

function fromReference(ref: Reference): Outcome {
  return {
    valid: true,
    error: null,
    domain: ref.domain,
    path: ref.path,
    name: ref.name,
    tag: ref.tag,
    digest: ref.digest,
    familiar: familiarString(ref),
    canonical: referenceString(ref),
  };
}

const INVALID: Omit<Outcome, 'error'> = {
  valid: false,
  domain: null,
  path: null,
  name: null,
  tag: null,
  digest: null,
  familiar: null,
  canonical: null,
};

function run(vector: Vector): Outcome {
  const options = optionsFor(vector);
  try {
    switch (vector.mode) {
      case 'docker_ref':
        return fromReference(parseDockerRef(vector.input, options));
      case 'normalize':
        return fromReference(parseNormalizedNamed(vector.input, options));
      case 'any':
        return fromReference(parseAnyReference(vector.input, options));
      case 'canonical':
        return fromReference(parseNamed(vector.input, options));
      case 'parse':
        return fromReference(parse(vector.input, options));
      case 'name':
        return fromReference(withName(vector.input));
      case 'domain':
        return isValidDomain(vector.input)
          ? { ...INVALID, valid: true, error: null, domain: vector.input }
          : { ...INVALID, error: null };
    }
  } catch (err) {
    if (err instanceof ImageReferenceError) return { ...INVALID, error: err.code };
    throw err;
  }
  throw new Error(`unknown vector mode ${JSON.stringify(vector.mode)}`);
}

describe('reference vectors (distribution/reference and containerd test suites)', () => {
  it('the fixture holds vectors of every mode', () => {
    const modes = new Set(vectors.map((vector) => vector.mode));
    expect([...modes].sort()).toEqual([
      'any',
      'canonical',
      'docker_ref',
      'domain',
      'name',
      'normalize',
      'parse',
    ]);
    expect(vectors.length).toBeGreaterThanOrEqual(178);
  });

  vectors.forEach((vector, index) => {
    const title = `#${index} ${vector.mode} ${JSON.stringify(vector.input).slice(0, 90)} → ${
      vector.valid ? 'valid' : `invalid${vector.error ? ` (${vector.error})` : ''}`
    }`;
    it(title, () => {
      const outcome = run(vector);
      expect(vector.asserted.length).toBeGreaterThan(0);
      for (const field of vector.asserted) {
        switch (field) {
          case 'valid':
            expect(outcome.valid, 'valid').toBe(vector.valid);
            break;
          case 'error': {
            const code = vector.error === null ? null : UPSTREAM_ERRORS[vector.error];
            expect(code, `fixture error ${vector.error} has a code`).toBeDefined();
            expect(outcome.error, 'error').toBe(code);
            break;
          }
          case 'path(via name)': {
            // Upstream checks Name() (domain/path) here, the vector's path being Name() minus the domain.
            const expected = vector.domain ? `${vector.domain}/${vector.path}` : vector.path;
            expect(outcome.name, 'name').toBe(expected);
            break;
          }
          case 'domain':
          case 'path':
          case 'tag':
          case 'digest':
          case 'familiar':
          case 'canonical':
            expect(outcome[field], field).toBe(vector[field]);
            break;
          default:
            throw new Error(`unknown asserted field ${JSON.stringify(field)}`);
        }
      }
    });
  });
});
