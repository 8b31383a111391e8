import { PullwatchError } from '../errors.ts';

/**
 * Why a delivery to Slack or SNS failed, in the terms the notify Lambda decides on:
 * - `*_rate_limited`: wait `retryAfterSeconds` (when the service said) and try again;
 * - `*_server_error`, `*_network`: try again with backoff (`retryable`);
 * - `*_timeout`: the request may have been accepted (`ambiguous`): before re-posting, reconcile (look for the
 *   message) so a retry cannot post twice;
 * - `*_rejected`: final (bad channel, invalid blocks, missing scope, bad token): retrying cannot help.
 * `ambiguous` is also set on network errors after the request may have reached the service (a reset
 * connection), never on errors before it (connection refused, DNS).
 */
export type DeliveryService = 'slack' | 'sns';
export type DeliveryFailure = 'rate_limited' | 'server_error' | 'network' | 'timeout' | 'rejected';

export class DeliveryError extends PullwatchError {
  override readonly name: string = 'DeliveryError';
  readonly service: DeliveryService;
  readonly failure: DeliveryFailure;
  readonly retryable: boolean;
  readonly ambiguous: boolean;
  readonly retryAfterSeconds: number | null;
  /** The service's own error name (`channel_not_found`, `invalid_blocks`, `NotFoundException`), never a secret. */
  readonly detail: string | null;
  readonly status: number | null;
  /** The API method or operation (`chat.postMessage`, `Publish`, `response_url`). */
  readonly operation: string;

  constructor(
    fields: {
      service: DeliveryService;
      failure: DeliveryFailure;
      operation: string;
      message: string;
      ambiguous?: boolean;
      retryAfterSeconds?: number | null;
      detail?: string | null;
      status?: number | null;
    },
    options?: { cause?: unknown },
  ) {
    super(`${fields.service}_${fields.failure}`, `${fields.operation}: ${fields.message}`, options);
    this.service = fields.service;
    this.failure = fields.failure;
    this.operation = fields.operation;
    this.retryable = fields.failure !== 'rejected';
    this.ambiguous = fields.failure === 'timeout' || (fields.ambiguous ?? false);
    this.retryAfterSeconds = fields.retryAfterSeconds ?? null;
    this.detail = fields.detail ?? null;
    this.status = fields.status ?? null;
  }
}

export function isDeliveryError(err: unknown): err is DeliveryError {
  return err instanceof DeliveryError;
}

/** Network error codes that mean the request never reached the service: always safe to send again. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` (e.g. ECONNREFUSED) or timeout name along an error's cause chain. */
export function errorChainCode(err: unknown): { code: string | null; timeout: boolean } {
  let current: unknown = err;
  let code: string | null = null;
  let timeout = false;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth += 1) {
    const item = current as { code?: unknown; name?: unknown; cause?: unknown; original?: unknown };
    if (
      item.name === 'TimeoutError' ||
      item.code === 'ETIMEDOUT' ||
      item.code === 'UND_ERR_HEADERS_TIMEOUT'
    ) {
      timeout = true;
    }
    if (code === null && typeof item.code === 'string' && /^[A-Z_]+$/.test(item.code)) code = item.code;
    current = item.cause ?? item.original;
  }
  return { code, timeout };
}
