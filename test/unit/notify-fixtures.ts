import type { Diagnosis } from '../../lib/diagnose/types.ts';
import type { Incident } from '../../lib/incidents/types.ts';

/** Incidents and diagnoses as ingest and the registry probe would hand them to notify. */
export const NOW = Date.parse('2026-11-01T12:00:00Z');

export function workloadIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    key: 'wl_5f0c9e1a7b2d4c33',
    kind: 'workload',
    cluster: 'prod-eu',
    namespace: 'shop',
    workload: { kind: 'Deployment', name: 'checkout-api' },
    image: 'registry.example.com/team/checkout-api:v9',
    registry: 'registry.example.com',
    cause: 'tag_not_found',
    category: 'availability',
    reason: 'ErrImagePull',
    evidence: 'manifest unknown',
    message:
      'Failed to pull image "registry.example.com/team/checkout-api:v9": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/team/checkout-api:v9": failed to resolve reference "registry.example.com/team/checkout-api:v9": registry.example.com/team/checkout-api:v9: not found',
    state: 'open',
    count: 37,
    pods: ['checkout-api-7d9f8-x2kq9', 'checkout-api-7d9f8-mz7rt', 'checkout-api-7d9f8-qq4ln'],
    nodes: ['ip-10-0-1-12.eu-west-1.compute.internal', 'ip-10-0-2-7.eu-west-1.compute.internal'],
    firstSeen: '2026-11-01T10:00:00Z',
    lastSeen: '2026-11-01T11:58:00Z',
    parentKey: null,
    affected: [],
    affectedTotal: 0,
    acknowledgedBy: null,
    acknowledgedAt: null,
    snoozedUntil: null,
    resolvedAt: null,
    resolvedBy: null,
    slack: null,
    notifiedAt: null,
    version: 3,
    ...overrides,
  };
}

export function tagDiagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    image: 'registry.example.com/team/checkout-api:v9',
    registry: 'registry.example.com',
    cause: 'tag_not_found',
    category: 'availability',
    confidence: 0.98,
    summary: 'team/checkout-api exists on registry.example.com, but it has no tag v9.',
    evidence: [
      { step: 'dns', ok: true, summary: 'registry.example.com → 203.0.113.10', durationMs: 4 },
      { step: 'tls', ok: true, summary: 'certificate valid until 2027-03-01, issued by R11', durationMs: 21 },
      {
        step: 'ping',
        ok: true,
        summary: 'GET /v2/ → 401 Bearer realm="https://auth.example.com/token"',
        durationMs: 30,
      },
      {
        step: 'manifest',
        ok: false,
        summary: 'GET /v2/team/checkout-api/manifests/v9 → 404 MANIFEST_UNKNOWN',
        durationMs: 38,
      },
      { step: 'tags', ok: true, summary: '41 tags in team/checkout-api', durationMs: 52 },
    ],
    remediation: [
      {
        title: 'Deploy a tag that exists (v8 is the closest)',
        command:
          'kubectl -n shop set image deployment/checkout-api checkout-api=registry.example.com/team/checkout-api:v8',
      },
      {
        title: 'Or push the missing tag from your build',
        command: 'docker push registry.example.com/team/checkout-api:v9',
      },
    ],
    suggestions: ['v8', 'v9-rc1', 'v8.1'],
    checkedFrom: 'lambda eu-west-1',
    agreesWithNode: true,
    pullable: false,
    ...overrides,
  };
}

export function registryIncident(affected: number, overrides: Partial<Incident> = {}): Incident {
  const namespaces = ['shop', 'payments', 'search', 'auth', 'catalog'];
  return workloadIncident({
    key: 'reg_91be04c7d2a85f10',
    kind: 'registry',
    namespace: null,
    workload: null,
    image: null,
    registry: 'registry.internal.example:5000',
    cause: 'tls',
    category: 'registry',
    reason: 'ErrImagePull',
    evidence: 'x509: certificate has expired or is not yet valid',
    message:
      'Failed to pull image "registry.internal.example:5000/shop/web:2.4.1": rpc error: code = Unknown desc = failed to pull and unpack image: failed to resolve reference: Head "https://registry.internal.example:5000/v2/shop/web/manifests/2.4.1": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-01T10:00:03Z is after 2026-10-31T23:59:59Z',
    count: 412,
    pods: Array.from({ length: Math.min(affected * 2, 20) }, (_, i) => `pod-${i}`),
    affected: Array.from({ length: Math.min(affected, 100) }, (_, i) => ({
      namespace: namespaces[i % namespaces.length] as string,
      workload: {
        kind: i % 3 === 0 ? 'StatefulSet' : 'Deployment',
        name: `service-${String(i).padStart(3, '0')}`,
      },
      image: `registry.internal.example:5000/${namespaces[i % namespaces.length]}/service-${i}:2.4.${i}`,
    })),
    affectedTotal: affected,
    ...overrides,
  });
}

export function tlsDiagnosis(): Diagnosis {
  return {
    image: 'registry.internal.example:5000/shop/web:2.4.1',
    registry: 'registry.internal.example:5000',
    cause: 'tls',
    category: 'registry',
    confidence: 1,
    summary: "registry.internal.example:5000's certificate expired on 2026-10-31 23:59 UTC.",
    evidence: [
      { step: 'dns', ok: true, summary: 'registry.internal.example → 10.20.0.15' },
      { step: 'tcp', ok: true, summary: 'connected to 10.20.0.15:5000' },
      {
        step: 'tls',
        ok: false,
        summary: 'certificate for registry.internal.example expired 2026-10-31T23:59:59Z',
      },
    ],
    remediation: [
      {
        title: 'Renew the certificate on the registry, then check it',
        command:
          'openssl s_client -connect registry.internal.example:5000 -servername registry.internal.example </dev/null | openssl x509 -noout -dates',
      },
    ],
    suggestions: [],
    checkedFrom: 'lambda eu-west-1',
    agreesWithNode: true,
    pullable: false,
  };
}
