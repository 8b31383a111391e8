import { describe, expect, it } from 'vitest';
import { PullwatchError } from '../../lib/errors.ts';
import {
  familiarString,
  ImageReferenceError,
  type ImageReferenceErrorCode,
  isValidDomain,
  isValidName,
  isValidPath,
  isValidTag,
  parse,
  parseAnyReference,
  parseImageReference,
  parseNamed,
  parseNormalizedNamed,
  referenceString,
  splitDockerDomain,
  tryParseImageReference,
  withName,
  withTag,
} from '../../lib/image/index.ts';

const SHA256 = 'sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582';
const SHA384 = `sha384:${'a1'.repeat(48)}`;
const SHA512 = `sha512:${'f0'.repeat(64)}`;

function failure(fn: () => unknown): ImageReferenceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ImageReferenceError) return err;
    throw err;
  }
  throw new Error('expected an ImageReferenceError, but parsing succeeded');
}

function code(fn: () => unknown): ImageReferenceErrorCode {
  return failure(fn).code;
}

describe('parseImageReference: Docker Hub normalisation', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['nginx:1.25', 'docker.io/library/nginx:1.25', 'nginx:1.25'],
    ['library/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['docker.io/library/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['index.docker.io/nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1', 'nginx:1'],
    ['index.docker.io/dmcgowan/myapp', 'docker.io/dmcgowan/myapp:latest', 'dmcgowan/myapp:latest'],
    ['dmcgowan/myapp', 'docker.io/dmcgowan/myapp:latest', 'dmcgowan/myapp:latest'],
    ['docker.io/library/foo/bar', 'docker.io/library/foo/bar:latest', 'library/foo/bar:latest'],
    ['bitnami/redis/sub:7', 'docker.io/bitnami/redis/sub:7', 'bitnami/redis/sub:7'],
  ])('%s → %s (familiar %s)', (input, canonical, familiar) => {
    const ref = parseImageReference(input);
    expect(ref.canonical).toBe(canonical);
    expect(ref.familiar).toBe(familiar);
    expect(ref.registry).toBe('docker.io');
    expect(ref.name).toBe(`${ref.registry}/${ref.repository}`);
    expect(ref.input).toBe(input);
  });

  it('keeps docker.io in the familiar form when dropping it would name another registry', () => {
    // Upstream FamiliarString gives "a.b/c" and "localhost/x", which parse as registries a.b and localhost.
    expect(parseImageReference('docker.io/a.b/c').familiar).toBe('docker.io/a.b/c:latest');
    expect(parseImageReference('docker.io/localhost/x:1').familiar).toBe('docker.io/localhost/x:1');
    expect(familiarString(parseNormalizedNamed('docker.io/a.b/c'))).toBe('a.b/c');
    expect(parseImageReference('docker.io/ab/c').familiar).toBe('ab/c:latest');
  });

  it('does not rewrite other Docker Hub host names (upstream only knows index.docker.io)', () => {
    const ref = parseImageReference('registry-1.docker.io/library/nginx');
    expect(ref.registry).toBe('registry-1.docker.io');
    expect(ref.canonical).toBe('registry-1.docker.io/library/nginx:latest');
  });

  it('returns every field for a full reference', () => {
    expect(parseImageReference('ghcr.io/acme/api:v1.2.3')).toEqual({
      input: 'ghcr.io/acme/api:v1.2.3',
      registry: 'ghcr.io',
      repository: 'acme/api',
      name: 'ghcr.io/acme/api',
      tag: 'v1.2.3',
      digest: null,
      canonical: 'ghcr.io/acme/api:v1.2.3',
      familiar: 'ghcr.io/acme/api:v1.2.3',
    });
  });
});

describe('parseImageReference: registry detection', () => {
  it.each([
    ['localhost/app', 'localhost', 'app'],
    ['localhost:5000/x', 'localhost:5000', 'x'],
    ['example.com/team/app', 'example.com', 'team/app'],
    ['registry:5000/app', 'registry:5000', 'app'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app'],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'api',
    ],
    ['europe-docker.pkg.dev/p/repo/img', 'europe-docker.pkg.dev', 'p/repo/img'],
    // Uppercase is illegal in a path, so an uppercase first component can only be a host.
    ['Foo/bar', 'Foo', 'bar'],
    ['LOCALDOMAIN/app', 'LOCALDOMAIN', 'app'],
    // A lowercase first component without '.' or ':' is a Docker Hub namespace.
    ['registry/app', 'docker.io', 'registry/app'],
    ['test_com/foo', 'docker.io', 'test_com/foo'],
  ])('%s → registry %s, repository %s', (input, registry, repository) => {
    const ref = parseImageReference(input);
    expect(ref.registry).toBe(registry);
    expect(ref.repository).toBe(repository);
  });

  it('keeps the familiar form of non-Hub registries, with the default tag', () => {
    expect(parseImageReference('localhost:5000/x').familiar).toBe('localhost:5000/x:latest');
    expect(parseImageReference('localhost:5000/x:1').familiar).toBe('localhost:5000/x:1');
  });

  it('treats a bare host-looking single component as a Hub image, as upstream does', () => {
    // Upstream FIXME: single components are never domains, so "localhost:5000" is image localhost, tag 5000.
    expect(parseImageReference('localhost').canonical).toBe('docker.io/library/localhost:latest');
    expect(parseImageReference('localhost:5000').canonical).toBe('docker.io/library/localhost:5000');
    expect(parseImageReference('example.com').canonical).toBe('docker.io/library/example.com:latest');
  });

  it('leaves the registry empty when the first component looks like a host but is not one', () => {
    // "foo_bar.com" has a '.', so it is split off as a domain, but '_' is not allowed in a host: upstream's
    // grammar then reads the whole name as a path with no domain.
    const ref = parseImageReference('foo_bar.com/app');
    expect(ref.registry).toBe('');
    expect(ref.repository).toBe('foo_bar.com/app');
    expect(ref.canonical).toBe('foo_bar.com/app:latest');
  });
});

describe('parseImageReference: ports and IPv6 hosts', () => {
  it.each([
    ['[::1]:5000/repo', '[::1]:5000', 'repo', 'latest'],
    ['[::1]:5000/repo:tag', '[::1]:5000', 'repo', 'tag'],
    ['[2001:db8::1]/repo', '[2001:db8::1]', 'repo', 'latest'],
    ['[fc00:1:2:3:4:5:6:7]:5000/library/debian', '[fc00:1:2:3:4:5:6:7]:5000', 'library/debian', 'latest'],
    ['127.0.0.1:443/a/b:c', '127.0.0.1:443', 'a/b', 'c'],
  ])('%s', (input, registry, repository, tag) => {
    const ref = parseImageReference(input);
    expect([ref.registry, ref.repository, ref.tag]).toEqual([registry, repository, tag]);
    expect(ref.canonical).toBe(`${registry}/${repository}:${tag}`);
  });

  it.each([
    '[::1]',
    '[::1]:5000',
    '[fe80::1%eth0]:5000/repo',
    '[::ffff:192.0.2.1]:5000/repo',
    '[]:5000/repo',
    'fc00::1:5000/debian',
    'localhost:http/app',
    'localhost:/app',
    'example.com:5000:6000/app',
  ])('rejects %s', (input) => {
    expect(code(() => parseImageReference(input))).toBe('invalid_reference_format');
  });

  it('says a bracketed IPv6 host needs a repository path', () => {
    expect(failure(() => parseImageReference('[::1]:5000')).message).toContain(
      'registry host without a repository path',
    );
  });
});

describe('parseImageReference: tags and digests', () => {
  it('adds :latest only when there is neither tag nor digest', () => {
    expect(parseImageReference('nginx').tag).toBe('latest');
    expect(parseImageReference('nginx:1').tag).toBe('1');
    const pinned = parseImageReference(`nginx@${SHA256}`);
    expect(pinned.tag).toBeNull();
    expect(pinned.digest).toBe(SHA256);
    expect(pinned.canonical).toBe(`docker.io/library/nginx@${SHA256}`);
    expect(pinned.familiar).toBe(`nginx@${SHA256}`);
  });

  it('drops the tag when a digest is also given, as ParseDockerRef does', () => {
    const ref = parseImageReference(`ghcr.io/acme/api:v1@${SHA256}`);
    expect(ref.tag).toBeNull();
    expect(ref.digest).toBe(SHA256);
    expect(ref.canonical).toBe(`ghcr.io/acme/api@${SHA256}`);
    expect(ref.familiar).toBe(`ghcr.io/acme/api@${SHA256}`);
  });

  it('keeps both in the lower-level normalised form', () => {
    const ref = parseNormalizedNamed(`busybox:1@${SHA256}`);
    expect(referenceString(ref)).toBe(`docker.io/library/busybox:1@${SHA256}`);
  });

  it('accepts tags of 1 to 128 word characters, dots and dashes, not starting with . or -', () => {
    expect(parseImageReference(`app:${'t'.repeat(128)}`).tag).toHaveLength(128);
    expect(parseImageReference('app:_x').tag).toBe('_x');
    expect(parseImageReference('app:V1.2-RC_3').tag).toBe('V1.2-RC_3');
    expect(code(() => parseImageReference(`app:${'t'.repeat(129)}`))).toBe('invalid_reference_format');
    expect(code(() => parseImageReference('app:.x'))).toBe('invalid_reference_format');
    expect(code(() => parseImageReference('app:-x'))).toBe('invalid_reference_format');
    expect(code(() => parseImageReference('app:'))).toBe('invalid_reference_format');
    expect(code(() => parseImageReference('app:a+b'))).toBe('invalid_reference_format');
  });

  it('names the tag and the limit when the tag is wrong', () => {
    const long = failure(() => parseImageReference(`app:${'t'.repeat(129)}`));
    expect(long.part).toBe('tag');
    expect(long.message).toContain('limit is 128');
    const bad = failure(() => parseImageReference('app:bad~tag'));
    expect(bad.part).toBe('tag');
    expect(bad.message).toContain('"bad~tag"');
  });

  it('accepts sha256, sha384 and sha512 digests of the right length', () => {
    expect(parseImageReference(`a@${SHA384}`).digest).toBe(SHA384);
    expect(parseImageReference(`a@${SHA512}`).digest).toBe(SHA512);
  });

  it('reports the expected length for a digest of the wrong length', () => {
    const err = failure(() => parseImageReference(`a@sha256:${'f'.repeat(63)}`));
    expect(err.code).toBe('digest_invalid_length');
    expect(err.part).toBe('digest');
    expect(err.message).toContain('64');
    expect(code(() => parseImageReference(`a@sha512:${'f'.repeat(64)}`))).toBe('digest_invalid_length');
  });

  it('rejects unknown algorithms as unsupported', () => {
    const err = failure(() => parseImageReference(`a@md5:${'f'.repeat(32)}`));
    expect(err.code).toBe('digest_unsupported');
    expect(err.message).toContain('"md5"');
    expect(code(() => parseImageReference(`a@sha256+b64:${'f'.repeat(64)}`))).toBe('digest_unsupported');
  });

  it('rejects uppercase hex (go-digest wants lowercase) and malformed algorithm names', () => {
    expect(code(() => parse(`a@sha256:${'F'.repeat(64)}`))).toBe('digest_invalid');
    expect(code(() => parse(`a@SHA256:${'f'.repeat(64)}`))).toBe('digest_invalid');
    // ParseNormalizedNamed checks case on everything before the first ':', digest algorithm included.
    expect(code(() => parseImageReference(`a@SHA256:${'f'.repeat(64)}`))).toBe('name_contains_uppercase');
  });

  it('rejects digests that are not algorithm:hex with at least 32 hex digits', () => {
    for (const digest of [
      `sha256:${'f'.repeat(31)}`,
      'sha256:',
      `:${'f'.repeat(64)}`,
      `1sha:${'f'.repeat(64)}`,
    ]) {
      const err = failure(() => parseImageReference(`a@${digest}`));
      expect(err.code).toBe('invalid_reference_format');
      expect(err.part).toBe('digest');
    }
    expect(code(() => parseImageReference(`a@${SHA256}@${SHA256}`))).toBe('invalid_reference_format');
  });

  it('treats sha512 as unsupported when only sha256 is available, like a binary without crypto/sha512', () => {
    expect(code(() => parse(`a@${SHA512}`, { digestAlgorithms: ['sha256'] }))).toBe('digest_unsupported');
    expect(parse(`a@${SHA256}`, { digestAlgorithms: ['sha256'] }).digest).toBe(SHA256);
  });

  it('reads a digest-looking name without "@" as name:tag, as kubelet does', () => {
    const hex = SHA256.slice('sha256:'.length);
    expect(parseImageReference(`sha256:${hex}`).canonical).toBe(`docker.io/library/sha256:${hex}`);
  });
});

describe('parseImageReference: names', () => {
  it('accepts the separators the grammar allows', () => {
    for (const name of ['a__b', 'a--b', 'a---b', 'a.b', 'a_b', 'a-b.c_d__e', 'x/0', 'a1/b2/c3']) {
      expect(parseImageReference(name).repository).toBe(name.includes('/') ? name : `library/${name}`);
    }
  });

  it.each([
    'a___b',
    'a..b',
    'a._b',
    'a_.b',
    'a.-b',
    '-a',
    'a-',
    '_a',
    'a_',
    '.a',
    'a.',
    'a//b',
    'a/',
    '/a',
    'a/-b',
  ])('rejects path %s', (input) => {
    const err = failure(() => parseImageReference(input));
    expect(err.code).toBe('invalid_reference_format');
    expect(err.part).toBe('path');
  });

  it('rejects an invalid registry host and says so', () => {
    const err = failure(() => parseImageReference('-bad.com/app'));
    expect(err.code).toBe('invalid_reference_format');
    expect(err.part).toBe('domain');
    expect(err.message).toContain('"-bad.com"');
  });

  it.each([
    ['docker/Docker', 'name_contains_uppercase'],
    ['Uppercase:tag', 'name_contains_uppercase'],
    ['localhost:5000/App', 'name_contains_uppercase'],
    ['ghcr.io/Acme/api', 'name_contains_uppercase'],
    // KELVIN SIGN lowercases to an ASCII "k" in Go, so upstream calls it an uppercase name.
    ['\u212Aubuntu', 'name_contains_uppercase'],
  ])('%s → %s', (input, expected) => {
    const err = failure(() => parseImageReference(input));
    expect(err.code).toBe(expected);
    expect(err.message).toContain('must be lowercase');
  });

  it('checks uppercase in Parse only when lowercasing would make the reference valid', () => {
    expect(code(() => parse('test:5000/Uppercase/lowercase:tag'))).toBe('name_contains_uppercase');
    expect(code(() => parse('Upper case'))).toBe('invalid_reference_format');
    expect(parse('lowercase:Uppercase').tag).toBe('Uppercase');
  });

  it('limits the repository path to 255 characters, domain not counted', () => {
    const path255 = `a/${'b'.repeat(253)}`;
    expect(parseImageReference(`registry.example.com:5000/${path255}`).repository).toBe(path255);
    const err = failure(() => parseImageReference(`registry.example.com/${path255}c`));
    expect(err.code).toBe('name_too_long');
    expect(err.part).toBe('path');
    expect(err.message).toContain('255');
    expect(err.message).toContain('256');
    // A single-component Hub name gains "library/", which counts.
    expect(parseImageReference('n'.repeat(247)).repository).toHaveLength(255);
    expect(code(() => parseImageReference('n'.repeat(248)))).toBe('name_too_long');
  });

  it('rejects a 64-hex string: that is an image ID, not a name', () => {
    const hex = SHA256.slice('sha256:'.length);
    const err = failure(() => parseImageReference(hex));
    expect(err.code).toBe('name_is_identifier');
    expect(parseImageReference(hex.slice(1)).repository).toBe(`library/${hex.slice(1)}`);
    expect(parseImageReference(`docker.io/${hex}`).repository).toBe(`library/${hex}`);
  });

  it.each([' nginx', 'nginx ', 'ngi nx', 'nginx\n', '\tnginx', 'nginx:1 ', `nginx@${SHA256} `])(
    'rejects whitespace: %j',
    (input) => {
      const err = failure(() => parseImageReference(input));
      expect(err.code).toBe('invalid_reference_format');
      expect(err.message).toContain('whitespace');
    },
  );

  it.each(['', ':tag', `@${SHA256}`, 'https://ghcr.io/acme/api', 'nginx:1@', 'ngïnx', 'a$b'])(
    'rejects %j',
    (input) => {
      expect(code(() => parseImageReference(input))).toBe('invalid_reference_format');
    },
  );
});

describe('errors', () => {
  it('are PullwatchErrors carrying the code, the input and the part', () => {
    const err = failure(() => parseImageReference('app:bad~tag'));
    expect(err).toBeInstanceOf(PullwatchError);
    expect(err.name).toBe('ImageReferenceError');
    expect(err.input).toBe('app:bad~tag');
    expect(err.message).toContain('"app:bad~tag"');
  });

  it('name the caller’s text, not the normalised one', () => {
    const err = failure(() => parseImageReference('a//b'));
    expect(err.input).toBe('a//b');
    expect(err.message).not.toContain('docker.io');
  });

  it('quote long input only in part, so a hostile string does not flood logs', () => {
    const input = `${'a'.repeat(5000)}!`;
    const err = failure(() => parseImageReference(input));
    expect(err.input).toBe(input);
    expect(err.message.length).toBeLessThan(600);
    expect(err.message).toContain('5001 characters');
  });

  it('fail on non-string input with the typed error', () => {
    expect(code(() => parseImageReference(undefined as unknown as string))).toBe('invalid_reference_format');
    expect(code(() => parseImageReference(42 as unknown as string))).toBe('invalid_reference_format');
  });

  it('stay typed on long hostile input (the scanners are linear)', () => {
    const hostile = [
      `${'a-'.repeat(200_000)}!`,
      `${'a.'.repeat(200_000)}/x`,
      `x/${'a__'.repeat(200_000)}`,
      `[${':'.repeat(400_000)}`,
      `a@${'a-'.repeat(200_000)}`,
      `a:${'b'.repeat(400_000)}`,
    ];
    for (const input of hostile) {
      expect(failure(() => parseImageReference(input)).code).toBe('invalid_reference_format');
    }
  });
});

describe('tryParseImageReference', () => {
  it('returns the reference or null, never throws', () => {
    expect(tryParseImageReference('nginx')?.canonical).toBe('docker.io/library/nginx:latest');
    expect(tryParseImageReference('Not Valid')).toBeNull();
    expect(tryParseImageReference('')).toBeNull();
    expect(tryParseImageReference(null as unknown as string)).toBeNull();
    expect(tryParseImageReference({} as unknown as string)).toBeNull();
  });
});

describe('lower-level functions', () => {
  it('parse does not normalise', () => {
    const ref = parse('nginx');
    expect([ref.domain, ref.path, ref.tag]).toEqual(['', 'nginx', null]);
    expect(parse('test.com:5000').tag).toBe('5000');
    expect(code(() => parse(''))).toBe('name_empty');
  });

  it('parseAnyReference reads image IDs and bare digests as digest-only references', () => {
    const hex = SHA256.slice('sha256:'.length);
    for (const input of [hex, SHA256]) {
      const ref = parseAnyReference(input);
      expect(ref.digest).toBe(SHA256);
      expect(ref.name).toBe('');
      expect(referenceString(ref)).toBe(SHA256);
    }
    expect(referenceString(parseAnyReference(SHA512))).toBe(SHA512);
    expect(referenceString(parseAnyReference('redis'))).toBe('docker.io/library/redis');
  });

  it('parseNamed accepts only canonical names', () => {
    expect(parseNamed('docker.io/library/nginx:1').tag).toBe('1');
    const err = failure(() => parseNamed('nginx:1'));
    expect(err.code).toBe('name_not_canonical');
    expect(err.message).toContain('"docker.io/library/nginx:1"');
  });

  it('withName splits without normalising and enforces the length limit', () => {
    expect(withName('library/ubuntu')).toMatchObject({ domain: 'library', path: 'ubuntu' });
    expect(withName('foo.com')).toMatchObject({ domain: '', path: 'foo.com' });
    expect(code(() => withName('a:b'))).toBe('invalid_reference_format');
    expect(code(() => withName(`x/${'a'.repeat(256)}`))).toBe('name_too_long');
  });

  it('withTag validates the tag', () => {
    const ref = withName('ghcr.io/acme/api');
    expect(referenceString(withTag(ref, 'v1'))).toBe('ghcr.io/acme/api:v1');
    expect(code(() => withTag(ref, '-v1'))).toBe('tag_invalid');
  });

  it('splitDockerDomain separates host and remainder', () => {
    expect(splitDockerDomain('nginx:1')).toEqual(['docker.io', 'library/nginx:1']);
    expect(splitDockerDomain('index.docker.io/foo')).toEqual(['docker.io', 'library/foo']);
    expect(splitDockerDomain('quay.io/foo/bar')).toEqual(['quay.io', 'foo/bar']);
    expect(splitDockerDomain('docker.io/foo:1')).toEqual(['docker.io', 'library/foo:1']);
    expect(splitDockerDomain('docker.io/foo/bar')).toEqual(['docker.io', 'foo/bar']);
    expect(splitDockerDomain('localhost/foo')).toEqual(['localhost', 'foo']);
    expect(splitDockerDomain('Foo/bar')).toEqual(['Foo', 'bar']);
    expect(splitDockerDomain('foo/bar')).toEqual(['docker.io', 'foo/bar']);
    expect(splitDockerDomain('localhostx/bar')).toEqual(['docker.io', 'localhostx/bar']);
  });

  it('grammar predicates', () => {
    expect(isValidDomain('registry.example.com:5000')).toBe(true);
    expect(isValidDomain('[2001:db8::1]:5000')).toBe(true);
    expect(isValidDomain('exa_mple.com')).toBe(false);
    expect(isValidDomain('example.com:')).toBe(false);
    expect(isValidName('Asdf.com/foo/bar')).toBe(true);
    expect(isValidName('Foo/FarB')).toBe(false);
    expect(isValidPath('library/nginx')).toBe(true);
    expect(isValidPath('localhost:5000/x')).toBe(false);
    expect(isValidTag('v1.0')).toBe(true);
    expect(isValidTag('v1/0')).toBe(false);
  });
});
