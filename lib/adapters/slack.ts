import { ErrorCode, LogLevel, type RetryOptions, WebClient } from '@slack/web-api';
import type { SlackMessage } from '../notify/block-kit.ts';
import { DeliveryError, errorChainCode, NOT_SENT_CODES } from '../notify/delivery-error.ts';
import type { PostedMessage, SlackPort } from '../notify/port.ts';
import { METADATA_EVENT_TYPE } from '../notify/slack-message.ts';
import { clip } from '../notify/text.ts';

/** Slack's answers are loose JSON; each use checks the fields it reads. */
type WebAPICallResult = Record<string, unknown>;

/**
 * Slack Web API adapter for Lambda. The WebClient's defaults (ten retries over thirty minutes, waiting out
 * 429s inside the call) would outlive any function timeout and could post twice, so:
 * - 429 is never waited out here (`rejectRateLimitedCalls`): the caller gets `retryAfterSeconds` and decides;
 * - the client retries only what is safe to repeat: 5xx answers and connections that never reached Slack;
 * - a timeout is never retried: Slack may have accepted the post, so it surfaces as ambiguous for the caller
 *   to reconcile (findIncidentMessage) before posting again.
 */
export interface SlackAdapterOptions {
  token: string;
  /** Default https://slack.com/api/; tests point it at their stand-in. */
  slackApiUrl?: string;
  /** Per HTTP request, default 3,000 ms. */
  timeoutMs?: number;
  /** Retries of safe failures inside one call, default 2. */
  retries?: number;
  /** Where response_url posts may go; default Slack's hooks host only (the URL comes from a request body). */
  responseUrlPrefixes?: readonly string[];
  /** Pages of conversations.history to scan when reconciling, default 3 (of 100 messages). */
  historyPages?: number;
}

const DEFAULT_RESPONSE_URL_PREFIXES = ['https://hooks.slack.com/'];
const SLACK_SERVER_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export function createSlackAdapter(options: SlackAdapterOptions): SlackPort {
  const timeoutMs = options.timeoutMs ?? 3_000;
  // p-retry (under WebClient) honours onFailedAttempt: throwing there ends the retries with that error.
  const retryConfig: RetryOptions & { onFailedAttempt: (err: Error) => void } = {
    retries: options.retries ?? 2,
    factor: 2,
    minTimeout: 100,
    maxTimeout: 1_000,
    randomize: true,
    onFailedAttempt: (err: Error) => {
      if (!safeToRepeat(err)) throw err;
    },
  };
  const client = new WebClient(options.token, {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    timeout: timeoutMs,
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    // Absolute URLs would let a method name become a request anywhere with our token attached.
    allowAbsoluteUrls: false,
    retryConfig,
  });
  const prefixes = options.responseUrlPrefixes ?? DEFAULT_RESPONSE_URL_PREFIXES;
  const historyPages = options.historyPages ?? 3;

  async function call(method: string, args: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      return (await client.apiCall(method, args)) as unknown as WebAPICallResult;
    } catch (err) {
      throw translateSlackError(method, err);
    }
  }

  function posted(method: string, result: WebAPICallResult, channel: string): PostedMessage {
    const ts = typeof result.ts === 'string' ? result.ts : null;
    if (!ts) {
      throw new DeliveryError({
        service: 'slack',
        failure: 'rejected',
        operation: method,
        message: 'answer has no ts',
      });
    }
    return { channel: typeof result.channel === 'string' ? result.channel : channel, ts };
  }

  return {
    async postMessage(channel, message) {
      return posted(
        'chat.postMessage',
        await call('chat.postMessage', { ...messageArgs(message), channel }),
        channel,
      );
    },

    async update(channel, ts, message) {
      return posted(
        'chat.update',
        await call('chat.update', { ...messageArgs(message), channel, ts }),
        channel,
      );
    },

    async postThreadReply(channel, threadTs, message, replyOptions) {
      const args = {
        ...messageArgs(message),
        channel,
        thread_ts: threadTs,
        ...(replyOptions?.broadcast ? { reply_broadcast: true } : {}),
      };
      return posted('chat.postMessage', await call('chat.postMessage', args), channel);
    },

    async respond(responseUrl, payload) {
      if (!prefixes.some((prefix) => responseUrl.startsWith(prefix))) {
        throw new DeliveryError({
          service: 'slack',
          failure: 'rejected',
          operation: 'response_url',
          message: 'the response_url is not on an allowed Slack host',
        });
      }
      await postResponse(responseUrl, payload, timeoutMs);
    },

    async findIncidentMessage(channel, incidentKey, findOptions) {
      let cursor: string | undefined;
      for (let page = 0; page < historyPages; page += 1) {
        const result = await call('conversations.history', {
          channel,
          limit: 100,
          include_all_metadata: true,
          ...(findOptions?.oldest ? { oldest: findOptions.oldest } : {}),
          ...(cursor ? { cursor } : {}),
        });
        const messages = Array.isArray(result.messages) ? (result.messages as HistoryMessage[]) : [];
        const found = messages.find(
          (message) =>
            message.metadata?.event_type === METADATA_EVENT_TYPE &&
            message.metadata.event_payload?.incident_key === incidentKey &&
            (!message.thread_ts || message.thread_ts === message.ts),
        );
        if (found?.ts) return { channel, ts: found.ts };
        const next = (result.response_metadata as { next_cursor?: string } | undefined)?.next_cursor;
        if (!result.has_more || !next) return null;
        cursor = next;
      }
      return null;
    },
  };
}

interface HistoryMessage {
  ts?: string;
  thread_ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

function messageArgs(message: SlackMessage): Record<string, unknown> {
  const args: Record<string, unknown> = { text: message.text };
  if (message.blocks) args.blocks = message.blocks;
  if (message.attachments) args.attachments = message.attachments;
  if (message.metadata) args.metadata = message.metadata;
  if (message.unfurl_links !== undefined) args.unfurl_links = message.unfurl_links;
  if (message.unfurl_media !== undefined) args.unfurl_media = message.unfurl_media;
  return args;
}

/** Inside one call, repeat only answers that say nothing was done: 5xx, or a connection never made. */
function safeToRepeat(err: unknown): boolean {
  const coded = err as { code?: string; statusCode?: number };
  if (coded.code === ErrorCode.HTTPError) return (coded.statusCode ?? 0) >= 500;
  if (coded.code === ErrorCode.RequestError) {
    const chain = errorChainCode(err);
    return !chain.timeout && chain.code !== null && NOT_SENT_CODES.has(chain.code);
  }
  return false;
}

/** Vendor errors → DeliveryError; the token is never part of any of these messages. */
export function translateSlackError(method: string, err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const base = { service: 'slack' as const, operation: method };
  const vendor = err as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string; response_metadata?: { messages?: string[] } };
    message?: string;
  };
  switch (vendor.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError(
        {
          ...base,
          failure: 'rate_limited',
          message: `rate limited, retry after ${vendor.retryAfter} s`,
          retryAfterSeconds: vendor.retryAfter ?? null,
          status: 429,
        },
        { cause: err },
      );
    case ErrorCode.HTTPError: {
      const status = vendor.statusCode ?? 0;
      const failure = status >= 500 ? 'server_error' : 'rejected';
      return new DeliveryError({ ...base, failure, message: `HTTP ${status}`, status }, { cause: err });
    }
    case ErrorCode.PlatformError: {
      const slackError = vendor.data?.error ?? 'unknown_error';
      const details = vendor.data?.response_metadata?.messages ?? [];
      const text = clip([slackError, ...details].join('; '), 500);
      if (slackError === 'ratelimited') {
        return new DeliveryError(
          { ...base, failure: 'rate_limited', message: text, detail: slackError },
          { cause: err },
        );
      }
      const failure = SLACK_SERVER_ERRORS.has(slackError) ? 'server_error' : 'rejected';
      return new DeliveryError(
        { ...base, failure, message: text, detail: slackError, status: 200 },
        { cause: err },
      );
    }
    case ErrorCode.RequestError:
      return networkError(method, err);
    default:
      if (typeof vendor.message === 'string' && vendor.message.startsWith('Retry header did not contain')) {
        return new DeliveryError(
          { ...base, failure: 'rate_limited', message: 'rate limited (no usable Retry-After)', status: 429 },
          { cause: err },
        );
      }
      return networkError(method, err);
  }
}

function networkError(operation: string, err: unknown): DeliveryError {
  const chain = errorChainCode(err);
  if (chain.timeout) {
    return new DeliveryError(
      {
        service: 'slack',
        failure: 'timeout',
        operation,
        message: 'no answer in time; Slack may have accepted the request',
      },
      { cause: err },
    );
  }
  const notSent = chain.code !== null && NOT_SENT_CODES.has(chain.code);
  return new DeliveryError(
    {
      service: 'slack',
      failure: 'network',
      operation,
      message: `network error ${chain.code ?? ''}`.trim(),
      ambiguous: !notSent,
      detail: chain.code,
    },
    { cause: err },
  );
}

/** response_url answers plain text: `ok`, or an error such as `expired_url` / `used_url`. */
async function postResponse(responseUrl: string, payload: object, timeoutMs: number): Promise<void> {
  const operation = 'response_url';
  let response: Response;
  try {
    response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw networkError(operation, err);
  }
  let body = '';
  try {
    body = await response.text();
  } catch (err) {
    throw networkError(operation, err);
  }
  if (response.status === 200) return;
  const detail = clip(body.trim(), 100) || null;
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new DeliveryError({
      service: 'slack',
      failure: 'rate_limited',
      operation,
      message: 'rate limited',
      status: 429,
      retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
      detail,
    });
  }
  throw new DeliveryError({
    service: 'slack',
    failure: response.status >= 500 ? 'server_error' : 'rejected',
    operation,
    message: `HTTP ${response.status}${detail ? ` ${detail}` : ''}`,
    status: response.status,
    detail,
  });
}
