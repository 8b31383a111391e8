import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs for every process (Lambda, forwarder, CLI). Powertools adds the Lambda context when
 * there is one and is plain JSON on stdout elsewhere. LOG_LEVEL sets the level (default INFO).
 */
export function createLogger(service: string, options: { level?: string } = {}): Logger {
  const level = (options.level ?? process.env.LOG_LEVEL ?? 'INFO').toUpperCase();
  return new Logger({ serviceName: service, logLevel: level as 'INFO' });
}

export type { Logger };
