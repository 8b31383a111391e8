import { describe, expect, it } from 'vitest';
import { parseEnvelope } from '../../lib/events/envelope.ts';
import { evaluate } from '../../lib/incidents/decide.ts';
import { readEnvelope } from '../../lib/incidents/from-envelope.ts';
import { aggregate } from '../../lib/incidents/observation.ts';
import { resolvePolicy } from '../../lib/incidents/policy.ts';
import { reviewIncident } from '../../lib/incidents/review.ts';
import { applyTransition } from '../../lib/incidents/state.ts';
import { incidentCheckInput } from '../../lib/pipeline/diagnose-incident.ts';
import { envelope } from '../support/envelopes.ts';
import { ms, t, workloadFailure } from '../support/incident-fixtures.ts';
import { notFoundMessage, tlsMessage } from '../support/storm.ts';

/**
 * The pod's pull context (service account, pull secrets, container and pull policy, node platform) travels
 * from the forwarder's envelope into the incident, so alert-time remediation can use the real names.
 */
const policy = resolvePolicy({});
const IMAGE = 'registry.example.com/team/api:v9';

function richEnvelope(at: string, overrides: { serviceAccount?: string; secrets?: string[] } = {}) {
  const base = envelope({
    uid: `e-${at}`,
    reason: 'Failed',
    message: notFoundMessage(IMAGE),
    last: at,
    image: IMAGE,
  });
  return parseEnvelope({
    ...base,
    pod: {
      ...base.pod,
      serviceAccount: overrides.serviceAccount ?? 'api-runner',
      imagePullSecrets: overrides.secrets ?? ['regcred'],
      containers: [
        { name: 'sidecar', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent' },
        { name: 'app', image: IMAGE, imagePullPolicy: 'Always' },
      ],
    },
    node: { name: 'node-a', os: 'linux', arch: 'arm64' },
    pullSecrets: [
      { name: 'regcred', exists: true, type: 'kubernetes.io/dockerconfigjson', registries: ['ghcr.io'] },
    ],
  });
}

describe('pull context on the incident', () => {
  it('keeps the failing container, its pull policy, the service account, secrets and node platform', () => {
    const reading = readEnvelope(richEnvelope(t(0)));
    const failure = reading.observations[0]?.failure;
    expect(failure?.context).toEqual({
      serviceAccount: 'api-runner',
      imagePullSecrets: ['regcred'],
      container: { name: 'app', imagePullPolicy: 'Always' },
      node: { os: 'linux', arch: 'arm64' },
      pullSecrets: [
        { name: 'regcred', exists: true, type: 'kubernetes.io/dockerconfigjson', registries: ['ghcr.io'] },
      ],
    });
    const incident = evaluate(null, reading.observations[0]!, ms(0), policy).next!;
    expect(incident.context?.serviceAccount).toBe('api-runner');
  });

  it('follows the latest failure, never an older one, and leaves registry incidents without it', () => {
    const first = evaluate(null, readEnvelope(richEnvelope(t(0))).observations[0]!, ms(0), policy).next!;
    const newer = readEnvelope(richEnvelope(t(5), { serviceAccount: 'api-v2' })).observations[0]!;
    const older = readEnvelope(richEnvelope(t(-5), { serviceAccount: 'api-old' })).observations[0]!;
    expect(evaluate(first, newer, ms(5), policy).next?.context?.serviceAccount).toBe('api-v2');
    const afterOlder = evaluate(first, older, ms(5), policy).next ?? first;
    expect(afterOlder.context?.serviceAccount).toBe('api-runner');
    expect(aggregate([older, newer])[0]?.failure?.context?.serviceAccount).toBe('api-v2');

    const tls = envelope({
      uid: 'tls-1',
      reason: 'Failed',
      message: tlsMessage('registry.example.com/team/api:v2', 'registry.example.com'),
      last: t(0),
      image: 'registry.example.com/team/api:v2',
    });
    const observations = readEnvelope(parseEnvelope(tls)).observations;
    expect(observations.map((o) => o.kind)).toEqual(['workload', 'registry']);
    expect(observations[1]?.failure?.context).toBeNull();
  });

  it('stores only what the pod reported: nothing at all without pod data', () => {
    const bare = envelope({
      uid: 'b1',
      reason: 'Failed',
      message: notFoundMessage(IMAGE),
      last: t(0),
      image: IMAGE,
    });
    const context = readEnvelope(parseEnvelope(bare)).observations[0]?.failure?.context;
    expect(context).toEqual({ container: { name: 'app', imagePullPolicy: 'IfNotPresent' } });
    const { pod: _pod, ...podless } = bare;
    expect(readEnvelope(parseEnvelope(podless)).observations[0]?.failure?.context ?? null).toBeNull();
  });

  it('rebuilds the pod the registry check needs from the record', () => {
    const incident = evaluate(null, readEnvelope(richEnvelope(t(0))).observations[0]!, ms(0), policy).next!;
    const input = incidentCheckInput(incident, IMAGE);
    expect(input.pod).toMatchObject({
      name: 'api-7d9f8c6b5-x2k4p',
      namespace: 'shop',
      serviceAccount: 'api-runner',
      imagePullSecrets: ['regcred'],
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'Always' }],
      workload: { kind: 'Deployment', name: 'api' },
    });
    expect(input.node).toEqual({ name: 'node-a', os: 'linux', arch: 'arm64', variant: null });
    expect(input.classification).toMatchObject({
      cause: 'tag_not_found',
      image: IMAGE,
      kind: 'pull_failure',
    });
    expect(input.pullSecrets?.[0]?.name).toBe('regcred');
  });
});

describe('sweep review order', () => {
  it('resolves a quiet incident whose snooze ran out instead of calling it still failing', () => {
    const opened = evaluate(null, workloadFailure({ at: t(0) }), ms(0), policy).next!;
    const snoozed = applyTransition(opened, { type: 'snooze', by: 'U1', until: t(60) }, ms(1));
    if (snoozed.outcome !== 'applied') throw new Error('snooze refused');
    const settled = { ...snoozed.next, pendingNotice: null };
    expect(reviewIncident(settled, ms(61), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'resolve', by: 'quiet' },
    });
    const stillFailing = { ...settled, lastSeen: t(59) };
    expect(reviewIncident(stillFailing, ms(61), policy)).toMatchObject({
      action: 'transition',
      transition: { type: 'wake' },
    });
  });
});
