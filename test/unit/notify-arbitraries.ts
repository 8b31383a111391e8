import fc from 'fast-check';
import { CAUSE_CATEGORY, CAUSES } from '../../lib/classify/causes.ts';
import type { Diagnosis } from '../../lib/diagnose/types.ts';
import type { Incident } from '../../lib/incidents/types.ts';

/**
 * fast-check generators for hostile incidents: any Unicode (astral, combining marks, controls), Slack's
 * control characters, fences, huge lists and texts far over every limit.
 */
const nasty = fc.constantFrom(
  '<!channel>',
  '<@U0123|x>',
  '&amp;&',
  '```',
  '`',
  '*bold*',
  '\u0000\u0007\n\r\t',
  '😀'.repeat(80),
  'e\u0301',
  '\ud83d',
  '>',
  '|',
);

export const text = (maxLength: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: Math.min(maxLength, 40) }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.array(nasty, { maxLength: 30 }).map((parts) => parts.join('')) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: maxLength }).map((n) => 'x'.repeat(n)) },
  );

const name = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/), text(400));
const time = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  text(80),
);

export const incidentArb: fc.Arbitrary<Incident> = fc
  .record({
    key: fc.oneof(
      { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9_]{1,64}$/) },
      { weight: 1, arbitrary: text(3_000) },
    ),
    kind: fc.constantFrom('workload' as const, 'registry' as const),
    cluster: name,
    namespace: fc.option(name),
    workload: fc.option(fc.record({ kind: name, name })),
    image: fc.option(text(600)),
    registry: fc.option(name),
    cause: fc.constantFrom(...CAUSES),
    reason: fc.constantFrom('ErrImagePull' as const, 'ImagePullBackOff' as const, null),
    evidence: text(2_000),
    message: text(20_000),
    state: fc.constantFrom('open' as const, 'acknowledged' as const, 'snoozed' as const, 'resolved' as const),
    count: fc.nat({ max: 10_000_000 }),
    pods: fc.array(name, { maxLength: 120 }),
    nodes: fc.array(name, { maxLength: 40 }),
    firstSeen: time,
    lastSeen: time,
    affected: fc.array(
      fc.record({ namespace: name, workload: fc.record({ kind: name, name }), image: text(500) }),
      {
        maxLength: 150,
      },
    ),
    affectedTotal: fc.nat({ max: 1_000_000 }),
    acknowledgedBy: fc.option(fc.oneof(fc.stringMatching(/^U[A-Z0-9]{8,10}$/), name)),
    acknowledgedAt: fc.option(time),
    snoozedUntil: fc.option(time),
    resolvedAt: fc.option(time),
    resolvedBy: fc.option(fc.oneof(fc.constantFrom('pulled', 'quiet', 'button:U0123ABCD'), name)),
    version: fc.nat(),
  })
  .map((fields) => ({
    ...fields,
    category: CAUSE_CATEGORY[fields.cause],
    parentKey: null,
    slack: null,
    notifiedAt: null,
  }));

export const diagnosisArb: fc.Arbitrary<Diagnosis> = fc
  .record({
    image: text(600),
    registry: name,
    cause: fc.constantFrom(...CAUSES),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    summary: text(5_000),
    evidence: fc.array(
      fc.record({
        step: name,
        ok: fc.boolean(),
        summary: text(2_000),
        durationMs: fc.option(fc.nat(), { nil: undefined }),
      }),
      { maxLength: 60 },
    ),
    remediation: fc.array(
      fc.record({ title: text(2_000), command: fc.option(text(6_000), { nil: undefined }) }),
      {
        maxLength: 80,
      },
    ),
    suggestions: fc.array(text(300), { maxLength: 40 }),
    checkedFrom: text(500),
    agreesWithNode: fc.constantFrom(true, false, null),
    pullable: fc.boolean(),
  })
  .map((fields) => ({ ...fields, category: CAUSE_CATEGORY[fields.cause] }));
