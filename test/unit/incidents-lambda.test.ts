import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lib/config/load.ts';
import { configFromEnv } from '../../lib/config/pullwatch-config.ts';
import { PullwatchError } from '../../lib/errors.ts';
import { ingestEnvSchema } from '../../lib/incidents/ingest.ts';
import { resolvePolicy } from '../../lib/incidents/policy.ts';
import { batchResponse, lambdaHandler, lambdaKit, readEnv, sqsRecords } from '../../lib/runtime/lambda.ts';

/** The shared middy stack, as every handler uses it (ingest's own test covers the happy path on real queues). */
const saved = { ...process.env };
const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
vi.spyOn(console, 'warn').mockImplementation(() => {});

beforeAll(() => {
  Object.assign(process.env, { POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' });
});
afterAll(() => {
  process.env = saved;
  vi.restoreAllMocks();
});

const context = {
  functionName: 'sweep',
  awsRequestId: 'req-9',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:sweep',
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 1000,
} as unknown as Context;

describe('lambda stack', () => {
  it('logs an escaping error with its stable code and lets it reach Lambda', async () => {
    const handler = lambdaHandler(lambdaKit('sweep'), async () => {
      throw new PullwatchError('store_throttled', 'incident store throttled');
    });
    await expect(handler({}, context)).rejects.toThrow('incident store throttled');
    const line = errors.mock.calls
      .map((c) => JSON.parse(String(c[0])))
      .find((l) => l.message === 'handler failed');
    expect(line).toMatchObject({ code: 'store_throttled', function_request_id: 'req-9', service: 'sweep' });
  });

  it('flushes metrics after every invocation', async () => {
    logs.mockClear();
    const kit = lambdaKit('sweep');
    const handler = lambdaHandler(kit, async () => {
      kit.sink.count('Swept', 3);
      return 'ok';
    });
    expect(await handler({}, context)).toBe('ok');
    const emf = logs.mock.calls.map((c) => JSON.parse(String(c[0]))).find((l) => l._aws && 'Swept' in l);
    expect(emf).toMatchObject({ Swept: 3, service: 'sweep' });
  });

  it('names every missing or malformed variable at cold start', () => {
    try {
      readEnv(ingestEnvSchema, { NOTICES_QUEUE_URL: 'not a url' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/INCIDENTS_TABLE/);
      expect((error as Error).message).toMatch(/NOTICES_QUEUE_URL/);
    }
    const policyEnv = (json: string) => ({ PULLWATCH_CONFIG: json });
    expect(() => configFromEnv(policyEnv('{"policy":{"updateIntervalSeconds": 0}}'))).toThrow(
      /PULLWATCH_CONFIG[\s\S]*policy\.updateIntervalSeconds/,
    );
    expect(() => configFromEnv(policyEnv('{'))).toThrow(/not valid JSON/);
    expect(resolvePolicy(configFromEnv({}).policy).updateIntervalMs).toBe(60_000);
  });

  it('reads SQS records and answers with the failed message ids only', () => {
    const event = {
      Records: [
        { messageId: 'a', body: '{}', attributes: { ApproximateReceiveCount: '3' } },
        { messageId: 'b', body: 'x', attributes: {} },
      ],
    } as unknown as SQSEvent;
    expect(sqsRecords(event)).toEqual([
      { messageId: 'a', body: '{}', receiveCount: 3 },
      { messageId: 'b', body: 'x', receiveCount: 1 },
    ]);
    expect(batchResponse(['b'])).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }] });
  });
});
