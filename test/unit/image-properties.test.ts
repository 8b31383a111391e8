import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_DOMAIN, splitName, splitReference } from '../../lib/image/grammar.ts';
import {
  familiarString,
  ImageReferenceError,
  isValidDigest,
  isValidDomain,
  isValidName,
  isValidTag,
  parse,
  parseDockerRef,
  parseImageReference,
  parseNamed,
  parseNormalizedNamed,
  referenceString,
  tryParseImageReference,
  validateDigest,
} from '../../lib/image/index.ts';

/**
 * Upstream's regexps (distribution/reference regexp.go), transcribed for a differential test. Go's regexp
 * matches leftmost-first like JavaScript's, so the capture groups agree. The scanners under test must give
 * the same answers; these regexps backtrack, so they are only run on short generated strings.
 */
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const domainAndPort = `(?:${domainName}|${ipv6address})${optionalPort}`;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;
const upstream = {
  reference: new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`),
  name: new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`),
  domain: new RegExp(`^${domainAndPort}$`),
  tag: new RegExp(`^${tagPat}$`),
};

const HEX64 = 'e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';

/** Pieces that make up real references, so that generated strings are often valid and often nearly so. */
const token = fc.constantFrom(
  'a',
  'b',
  'z9',
  '0',
  'A',
  'Z',
  '.',
  '..',
  '_',
  '__',
  '-',
  '/',
  ':',
  '@',
  '[',
  ']',
  '::1',
  'fe80',
  '%',
  ' ',
  'localhost',
  'docker.io',
  'index.docker.io',
  'library',
  'nginx',
  'example.com',
  ':5000',
  'sha256:',
  'sha512:',
  'md5:',
  'SHA256:',
  HEX64,
  HEX64.slice(0, 32),
  HEX64.toUpperCase(),
  'latest',
  'v1.2',
  '\u212A',
  'é',
);
const tokenString = fc.array(token, { maxLength: 12 }).map((parts) => parts.join(''));
const alphabetString = fc.string({
  unit: fc.constantFrom(...'abz09AZ._-/:@[]% f'.split('')),
  maxLength: 40,
});
const anyString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  alphabetString,
  tokenString,
);

/** Valid references built from the grammar, with every optional part. */
const lowerAlnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')),
  minLength: 1,
  maxLength: 6,
});
const pathComponentArb = fc
  .tuple(
    lowerAlnum,
    fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '---'), lowerAlnum), { maxLength: 2 }),
  )
  .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
const hostLabel = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019-'.split('')), minLength: 1, maxLength: 8 })
  .filter((label) => !label.startsWith('-') && !label.endsWith('-'));
const domainArb = fc.tuple(
  fc.oneof(
    fc.array(hostLabel, { minLength: 2, maxLength: 3 }).map((labels) => labels.join('.')),
    fc.constantFrom('localhost', 'docker.io', 'index.docker.io', '[::1]', '[2001:db8::1]', '127.0.0.1'),
  ),
  fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
);
const validReference = fc
  .record({
    domain: fc.option(domainArb, { nil: undefined }),
    path: fc.array(pathComponentArb, { minLength: 1, maxLength: 3 }),
    tag: fc.option(
      fc
        .string({ unit: fc.constantFrom(...'aZ9_.-'.split('')), minLength: 1, maxLength: 10 })
        .filter((t) => /^\w/.test(t)),
      { nil: undefined },
    ),
    digest: fc.option(fc.constantFrom(`sha256:${HEX64}`, `sha512:${HEX64}${HEX64}`), { nil: undefined }),
  })
  .map(({ domain, path, tag, digest }) => {
    let out = path.join('/');
    if (domain !== undefined) out = `${domain[0]}${domain[1] === undefined ? '' : `:${domain[1]}`}/${out}`;
    if (tag !== undefined) out += `:${tag}`;
    if (digest !== undefined) out += `@${digest}`;
    return out;
  });

function onlyTypedErrors(input: string): void {
  try {
    parseImageReference(input);
  } catch (err) {
    if (!(err instanceof ImageReferenceError)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
    expect(err.input).toBe(input);
  }
}

describe('image reference properties', () => {
  it('arbitrary strings never throw anything but ImageReferenceError', () => {
    fc.assert(fc.property(anyString, onlyTypedErrors), { numRuns: 3000 });
  });

  it('tryParseImageReference never throws, and is null exactly when parseImageReference throws', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, validReference), (input) => {
        const ref = tryParseImageReference(input);
        let thrown: unknown = null;
        let parsed: unknown = null;
        try {
          parsed = parseImageReference(input);
        } catch (err) {
          thrown = err;
        }
        expect(thrown === null || thrown instanceof ImageReferenceError).toBe(true);
        expect(ref === null).toBe(thrown !== null);
        if (ref !== null) expect(ref).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('isValidDigest accepts exactly what validateDigest accepts', () => {
    const digestLike = fc.oneof(
      alphabetString,
      tokenString,
      fc.constantFrom(`sha256:${HEX64}`, `sha384:${HEX64}${HEX64.slice(0, 32)}`, `sha512:${HEX64}${HEX64}`),
    );
    fc.assert(
      fc.property(digestLike, (digest) => {
        let accepted = true;
        try {
          validateDigest(digest);
        } catch (err) {
          if (!(err instanceof ImageReferenceError)) throw err;
          accepted = false;
        }
        expect(isValidDigest(digest)).toBe(accepted);
      }),
      { numRuns: 2000 },
    );
  });

  it('generated references from the grammar are valid', () => {
    fc.assert(
      fc.property(validReference, (input) => {
        expect(() => parseImageReference(input)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it('canonical output re-parses to itself, and the familiar form to the same canonical', () => {
    fc.assert(
      fc.property(fc.oneof(validReference, tokenString, alphabetString), (input) => {
        const ref = tryParseImageReference(input);
        if (ref === null) return;
        const again = parseImageReference(ref.canonical);
        expect(again.canonical).toBe(ref.canonical);
        expect(again).toEqual({ ...ref, input: ref.canonical });
        expect(parseImageReference(ref.familiar).canonical).toBe(ref.canonical);
        // The canonical form is what ParseNamed accepts, and Parse (no normalisation) reads its parts back.
        expect(referenceString(parseNamed(ref.canonical))).toBe(ref.canonical);
        const raw = parse(ref.canonical);
        expect([raw.domain, raw.path, raw.tag, raw.digest]).toEqual([
          ref.registry,
          ref.repository,
          ref.tag,
          ref.digest,
        ]);
        expect(ref.tag === null).toBe(ref.digest !== null);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseImageReference is ParseDockerRef composed from the upstream-named functions', () => {
    fc.assert(
      fc.property(fc.oneof(validReference, tokenString, alphabetString), (input) => {
        let expected: unknown;
        try {
          const ref = parseDockerRef(input);
          const canonical = referenceString(ref);
          const familiar = familiarString(ref);
          const roundTrips = tryParseImageReference(familiar)?.canonical === canonical;
          expected = {
            input,
            registry: ref.domain,
            repository: ref.path,
            name: ref.name,
            tag: ref.tag,
            digest: ref.digest,
            canonical,
            familiar: roundTrips ? familiar : canonical,
          };
        } catch (err) {
          if (!(err instanceof ImageReferenceError)) throw err;
          expected = err.code;
        }
        let actual: unknown;
        try {
          actual = { ...parseImageReference(input) };
        } catch (err) {
          if (!(err instanceof ImageReferenceError)) throw err;
          actual = err.code;
        }
        expect(actual).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('normalised names are stable: normalising the canonical string changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(validReference, tokenString), (input) => {
        let canonical: string;
        try {
          canonical = referenceString(parseNormalizedNamed(input));
        } catch (err) {
          if (err instanceof ImageReferenceError) return;
          throw err;
        }
        expect(referenceString(parseNormalizedNamed(canonical))).toBe(canonical);
      }),
      { numRuns: 2000 },
    );
  });

  it('the scanners agree with upstream’s regexps on the reference split', () => {
    fc.assert(
      fc.property(fc.oneof(alphabetString, tokenString, validReference), (input) => {
        const match = upstream.reference.exec(input);
        const spans = splitReference(input);
        expect(spans === null).toBe(match === null);
        if (match === null || spans === null) return;
        const name = input.slice(0, spans.nameEnd);
        expect(name).toBe(match[1]);
        const tag =
          spans.tagStart === -1
            ? undefined
            : input.slice(spans.tagStart, spans.digestStart === -1 ? undefined : spans.digestStart - 1);
        expect(tag).toBe(match[2]);
        const digest = spans.digestStart === -1 ? undefined : input.slice(spans.digestStart);
        expect(digest).toBe(match[3]);
        const nameMatch = upstream.name.exec(name);
        const domain = spans.domainSlash === NO_DOMAIN ? undefined : name.slice(0, spans.domainSlash);
        expect(domain).toBe(nameMatch?.[1]);
      }),
      { numRuns: 5000 },
    );
  });

  it('the name, domain and tag predicates agree with upstream’s regexps', () => {
    fc.assert(
      fc.property(fc.oneof(alphabetString, tokenString), (input) => {
        expect(isValidName(input)).toBe(upstream.name.test(input));
        expect(isValidDomain(input)).toBe(upstream.domain.test(input));
        expect(isValidTag(input)).toBe(upstream.tag.test(input));
        const split = splitName(input, 0, input.length);
        const nameMatch = upstream.name.exec(input);
        if (nameMatch !== null) {
          expect(split === NO_DOMAIN ? undefined : input.slice(0, split)).toBe(nameMatch[1]);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
