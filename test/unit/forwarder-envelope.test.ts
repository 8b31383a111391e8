import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, parseEnvelope } from '../../lib/events/envelope.ts';
import { buildEnvelope, serializeEnvelope, trimEvent } from '../../lib/forwarder/envelope-builder.ts';
import { projectNode, projectPod } from '../../lib/forwarder/projections.ts';

const event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: {
    name: 'api.17a',
    namespace: 'shop',
    uid: 'e-1',
    resourceVersion: '42',
    creationTimestamp: '2026-11-01T10:00:00Z',
    managedFields: [{ manager: 'kubelet' }],
    annotations: { huge: 'x'.repeat(10_000) },
  },
  involvedObject: {
    kind: 'Pod',
    name: 'api-x',
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
};

const pod = projectPod({
  metadata: {
    name: 'api-x',
    namespace: 'shop',
    uid: 'p-1',
    labels: { 'pod-template-hash': '5f7c' },
    ownerReferences: [
      { kind: 'Something', name: 'first' },
      { kind: 'ReplicaSet', name: 'api-5f7c', controller: true },
    ],
  },
  spec: {
    serviceAccountName: 'api-sa',
    nodeName: 'node-a',
    imagePullSecrets: [{ name: 'regcred' }, { name: 'regcred' }, {}],
    initContainers: [{ name: 'migrate', image: 'registry.example.com/migrate:2', imagePullPolicy: 'Always' }],
    containers: [
      { name: 'api', image: 'registry.example.com/api:1', imagePullPolicy: 'IfNotPresent' },
      { name: 'odd', image: 'x', imagePullPolicy: 'Sometimes' },
      { name: 'noimage' },
    ],
  },
})!;

describe('projections', () => {
  it('keeps what an envelope needs of a pod: controller owner, hash, secrets, every container with an image', () => {
    expect(pod).toEqual({
      name: 'api-x',
      namespace: 'shop',
      uid: 'p-1',
      serviceAccount: 'api-sa',
      nodeName: 'node-a',
      imagePullSecrets: ['regcred'],
      containers: [
        { name: 'migrate', image: 'registry.example.com/migrate:2', imagePullPolicy: 'Always' },
        { name: 'api', image: 'registry.example.com/api:1', imagePullPolicy: 'IfNotPresent' },
        { name: 'odd', image: 'x', imagePullPolicy: null },
      ],
      owner: { kind: 'ReplicaSet', name: 'api-5f7c' },
      templateHash: '5f7c',
    });
  });

  it('reads node os/arch from the well-known labels, falling back to nodeInfo', () => {
    expect(
      projectNode({
        metadata: { name: 'n1', labels: { 'kubernetes.io/arch': 'arm64' } },
        status: { nodeInfo: { operatingSystem: 'linux', architecture: 'amd64' } },
      }),
    ).toEqual({
      name: 'n1',
      os: 'linux',
      arch: 'arm64',
    });
  });
});

describe('buildEnvelope', () => {
  it('builds an envelope that parseEnvelope accepts, with the trimmed event and its context', () => {
    const envelope = buildEnvelope({
      cluster: 'prod-eu',
      kind: 'event',
      event,
      forwardedAt: '2026-11-01T10:05:01.000Z',
      pod: { ...pod, workload: { kind: 'Deployment', name: 'api' } },
      node: { name: 'node-a', os: 'linux', arch: 'amd64' },
      pullSecrets: [
        {
          name: 'regcred',
          exists: true,
          type: 'kubernetes.io/dockerconfigjson',
          registries: ['registry.example.com'],
        },
      ],
    });
    const parsed = parseEnvelope(JSON.parse(serializeEnvelope(envelope).body));
    expect(parsed.cluster).toBe('prod-eu');
    expect(parsed.kind).toBe('event');
    expect(parsed.pod?.workload).toEqual({ kind: 'Deployment', name: 'api' });
    expect(parsed.pullSecrets?.[0]?.registries).toEqual(['registry.example.com']);
    expect(JSON.stringify(envelope.event)).not.toContain('managedFields');
    expect(JSON.stringify(envelope.event)).not.toContain('annotations');
  });

  it('builds `resolved` envelopes too', () => {
    const envelope = buildEnvelope({
      cluster: 'c',
      kind: 'resolved',
      event,
      forwardedAt: new Date(0).toISOString(),
    });
    expect(parseEnvelope(JSON.parse(serializeEnvelope(envelope).body)).kind).toBe('resolved');
  });

  it('turns any JSON the API might send into an envelope the ingest accepts', () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ minLength: 300, maxLength: 20_000 }));
    const anyValue = fc.oneof(
      text,
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.string(), { maxLength: 2 }),
    );
    const raw = fc.record(
      {
        metadata: fc.dictionary(
          fc.constantFrom('name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp'),
          anyValue,
        ),
        involvedObject: fc.oneof(
          fc.dictionary(fc.constantFrom('kind', 'name', 'namespace', 'uid', 'fieldPath'), anyValue),
          anyValue,
        ),
        reason: anyValue,
        message: anyValue,
        type: anyValue,
        count: anyValue,
        lastTimestamp: anyValue,
        series: fc.oneof(fc.record({ count: anyValue, lastObservedTime: anyValue }), anyValue),
        source: fc.oneof(fc.record({ component: anyValue, host: anyValue }), anyValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(raw, (input) => {
        const envelope = buildEnvelope({
          cluster: 'c',
          kind: 'event',
          event: input,
          forwardedAt: new Date(0).toISOString(),
        });
        const { body, bytes } = serializeEnvelope(envelope);
        expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
        expect(() => parseEnvelope(JSON.parse(body))).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('sheds context, never the event, when an envelope would exceed the message size', () => {
    const huge = {
      ...pod,
      containers: Array.from({ length: 128 }, (_, i) => ({
        name: `c${i}`,
        image: `r.example/${'x'.repeat(4000)}:${i}`,
        imagePullPolicy: null,
      })),
      workload: { kind: 'Deployment', name: 'api' },
    };
    huge.containers.push({ name: 'api', image: 'registry.example.com/api:1', imagePullPolicy: null });
    const envelope = buildEnvelope({
      cluster: 'c',
      kind: 'event',
      event,
      forwardedAt: new Date(0).toISOString(),
      pod: huge,
    });
    expect(Buffer.byteLength(JSON.stringify(envelope))).toBeGreaterThan(MAX_MESSAGE_BYTES);
    const { body, bytes } = serializeEnvelope(envelope);
    expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const parsed = parseEnvelope(JSON.parse(body));
    expect(parsed.pod?.containers.map((c) => c.name)).toEqual(['api']);
    expect(trimEvent(event).message).toBe(event.message);
  });
});
