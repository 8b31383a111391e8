import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Classification,
  type ClassifyInput,
  categoryOf,
  classify,
  EVIDENCE_MAX,
  isCause,
  RULES,
  WAITING_REASONS,
} from '../../lib/classify/index.ts';

const KINDS = ['pull_failure', 'pull_backoff', 'pulled', 'not_image'];
const RULE_IDS = new Set([
  ...RULES.map((rule) => rule.id),
  'kubelet.waiting-reason',
  'kubelet.waiting-reason-cause',
  'kubelet.pulled',
  'kubelet.pulling',
  'kubelet.back-off',
  'kubelet.reason',
  'not-image',
  'unknown',
]);

function expectWellFormed(result: Classification): void {
  expect(KINDS).toContain(result.kind);
  expect(isCause(result.cause)).toBe(true);
  expect(result.category).toBe(categoryOf(result.cause));
  if (result.reason !== null) expect(WAITING_REASONS).toContain(result.reason);
  expect(typeof result.evidence).toBe('string');
  expect(result.evidence.length).toBeLessThanOrEqual(EVIDENCE_MAX);
  expect(result.confidence).toBeGreaterThanOrEqual(0);
  expect(result.confidence).toBeLessThanOrEqual(1);
  expect(RULE_IDS.has(result.rule)).toBe(true);
  for (const field of [result.image, result.registry, result.imageText]) {
    expect(field === null || typeof field === 'string').toBe(true);
  }
  if (result.kind === 'not_image') expect(result.cause).toBe('none');
}

/** Fragments of real messages, so generated text reaches deep into the rule table, not just its misses. */
const FRAGMENTS = [
  'Failed to pull image "',
  'Back-off pulling image "',
  'Failed to apply default image tag "',
  'rpc error: code = Unknown desc = ',
  'failed to pull and unpack image "',
  'failed to resolve reference "',
  'Error response from daemon: ',
  'dial tcp ',
  'lookup ',
  ': no such host',
  ': i/o timeout',
  'connect: connection refused',
  'x509: certificate signed by unknown authority',
  'tls: ',
  '401 Unauthorized',
  ' 403 Forbidden',
  '429 Too Many Requests',
  'toomanyrequests: ',
  'manifest unknown',
  'name unknown',
  'not found',
  ': EOF',
  'pull access denied',
  'denied: ',
  'anonymous token',
  'oauth token',
  'project ',
  'repository ',
  'artifact ',
  'tag ',
  '\\"',
  '"',
  ':',
  ' ',
  '\n',
  'ErrImagePull',
  'SignatureValidationFailed',
  'RegistryUnavailable',
  'https://user:pass@host/v2/x?token=1',
  'İ',
  '\u0000',
];

const messageText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join('')),
  fc
    .tuple(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }), fc.string({ maxLength: 60 }))
    .map(([parts, tail]) => `${parts.join(' ')}${tail}`),
);

const reasonText = fc.oneof(
  fc.constantFrom(
    'Failed',
    'BackOff',
    'Pulled',
    'Pulling',
    'InspectFailed',
    'FailedSync',
    'ErrImagePull',
    'ImagePullBackOff',
    'ErrImageNeverPull',
    'constructor',
    '__proto__',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

describe('classify never throws and always answers in the contract', () => {
  it('for arbitrary values of any shape', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expectWellFormed(classify(value as ClassifyInput));
      }),
      { numRuns: 600 },
    );
  });

  it('for arbitrary objects whose fields have any type', () => {
    fc.assert(
      fc.property(
        fc.record(
          { reason: fc.anything(), message: fc.anything(), type: fc.anything() },
          { requiredKeys: [] },
        ),
        (input) => {
          expectWellFormed(classify(input as ClassifyInput));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('for arbitrary and kubelet-like strings', () => {
    fc.assert(
      fc.property(reasonText, messageText, (reason, message) => {
        const result = classify({ reason, message });
        expectWellFormed(result);
        // Whatever was found in the text, the URL secrets of the input never reach the evidence.
        expect(result.evidence).not.toContain('user:pass');
        expect(result.evidence).not.toContain('token=1');
      }),
      { numRuns: 1500 },
    );
  });

  it('for inputs whose property reads throw', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    const getter = Object.defineProperty({}, 'message', {
      get() {
        throw new Error('boom');
      },
    });
    for (const input of [hostile, getter, Object.create(null), null, undefined, 42, 'text', [], () => 1]) {
      expectWellFormed(classify(input as ClassifyInput));
    }
  });

  it('for very long and pathological messages (no catastrophic backtracking)', () => {
    const pathological = [
      `Failed to pull image "${'a'.repeat(200_000)}`,
      'lookup '.repeat(20_000),
      `anonymous token${' x'.repeat(50_000)}`,
      `manifest for ${'x'.repeat(100_000)}`,
      `${'\\"'.repeat(30_000)}`,
      `https://${'a'.repeat(50_000)}?${'b'.repeat(50_000)} x509: `,
      `${': '.repeat(40_000)}not found`,
      `${'"image '.repeat(20_000)}`,
      `denied${' '.repeat(60_000)}x`,
    ];
    for (const message of pathological) {
      expectWellFormed(classify({ reason: 'Failed', message: `Failed to pull image "x": ${message}` }));
      expectWellFormed(classify({ message }));
    }
  });
});
