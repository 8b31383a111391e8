import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseRegistryConfig, RegistryConfigError } from '../../lib/registry/config.ts';
import {
  CredentialResolver,
  credentialHostKey,
  ecrHost,
  hostMatches,
  parseSecretString,
} from '../../lib/registry/credentials.ts';
import { Redactor, Secret } from '../../lib/registry/secret.ts';

describe('registry config', () => {
  it('fills defaults', () => {
    const config = parseRegistryConfig({});
    expect(config).toMatchObject({
      allowHosts: [],
      credentials: {},
      ecrAutoDetect: true,
      deadlineMs: 5000,
      timeouts: { dnsMs: 2000, connectMs: 2000, tlsMs: 2000, requestMs: 3000 },
      maxBodyBytes: 1024 * 1024,
    });
  });

  it('accepts the three kinds of credential reference', () => {
    const config = parseRegistryConfig({
      credentials: {
        'registry.example.com': { username: 'ci', passwordEnv: 'REGISTRY_PASSWORD' },
        'docker.io': { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub' },
        '*.dkr.ecr.*.amazonaws.com': { ecr: true },
      },
    });
    expect(Object.keys(config.credentials)).toHaveLength(3);
  });

  it('refuses a plaintext password, naming the field and what to use instead', () => {
    expect(() =>
      parseRegistryConfig({ credentials: { 'r.example.com': { username: 'u', password: 'hunter2' } } }),
    ).toThrow(
      /registry\.credentials\.r\.example\.com\.password: plaintext secrets are not read from config: use passwordEnv/,
    );
  });

  it('never echoes the refused password in the error', () => {
    try {
      parseRegistryConfig({
        credentials: { 'r.example.com': { username: 'u', password: 'hunter2-secret' } },
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RegistryConfigError);
      expect((error as RegistryConfigError).code).toBe('registry_config_invalid');
      expect((error as Error).message).not.toContain('hunter2-secret');
    }
  });

  it.each([
    [{ credentials: { r: { username: 'u' } } }, /exactly one of passwordEnv, secretArn or ecr/],
    [{ credentials: { r: { passwordEnv: 'P' } } }, /passwordEnv needs username or usernameEnv/],
    [{ credentials: { r: { passwordEnv: 'not a var', username: 'u' } } }, /environment variable name/],
    [{ credentials: { r: { ecr: true, region: 'Mars' } } }, /AWS region/],
    [{ credentials: { r: { ecr: true, colour: 'red' } } }, /unknown key/],
    [{ allowHosts: ['10.0.0.0/99'] }, /registry\.allowHosts\.0: allow-list entry/],
    [{ deadlineMs: 5 }, /registry\.deadlineMs/],
  ])('rejects %j', (input, message) => {
    expect(() => parseRegistryConfig(input)).toThrow(message);
  });
});

describe('credential hosts', () => {
  it('treats Docker Hub’s names as one', () => {
    expect(credentialHostKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(credentialHostKey('registry-1.docker.io')).toBe('docker.io');
    expect(hostMatches('docker.io', 'index.docker.io')).toBe(true);
  });

  it('matches * to exactly one DNS label', () => {
    expect(hostMatches('*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toBe(
      true,
    );
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(hostMatches('registry.example.com:5000', 'registry.example.com')).toBe(false);
  });

  it('recognises ECR hosts', () => {
    expect(ecrHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
    });
    expect(ecrHost('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com')?.region).toBe('us-east-1');
    expect(ecrHost('registry.example.com')).toBeNull();
  });
});

describe('stored secrets', () => {
  it('reads {username,password}', () => {
    const parsed = parseSecretString('{"username":"ci","password":"p@ss"}', 'r.example.com');
    expect(parsed.username).toBe('ci');
    expect(parsed.password.reveal()).toBe('p@ss');
  });

  it('reads a .dockerconfigjson by host, including Docker Hub’s legacy key', () => {
    const auth = Buffer.from('hubuser:hubpass').toString('base64');
    const text = JSON.stringify({
      auths: { 'https://index.docker.io/v1/': { auth }, 'other.io': { username: 'o', password: 'p' } },
    });
    expect(parseSecretString(text, 'docker.io').password.reveal()).toBe('hubpass');
    expect(parseSecretString(text, 'other.io').username).toBe('o');
    expect(() => parseSecretString(text, 'missing.io')).toThrow(/no "auths" entry for missing.io/);
  });

  it('errors never quote the secret', () => {
    for (const text of ['not json hunter2', '{"user":"hunter2"}']) {
      try {
        parseSecretString(text, 'r');
        expect.unreachable();
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });
});

describe('Secret and Redactor', () => {
  it('prints <secret> through every accidental path', () => {
    const secret = new Secret('hunter2-value');
    expect(String(secret)).toBe('<secret>');
    expect(`${secret}`).toBe('<secret>');
    expect(JSON.stringify({ secret })).toBe('{"secret":"<secret>"}');
    expect(inspect({ secret })).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2-value');
  });

  it('redacts values and their Basic encoding from text', () => {
    const redactor = new Redactor();
    redactor.addBasic('user', new Secret('hunter2-value'));
    const basic = Buffer.from('user:hunter2-value').toString('base64');
    expect(redactor.clean(`echo hunter2-value and Basic ${basic}`)).toBe('echo <secret> and Basic <secret>');
  });
});

describe('CredentialResolver', () => {
  const clock = () => 1_000_000;

  it('reads environment variables named in config, and says which one is missing', async () => {
    const config = parseRegistryConfig({
      credentials: { 'r.example.com': { usernameEnv: 'R_USER', passwordEnv: 'R_PASS' } },
    });
    const good = new CredentialResolver({ config, clock, env: { R_USER: 'ci', R_PASS: 'pw-123' } });
    const found = await good.resolve('r.example.com');
    expect(found.credential?.username).toBe('ci');
    expect(found.credential?.source).toBe('config');
    const missing = await new CredentialResolver({ config, clock, env: { R_USER: 'ci' } }).resolve(
      'r.example.com',
    );
    expect(missing).toEqual({ credential: null, error: 'environment variable R_PASS is not set' });
    expect((await good.resolve('other.example.com')).credential).toBeNull();
  });

  it('caches Secrets Manager reads for secretCacheSeconds and shares concurrent reads', async () => {
    let now = 0;
    let reads = 0;
    const config = parseRegistryConfig({
      credentials: { 'r.example.com': { secretArn: 'arn:x' } },
      secretCacheSeconds: 60,
    });
    const resolver = new CredentialResolver({
      config,
      clock: () => now,
      backends: {
        readSecret: async () => {
          reads++;
          return '{"username":"u","password":"p-123"}';
        },
      },
    });
    await Promise.all([resolver.resolve('r.example.com'), resolver.resolve('r.example.com')]);
    now = 59_000;
    await resolver.resolve('r.example.com');
    expect(reads).toBe(1);
    now = 61_000;
    await resolver.resolve('r.example.com');
    expect(reads).toBe(2);
  });

  it('uses ECR for ECR hosts without config, with the region and account from the host', async () => {
    const asked: unknown[] = [];
    const resolver = new CredentialResolver({
      config: parseRegistryConfig({}),
      clock,
      backends: {
        ecrAuthorization: async (request) => {
          asked.push(request);
          return { username: 'AWS', password: new Secret('ecr-pw'), expiresAt: clock() + 12 * 3600_000 };
        },
      },
    });
    const found = await resolver.resolve('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(found.credential?.source).toBe('ecr');
    expect(asked).toEqual([{ region: 'eu-west-1', registryId: '123456789012' }]);
    await resolver.resolve('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    expect(asked).toHaveLength(1);
  });

  it('turns a failing backend into an error message, not an exception', async () => {
    const resolver = new CredentialResolver({
      config: parseRegistryConfig({ credentials: { r: { secretArn: 'arn:x' } } }),
      clock,
      backends: {
        readSecret: async () => {
          throw new Error('Secrets Manager could not return arn:x: AccessDeniedException');
        },
      },
    });
    expect(await resolver.resolve('r')).toEqual({
      credential: null,
      error: 'Secrets Manager could not return arn:x: AccessDeniedException',
    });
  });
});
