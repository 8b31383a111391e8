import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrAuthorizationProvider } from '../../lib/adapters/ecr.ts';
import { secretsManagerReader } from '../../lib/adapters/secrets-manager.ts';
import { RegistryProber } from '../../lib/registry/index.ts';
import { pushImage } from '../support/images.ts';
import { type RunningRegistry, startRegistry } from '../support/registry.ts';
import { type AwsCall, type RunningServer, startAwsStandIn } from '../support/standins.ts';

/**
 * The ECR and Secrets Manager adapters through the real AWS SDK against a local stand-in of their AWS JSON
 * protocol, and the credentials they return used by the probe against the real (htpasswd) registry.
 */

const ECR_PASSWORD = 'ecr-Token-Password-5521';
const HUB_PASSWORD = 'sm-Stored-Password-8842';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-ci';
const DOCKERCONFIG_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-dockerconfig';

let aws: RunningServer & { calls: AwsCall[] };
let seed: RunningRegistry;
let locked: RunningRegistry;

const clientConfig = () => ({
  endpoint: aws.url,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
});

beforeAll(async () => {
  seed = await startRegistry();
  await pushImage({ url: seed.url }, 'team/api', 'v1');
  locked = await startRegistry({ storage: seed.storage, htpasswd: { AWS: ECR_PASSWORD, ci: HUB_PASSWORD } });
  aws = await startAwsStandIn({
    'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken': (body) => {
      const ids = (body.registryIds as string[] | undefined) ?? [];
      if (ids.includes('000000000000')) {
        return {
          status: 400,
          body: { __type: 'AccessDeniedException', message: `not authorized for ${ids[0]}` },
        };
      }
      return {
        body: {
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${ECR_PASSWORD}`).toString('base64'),
              expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
              proxyEndpoint: `https://${ids[0] ?? '123456789012'}.dkr.ecr.eu-west-1.amazonaws.com`,
            },
          ],
        },
      };
    },
    'secretsmanager.GetSecretValue': (body) => {
      if (body.SecretId === SECRET_ARN) {
        return {
          body: {
            ARN: SECRET_ARN,
            Name: 'registry-ci',
            SecretString: JSON.stringify({ username: 'ci', password: HUB_PASSWORD }),
          },
        };
      }
      if (body.SecretId === DOCKERCONFIG_ARN) {
        const auth = Buffer.from(`ci:${HUB_PASSWORD}`).toString('base64');
        return {
          body: {
            ARN: DOCKERCONFIG_ARN,
            Name: 'dc',
            SecretString: JSON.stringify({ auths: { [locked.host]: { auth } } }),
          },
        };
      }
      return {
        status: 400,
        body: {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        },
      };
    },
  });
});

afterAll(async () => {
  await locked?.stop();
  await seed?.stop();
  await aws?.stop();
});

describe('ECR adapter', () => {
  it('returns the decoded user and password with the expiry, over a signed request', async () => {
    const provider = ecrAuthorizationProvider(clientConfig());
    const token = await provider({ region: 'eu-west-1', registryId: '123456789012' });
    expect(token.username).toBe('AWS');
    expect(token.password.reveal()).toBe(ECR_PASSWORD);
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 11 * 3600_000);
    const call = aws.calls.at(-1);
    expect(call).toMatchObject({
      target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      signed: true,
    });
    expect(call?.body).toEqual({ registryIds: ['123456789012'] });
  });

  it('turns an AWS error into an EcrError that names the operation, not a secret', async () => {
    const provider = ecrAuthorizationProvider(clientConfig());
    await expect(provider({ region: 'eu-west-1', registryId: '000000000000' })).rejects.toMatchObject({
      code: 'ecr_access_denied',
      message: 'ECR GetAuthorizationToken in eu-west-1 for 000000000000 failed: AccessDeniedException',
    });
  });

  it('feeds the probe: ECR credentials open the registry, fetched once for several probes', async () => {
    const before = aws.calls.length;
    const prober = new RegistryProber({
      config: {
        allowHosts: [locked.host],
        credentials: { [locked.host]: { ecr: true, region: 'eu-west-1', registryId: '123456789012' } },
      },
      backends: { ecrAuthorization: ecrAuthorizationProvider(clientConfig()) },
    });
    const results = await Promise.all(
      [1, 2, 3].map(() => prober.probe({ registry: locked.host, repository: 'team/api', tag: 'v1' })),
    );
    for (const result of results) {
      expect(result.pullable).toBe(true);
      expect(result.auth.credentials).toBe('ecr');
      expect(JSON.stringify(result)).not.toContain(ECR_PASSWORD);
    }
    expect(aws.calls.length - before).toBe(1);
  });
});

describe('Secrets Manager adapter', () => {
  it('returns the secret string over a signed request', async () => {
    const read = secretsManagerReader(clientConfig());
    expect(JSON.parse(await read(SECRET_ARN))).toEqual({ username: 'ci', password: HUB_PASSWORD });
    expect(aws.calls.at(-1)).toMatchObject({
      target: 'secretsmanager.GetSecretValue',
      signed: true,
      body: { SecretId: SECRET_ARN },
    });
  });

  it('a missing secret is a SecretsManagerError with a stable code', async () => {
    const read = secretsManagerReader(clientConfig());
    await expect(read('arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope')).rejects.toMatchObject({
      code: 'secret_not_found',
    });
  });

  it.each([
    ['{username,password}', SECRET_ARN],
    ['.dockerconfigjson', DOCKERCONFIG_ARN],
  ])('feeds the probe with a %s secret', async (_kind, arn) => {
    const result = await new RegistryProber({
      config: { allowHosts: [locked.host], credentials: { [locked.host]: { secretArn: arn } } },
      backends: { readSecret: secretsManagerReader(clientConfig()) },
    }).probe({ registry: locked.host, repository: 'team/api', tag: 'v1' });
    expect(result.pullable).toBe(true);
    expect(result.auth.credentials).toBe('secrets-manager');
    expect(JSON.stringify(result)).not.toContain(HUB_PASSWORD);
  });

  it('a secret that cannot be read is reported in the evidence and the probe goes on anonymously', async () => {
    const result = await new RegistryProber({
      config: { allowHosts: [locked.host], credentials: { [locked.host]: { secretArn: 'arn:missing' } } },
      backends: { readSecret: secretsManagerReader(clientConfig()) },
    }).probe({ registry: locked.host, repository: 'team/api', tag: 'v1' });
    expect(result.cause).toBe('unauthorized');
    const step = result.steps.find((s) => s.step === 'credentials');
    expect(step?.ok).toBe(false);
    expect(step?.error).toMatch(/ResourceNotFoundException/);
  });
});
