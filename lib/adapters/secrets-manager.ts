import {
  GetSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { PullwatchError } from '../errors.ts';

/**
 * Registry credentials stored in AWS Secrets Manager (the registry config's `secretArn`). Returns the secret
 * string; lib/registry parses it. Errors name the secret and the AWS error, never the value.
 */
export class SecretsManagerError extends PullwatchError {
  override readonly name: string = 'SecretsManagerError';
}

const CODES: Record<string, string> = {
  ResourceNotFoundException: 'secret_not_found',
  AccessDeniedException: 'secret_access_denied',
  DecryptionFailure: 'secret_decryption_failed',
  InvalidRequestException: 'secret_unavailable',
};

export function secretsManagerReader(
  config: SecretsManagerClientConfig = {},
): (secretId: string) => Promise<string> {
  const client = new SecretsManagerClient({ maxAttempts: 2, ...config });
  return async (secretId) => {
    try {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (output.SecretString !== undefined) return output.SecretString;
      if (output.SecretBinary !== undefined) return Buffer.from(output.SecretBinary).toString('utf8');
      throw new SecretsManagerError('secret_empty', `secret ${secretId} has no value`);
    } catch (error) {
      if (error instanceof SecretsManagerError) throw error;
      const name = (error as { name?: string } | null)?.name ?? 'Error';
      throw new SecretsManagerError(
        CODES[name] ?? 'secret_read_failed',
        `Secrets Manager could not return ${secretId}: ${name}`,
        {
          cause: error,
        },
      );
    }
  };
}
