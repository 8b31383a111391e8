import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAUSES } from '../../lib/classify/causes.ts';
import {
  buildSnsMessage,
  SNS_ATTRIBUTE_NAMES,
  SNS_MAX_BYTES,
  snsSubject,
} from '../../lib/notify/sns-message.ts';
import { diagnosisArb, incidentArb } from './notify-arbitraries.ts';
import { NOW, registryIncident, tagDiagnosis, tlsDiagnosis, workloadIncident } from './notify-fixtures.ts';

function structure(message: string): Record<string, string> {
  return JSON.parse(message) as Record<string, string>;
}

describe('buildSnsMessage', () => {
  it('writes a one-line ASCII subject with severity, cluster, workload and problem', () => {
    const message = buildSnsMessage(workloadIncident(), tagDiagnosis(), { now: NOW });
    expect(message.subject).toBe('[CRITICAL] prod-eu shop/checkout-api: Image tag not found');
    expect(buildSnsMessage(workloadIncident({ state: 'resolved' }), null, { now: NOW }).subject).toBe(
      '[RESOLVED] prod-eu shop/checkout-api: Image tag not found',
    );
    expect(snsSubject(registryIncident(14), tlsDiagnosis())).toBe(
      '[CRITICAL] prod-eu registry.internal.example:5000: Registry TLS certificate problem (14 workloads)',
    );
  });

  it('keeps the subject printable ASCII within 100 characters, whatever the names', () => {
    const subject = snsSubject(
      workloadIncident({
        namespace: 'équipe-😀\nnext',
        workload: { kind: 'Deployment', name: 'x'.repeat(300) },
      }),
    );
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toContain('equipe-? next/');
    expect(subject.endsWith('...')).toBe(true);
  });

  it('has a readable default body and the JSON document for sqs, lambda, http and https', () => {
    const message = buildSnsMessage(workloadIncident(), tagDiagnosis(), { now: NOW });
    const parts = structure(message.message);
    expect(Object.keys(parts).sort()).toEqual(['default', 'http', 'https', 'lambda', 'sqs']);
    expect(message.messageStructure).toBe('json');
    expect(parts.default).toBe(message.text);
    expect(message.text).toContain('Image tag not found: shop/checkout-api in cluster prod-eu');
    expect(message.text).toContain('Severity: critical · State: open');
    expect(message.text).toContain('failing since 2026-11-01 10:00 UTC (2 h)');
    expect(message.text).toContain(
      '[FAIL] manifest: GET /v2/team/checkout-api/manifests/v9 → 404 MANIFEST_UNKNOWN',
    );
    expect(message.text).toContain('Closest tags: v8, v9-rc1, v8.1');
    expect(message.text).toContain(
      '     kubectl -n shop set image deployment/checkout-api checkout-api=registry.example.com/team/checkout-api:v8',
    );
    const document = JSON.parse(parts.sqs ?? '{}');
    expect(document).toEqual(message.document);
    expect(document.schema).toBe('pullwatch.alert/v1');
    expect(document.incident.key).toBe('wl_5f0c9e1a7b2d4c33');
    expect(document.cause).toMatchObject({ id: 'tag_not_found', category: 'availability' });
    expect(document.diagnosis.suggestions).toEqual(['v8', 'v9-rc1', 'v8.1']);
    expect(document.truncated).toBe(false);
    expect(parts.lambda).toBe(parts.sqs);
  });

  it('sets string attributes for filter policies, leaving out what a registry incident lacks', () => {
    expect(buildSnsMessage(workloadIncident(), tagDiagnosis(), { now: NOW }).attributes).toEqual({
      cluster: 'prod-eu',
      namespace: 'shop',
      kind: 'workload',
      state: 'open',
      severity: 'critical',
      cause: 'tag_not_found',
      category: 'availability',
      registry: 'registry.example.com',
    });
    const registry = buildSnsMessage(
      registryIncident(3, { cause: 'rate_limited', category: 'limits' }),
      null,
      {
        now: NOW,
      },
    );
    expect(registry.attributes.namespace).toBeUndefined();
    expect(registry.attributes).toMatchObject({
      kind: 'registry',
      cause: 'rate_limited',
      severity: 'critical',
    });
    expect(Object.keys(registry.attributes).length).toBeLessThanOrEqual(10);
  });

  it('lists a registry incident’s workloads and counts the ones left out', () => {
    const text = buildSnsMessage(registryIncident(300), tlsDiagnosis(), { now: NOW }).text;
    expect(text).toContain('Affected workloads (300)');
    expect(text).toContain(
      '  shop/service-000 (StatefulSet) registry.internal.example:5000/shop/service-0:2.4.0',
    );
    expect(text).toContain('  and 200 more');
  });

  it('gives FIFO topics one group per incident and one deduplication id per version and state', () => {
    const a = buildSnsMessage(workloadIncident(), null, { now: NOW });
    const again = buildSnsMessage(workloadIncident(), null, { now: NOW + 60_000 });
    const next = buildSnsMessage(workloadIncident({ version: 4 }), null, { now: NOW });
    expect(a.groupId).toBe('wl_5f0c9e1a7b2d4c33');
    expect(a.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(again.deduplicationId).toBe(a.deduplicationId);
    expect(next.deduplicationId).not.toBe(a.deduplicationId);
  });

  it('shrinks a huge alert to fit SNS and says so', () => {
    const huge = workloadIncident({
      message: '"'.repeat(200_000),
      pods: Array.from({ length: 5_000 }, (_, i) => `pod-${i}-${'p'.repeat(40)}`),
    });
    const message = buildSnsMessage(huge, tagDiagnosis({ summary: '\u0001'.repeat(100_000) }), { now: NOW });
    expect(Buffer.byteLength(message.message)).toBeLessThanOrEqual(SNS_MAX_BYTES);
    expect(message.document.truncated).toBe(true);
    expect(message.document.incident.pods.length).toBeLessThan(5_000);
  });

  it('renders every cause within limits', () => {
    for (const cause of CAUSES) {
      const message = buildSnsMessage(workloadIncident({ cause }), null, { now: NOW });
      expect(message.subject.length).toBeLessThanOrEqual(100);
      expect(message.attributes.cause).toBe(cause);
    }
  });

  it('never exceeds an SNS limit for arbitrary incidents (property)', () => {
    fc.assert(
      fc.property(incidentArb, fc.option(diagnosisArb), (incident, diagnosis) => {
        const message = buildSnsMessage(incident, diagnosis, { now: NOW });
        expect(message.subject).toMatch(/^[\x21-\x7e][\x20-\x7e]{0,99}$/);
        const attributeBytes = Object.entries(message.attributes).reduce(
          (sum, [name, value]) => sum + Buffer.byteLength(name) + 6 + Buffer.byteLength(value ?? ''),
          0,
        );
        expect(Buffer.byteLength(message.message) + attributeBytes).toBeLessThanOrEqual(SNS_MAX_BYTES);
        expect(Object.keys(message.attributes).length).toBeLessThanOrEqual(10);
        for (const name of Object.keys(message.attributes)) expect(SNS_ATTRIBUTE_NAMES).toContain(name);
        for (const value of Object.values(message.attributes)) expect(value?.length).toBeGreaterThan(0);
        expect(message.groupId.length).toBeGreaterThan(0);
        expect(message.groupId.length).toBeLessThanOrEqual(128);
        const parts = structure(message.message);
        expect(typeof parts.default).toBe('string');
        expect(JSON.parse(parts.sqs ?? '')).toEqual(message.document);
      }),
      { numRuns: 100 },
    );
  });
});
