import type { MiddlewareObj } from '@middy/core';
import ssm from '@middy/ssm';

/**
 * SecureString parameters (the Slack bot token and signing secret) for a Lambda, through middy's ssm
 * middleware: fetched at cold start (prefetch) in one GetParameters call with decryption, cached for
 * `cacheSeconds`, and set on the Lambda context under the given keys before the handler runs. Values never
 * pass through logs; a missing parameter fails the invocation with the parameter's name only.
 */
export interface SsmParametersOptions {
  /** Context key → parameter name (or ARN). */
  parameters: Record<string, string>;
  /** A local stand-in of the SSM API in tests; unset in AWS. */
  endpoint?: string;
  region?: string;
  cacheSeconds?: number;
  /** Distinct per function: middy's cache is process-wide. */
  cacheKey: string;
}

export function ssmParameters(options: SsmParametersOptions): MiddlewareObj {
  return ssm({
    fetchData: options.parameters,
    setToContext: true,
    cacheKey: options.cacheKey,
    cacheExpiry: (options.cacheSeconds ?? 300) * 1000,
    awsClientOptions: {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
      maxAttempts: 2,
    },
  }) as MiddlewareObj;
}
