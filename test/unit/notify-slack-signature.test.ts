import { describe, expect, it } from 'vitest';
import { requestBodyBytes, signSlackRequest, verifySlackRequest } from '../../lib/notify/slack-signature.ts';

// The example from Slack's documentation (https://api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const SECRET = 'test-signing-secret';
const NOW = 1_793_534_400_000;
const nowSeconds = NOW / 1000;
const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function headers(timestamp: number | string, signature: string) {
  return { 'X-Slack-Request-Timestamp': String(timestamp), 'X-Slack-Signature': signature };
}

describe('verifySlackRequest', () => {
  it('accepts Slack’s documented example', () => {
    const result = verifySlackRequest({
      signingSecret: DOC_SECRET,
      headers: headers(DOC_TIMESTAMP, DOC_SIGNATURE),
      rawBody: DOC_BODY,
      now: Number(DOC_TIMESTAMP) * 1000 + 10_000,
    });
    expect(result).toEqual({ ok: true, timestamp: 1531420618 });
    expect(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
  });

  it('accepts a fresh request, with lower-cased headers and a byte body', () => {
    const signature = signSlackRequest(SECRET, nowSeconds - 30, body);
    const result = verifySlackRequest({
      signingSecret: SECRET,
      headers: { 'x-slack-request-timestamp': String(nowSeconds - 30), 'x-slack-signature': signature },
      rawBody: Buffer.from(body),
      now: NOW,
    });
    expect(result.ok).toBe(true);
  });

  it('rejects a forged signature (wrong secret) and a tampered body', () => {
    const forged = signSlackRequest('another-secret', nowSeconds, body);
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(nowSeconds, forged),
        rawBody: body,
        now: NOW,
      }),
    ).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    const signature = signSlackRequest(SECRET, nowSeconds, body);
    const tampered = body.replace('block_actions', 'block_actionz');
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(nowSeconds, signature),
        rawBody: tampered,
        now: NOW,
      }),
    ).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a stale request (a replay after five minutes) and accepts the edge of the window', () => {
    const old = nowSeconds - 301;
    const stale = verifySlackRequest({
      signingSecret: SECRET,
      headers: headers(old, signSlackRequest(SECRET, old, body)),
      rawBody: body,
      now: NOW,
    });
    expect(stale).toMatchObject({ ok: false, reason: 'stale' });
    const edge = nowSeconds - 300;
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(edge, signSlackRequest(SECRET, edge, body)),
        rawBody: body,
        now: NOW,
      }).ok,
    ).toBe(true);
  });

  it('rejects a request dated more than five minutes in the future', () => {
    const future = nowSeconds + 301;
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(future, signSlackRequest(SECRET, future, body)),
        rawBody: body,
        now: NOW,
      }),
    ).toMatchObject({ ok: false, reason: 'future' });
  });

  it('rejects a replayed signature under a fresh timestamp', () => {
    const captured = signSlackRequest(SECRET, nowSeconds - 3_600, body);
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(nowSeconds, captured),
        rawBody: body,
        now: NOW,
      }),
    ).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('names what is missing or malformed', () => {
    const ok = signSlackRequest(SECRET, nowSeconds, body);
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-Slack-Signature': ok }, 'missing_timestamp'],
      [{ 'X-Slack-Request-Timestamp': String(nowSeconds) }, 'missing_signature'],
      [headers('12.5', ok), 'malformed_timestamp'],
      [headers('-5', ok), 'malformed_timestamp'],
      [headers(nowSeconds, 'v1=abc'), 'malformed_signature'],
      [headers(nowSeconds, `${ok}00`), 'malformed_signature'],
      [headers(nowSeconds, ok.slice(0, -2)), 'malformed_signature'],
      [headers(nowSeconds, `${ok}, ${ok}`), 'malformed_signature'],
    ];
    for (const [given, reason] of cases) {
      const result = verifySlackRequest({ signingSecret: SECRET, headers: given, rawBody: body, now: NOW });
      expect(result).toMatchObject({ ok: false, reason });
      if (!result.ok) expect(result.message.length).toBeGreaterThan(5);
    }
    expect(
      verifySlackRequest({ signingSecret: '', headers: headers(nowSeconds, ok), rawBody: body, now: NOW }),
    ).toMatchObject({
      ok: false,
      reason: 'missing_secret',
    });
  });

  it('never puts the secret or the expected signature in a failure message', () => {
    const result = verifySlackRequest({
      signingSecret: SECRET,
      headers: headers(nowSeconds, `v0=${'0'.repeat(64)}`),
      rawBody: body,
      now: NOW,
    });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(signSlackRequest(SECRET, nowSeconds, body).slice(3));
  });
});

describe('requestBodyBytes', () => {
  it('decodes API Gateway base64 bodies so the HMAC sees the bytes Slack signed', () => {
    const signature = signSlackRequest(SECRET, nowSeconds, body);
    const raw = requestBodyBytes(Buffer.from(body).toString('base64'), true);
    expect(
      verifySlackRequest({
        signingSecret: SECRET,
        headers: headers(nowSeconds, signature),
        rawBody: raw,
        now: NOW,
      }).ok,
    ).toBe(true);
    expect(requestBodyBytes(body, false).toString()).toBe(body);
    expect(requestBodyBytes(undefined, false).length).toBe(0);
  });
});
