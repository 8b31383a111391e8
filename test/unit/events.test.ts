import { describe, expect, it } from 'vitest';
import { EnvelopeError, normalizeEvent, parseEnvelope, parseQueueMessage } from '../../lib/events/index.ts';

const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'api-7d9f.17a', namespace: 'shop', uid: 'e-1', resourceVersion: '42' },
  involvedObject: {
    kind: 'Pod',
    name: 'api-7d9f-x2',
    namespace: 'shop',
    uid: 'p-1',
    fieldPath: 'spec.containers{api}',
  },
  reason: 'Failed',
  message: 'Failed to pull image "nginx:1.99": not found',
  type: 'Warning',
  count: 3,
  firstTimestamp: '2026-11-01T10:00:00Z',
  lastTimestamp: '2026-11-01T10:05:00Z',
  source: { component: 'kubelet', host: 'node-a' },
  managedFields: [{ manager: 'kubelet' }],
};

const envelope = {
  v: 1,
  cluster: 'prod',
  forwardedAt: '2026-11-01T10:05:01Z',
  kind: 'event',
  event: coreEvent,
};

describe('parseEnvelope', () => {
  it('accepts a valid envelope, fills defaults and drops fields it does not read', () => {
    const parsed = parseEnvelope({
      ...envelope,
      pod: { name: 'api-7d9f-x2', namespace: 'shop' },
    });
    expect(parsed.cluster).toBe('prod');
    expect(parsed.pod?.imagePullSecrets).toEqual([]);
    expect('managedFields' in parsed.event).toBe(false);
  });

  it('names the offending field', () => {
    expect(() => parseEnvelope({ ...envelope, cluster: 7 })).toThrow(/cluster:/);
    expect(() => parseEnvelope({ ...envelope, event: { ...coreEvent, involvedObject: undefined } })).toThrow(
      /event/,
    );
  });

  it('rejects an unknown version with its own code', () => {
    try {
      parseEnvelope({ ...envelope, v: 2 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EnvelopeError);
      expect((error as EnvelopeError).code).toBe('envelope_version_unsupported');
    }
  });
});

describe('parseQueueMessage', () => {
  it('validates each envelope of a pack on its own', () => {
    const results = parseQueueMessage(
      JSON.stringify({ v: 1, pack: [envelope, { ...envelope, kind: 'bogus' }, envelope] }),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const bad = results[1];
    expect(bad?.ok === false && bad.error.code).toBe('envelope_invalid');
  });

  it('reports non-JSON and oversized bodies as one failure', () => {
    expect(parseQueueMessage('{nope')).toMatchObject([{ ok: false, error: { code: 'message_not_json' } }]);
    expect(parseQueueMessage('x'.repeat(1024 * 1024 + 1))).toMatchObject([
      { ok: false, error: { code: 'message_too_large' } },
    ]);
  });

  it('rejects a pack of an unknown version', () => {
    expect(parseQueueMessage(JSON.stringify({ v: 9, pack: [envelope] }))).toMatchObject([
      { ok: false, error: { code: 'envelope_version_unsupported' } },
    ]);
  });
});

describe('normalizeEvent', () => {
  it('reads core/v1 events', () => {
    const parsed = parseEnvelope(envelope);
    expect(normalizeEvent(parsed.event)).toMatchObject({
      apiVersion: 'v1',
      uid: 'e-1',
      reason: 'Failed',
      count: 3,
      firstSeen: '2026-11-01T10:00:00.000Z',
      lastSeen: '2026-11-01T10:05:00.000Z',
      container: 'api',
      host: 'node-a',
      involved: { kind: 'Pod', name: 'api-7d9f-x2', namespace: 'shop' },
    });
  });

  it('reads events.k8s.io/v1 events, preferring series over deprecated fields', () => {
    const parsed = parseEnvelope({
      ...envelope,
      event: {
        apiVersion: 'events.k8s.io/v1',
        metadata: { name: 'x', namespace: 'shop', uid: 'e-2' },
        regarding: { kind: 'Pod', name: 'web-1', namespace: 'shop', fieldPath: 'spec.initContainers{init}' },
        reason: 'BackOff',
        note: 'Back-off pulling image "nginx:1.99"',
        type: 'Normal',
        eventTime: '2026-11-01T10:00:00.123456Z',
        series: { count: 12, lastObservedTime: '2026-11-01T11:00:00.000000Z' },
        deprecatedCount: 4,
        reportingController: 'kubelet',
        reportingInstance: 'node-b',
      },
    });
    expect(normalizeEvent(parsed.event)).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      message: 'Back-off pulling image "nginx:1.99"',
      count: 12,
      firstSeen: '2026-11-01T10:00:00.123Z',
      lastSeen: '2026-11-01T11:00:00.000Z',
      container: 'init',
      host: 'node-b',
      component: 'kubelet',
    });
  });

  it('never reports a count below one or trusts an unparseable timestamp', () => {
    const parsed = parseEnvelope({
      ...envelope,
      event: { involvedObject: { kind: 'Pod', name: 'p' }, count: 0, lastTimestamp: 'yesterday' },
    });
    const normalized = normalizeEvent(parsed.event);
    expect(normalized.count).toBe(1);
    expect(normalized.lastSeen).toBeNull();
  });
});
