import { ECRClient, type ECRClientConfig, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { PullwatchError } from '../errors.ts';
import type { EcrAuthorization } from '../registry/credentials.ts';
import { Secret } from '../registry/secret.ts';

/**
 * Amazon ECR registry credentials: GetAuthorizationToken with the process's own AWS identity (the notify
 * Lambda's role) returns `AWS:<password>` valid for 12 hours. One client per region; lib/registry caches
 * the result until shortly before it expires.
 */
export class EcrError extends PullwatchError {
  override readonly name: string = 'EcrError';
}

export function ecrAuthorizationProvider(
  config: Omit<ECRClientConfig, 'region'> = {},
): (request: { region: string; registryId?: string }) => Promise<EcrAuthorization> {
  const clients = new Map<string, ECRClient>();
  const clientFor = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new ECRClient({ maxAttempts: 2, ...config, region });
      clients.set(region, client);
    }
    return client;
  };
  return async ({ region, registryId }) => {
    let data: { authorizationToken?: string; expiresAt?: Date } | undefined;
    try {
      const output = await clientFor(region).send(
        new GetAuthorizationTokenCommand(registryId ? { registryIds: [registryId] } : {}),
      );
      data = output.authorizationData?.[0];
    } catch (error) {
      const name = (error as { name?: string } | null)?.name ?? 'Error';
      throw new EcrError(
        name === 'AccessDeniedException' ? 'ecr_access_denied' : 'ecr_token_failed',
        `ECR GetAuthorizationToken in ${region}${registryId ? ` for ${registryId}` : ''} failed: ${name}`,
        { cause: error },
      );
    }
    const decoded = data?.authorizationToken
      ? Buffer.from(data.authorizationToken, 'base64').toString('utf8')
      : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new EcrError('ecr_token_invalid', `ECR in ${region} returned no usable authorization token`);
    return {
      username: decoded.slice(0, colon),
      password: new Secret(decoded.slice(colon + 1)),
      expiresAt: data?.expiresAt ? data.expiresAt.getTime() : Date.now() + 12 * 3600_000,
    };
  };
}
