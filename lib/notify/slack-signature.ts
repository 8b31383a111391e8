import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signing, version 0 (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `v0=` + hex(HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`)), with the timestamp within five
 * minutes of now. Runs on the raw bytes before anything parses the body, so a forged request changes nothing.
 *
 * A byte-identical replay inside the window passes here by design of the scheme; the handlers make every
 * action idempotent (acknowledging an acknowledged incident changes nothing), so a replay has no effect.
 */
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SlackVerificationFailure =
  | 'missing_secret'
  | 'missing_timestamp'
  | 'missing_signature'
  | 'malformed_timestamp'
  | 'malformed_signature'
  | 'stale'
  | 'future'
  | 'bad_signature';

export type SlackVerification =
  | { ok: true; timestamp: number }
  | { ok: false; reason: SlackVerificationFailure; message: string };

export interface SlackVerifyInput {
  signingSecret: string;
  /** Request headers in any letter case (API Gateway HTTP APIs lower-case them). */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received (decoded from base64 if API Gateway encoded it). */
  rawBody: string | Uint8Array;
  /** Milliseconds since the epoch. */
  now: number;
  toleranceSeconds?: number;
}

export function verifySlackRequest(input: SlackVerifyInput): SlackVerification {
  if (!input.signingSecret) return fail('missing_secret', 'no signing secret is configured');
  const timestampText = headerValue(input.headers, SLACK_TIMESTAMP_HEADER);
  const signature = headerValue(input.headers, SLACK_SIGNATURE_HEADER);
  if (!timestampText) return fail('missing_timestamp', `the ${SLACK_TIMESTAMP_HEADER} header is missing`);
  if (!signature) return fail('missing_signature', `the ${SLACK_SIGNATURE_HEADER} header is missing`);
  if (!/^[0-9]{1,12}$/.test(timestampText)) {
    return fail('malformed_timestamp', `${SLACK_TIMESTAMP_HEADER} is not a Unix time in seconds`);
  }
  if (!/^v0=[0-9a-fA-F]{64}$/.test(signature)) {
    return fail('malformed_signature', `${SLACK_SIGNATURE_HEADER} is not a v0 HMAC-SHA256 signature`);
  }
  const timestamp = Number(timestampText);
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = Math.floor(input.now / 1000) - timestamp;
  if (skew > tolerance) return fail('stale', `the request is ${skew} s old (limit ${tolerance} s)`);
  if (-skew > tolerance)
    return fail('future', `the request is dated ${-skew} s in the future (limit ${tolerance} s)`);
  const expected = Buffer.from(signatureHex(input.signingSecret, timestampText, input.rawBody), 'hex');
  const given = Buffer.from(signature.slice(3), 'hex');
  // Both are 32 bytes (the regex guarantees it), which timingSafeEqual requires.
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return fail('bad_signature', 'the signature does not match the body and timestamp');
  }
  return { ok: true, timestamp };
}

/** The `X-Slack-Signature` value Slack would send: for tests, the stand-in, and local tooling. */
export function signSlackRequest(
  signingSecret: string,
  timestamp: number | string,
  rawBody: string | Uint8Array,
): string {
  return `v0=${signatureHex(signingSecret, String(timestamp), rawBody)}`;
}

function signatureHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex');
}

function fail(reason: SlackVerificationFailure, message: string): SlackVerification {
  return { ok: false, reason, message };
}

export function headerValue(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value?.trim();
  }
  return undefined;
}

/** API Gateway hands the body over base64-encoded when it considers it binary; the HMAC needs the bytes. */
export function requestBodyBytes(
  body: string | null | undefined,
  isBase64Encoded: boolean | undefined,
): Buffer {
  if (!body) return Buffer.alloc(0);
  return isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}
