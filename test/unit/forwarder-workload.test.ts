import { describe, expect, it } from 'vitest';
import { resolveWorkload } from '../../lib/forwarder/workload.ts';

const now = Date.UTC(2026, 10, 1, 12, 0);
const base = { name: 'api-5f7c9d-x2', namespace: 'shop', templateHash: null as string | null };

describe('resolveWorkload', () => {
  it('maps a ReplicaSet to its Deployment through the pod-template-hash naming rule when the RS is not cached', () => {
    const pod = { ...base, owner: { kind: 'ReplicaSet', name: 'api-server-5f7c9d' }, templateHash: '5f7c9d' };
    expect(resolveWorkload(pod, {}, now)).toEqual({ kind: 'Deployment', name: 'api-server' });
  });

  it('prefers the cached ReplicaSet owner over the naming rule', () => {
    const pod = { ...base, owner: { kind: 'ReplicaSet', name: 'api-5f7c9d' }, templateHash: '5f7c9d' };
    const lookups = { replicaSet: () => ({ owner: { kind: 'Rollout', name: 'api-canary' } }) };
    expect(resolveWorkload(pod, lookups, now)).toEqual({ kind: 'Rollout', name: 'api-canary' });
  });

  it('keeps a standalone ReplicaSet (cached without owner, or name without the hash)', () => {
    const pod = { ...base, owner: { kind: 'ReplicaSet', name: 'legacy' }, templateHash: '5f7c9d' };
    expect(resolveWorkload(pod, {}, now)).toEqual({ kind: 'ReplicaSet', name: 'legacy' });
    expect(resolveWorkload(pod, { replicaSet: () => ({ owner: null }) }, now)).toEqual({
      kind: 'ReplicaSet',
      name: 'legacy',
    });
  });

  it('maps a CronJob-made Job (suffix = scheduled minutes since the epoch) to the CronJob', () => {
    const minutes = Math.floor(Date.UTC(2026, 10, 1, 11, 0) / 60_000);
    const pod = { ...base, owner: { kind: 'Job', name: `nightly-report-${minutes}` } };
    expect(resolveWorkload(pod, {}, now)).toEqual({ kind: 'CronJob', name: 'nightly-report' });
  });

  it('does not mistake a Job with a numeric suffix that is no plausible schedule time for a CronJob', () => {
    // A date-stamped name: 20261101 minutes is in 2008, before CronJobs existed.
    expect(resolveWorkload({ ...base, owner: { kind: 'Job', name: 'migrate-20261101' } }, {}, now)).toEqual({
      kind: 'Job',
      name: 'migrate-20261101',
    });
    // 99999999 minutes is in the year 2160: not a schedule time.
    expect(resolveWorkload({ ...base, owner: { kind: 'Job', name: 'batch-99999999' } }, {}, now)).toEqual({
      kind: 'Job',
      name: 'batch-99999999',
    });
    expect(resolveWorkload({ ...base, owner: { kind: 'Job', name: 'import-42' } }, {}, now)).toEqual({
      kind: 'Job',
      name: 'import-42',
    });
  });

  it('uses the cached Job owner when there is one', () => {
    const pod = { ...base, owner: { kind: 'Job', name: 'manual-run' } };
    expect(
      resolveWorkload(pod, { job: () => ({ owner: { kind: 'CronJob', name: 'nightly' } }) }, now),
    ).toEqual({
      kind: 'CronJob',
      name: 'nightly',
    });
  });

  it('uses StatefulSet/DaemonSet owners as they are, and the pod itself when it has no owner', () => {
    expect(resolveWorkload({ ...base, owner: { kind: 'StatefulSet', name: 'db' } }, {}, now)).toEqual({
      kind: 'StatefulSet',
      name: 'db',
    });
    expect(resolveWorkload({ ...base, owner: null }, {}, now)).toEqual({ kind: 'Pod', name: base.name });
  });
});
