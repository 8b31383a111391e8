import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify, decide, type FilterSettings } from '../../lib/forwarder/filter.ts';

const defaults: FilterSettings = {
  excludeNamespaces: new Set(),
  includeReasons: new Set(),
  excludeReasons: new Set(),
  forwardAllWarnings: false,
};

const corpus = readFileSync(new URL('../fixtures/pull-failures.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { message: string; reason: string });

describe('classify', () => {
  it('recognises every real kubelet pull-failure message of the shared corpus as image-related', () => {
    for (const record of corpus.filter((r) => r.reason !== 'WaitingReason')) {
      const type = record.reason === 'BackOff' ? 'Normal' : 'Warning';
      const eventClass = classify(type, record.reason, record.message);
      expect([record.message, eventClass]).toEqual([
        record.message,
        record.reason === 'BackOff' ? 'pull_backoff' : 'pull_failure',
      ]);
    }
  });

  it('keeps the image BackOff even though kubelet reports it as Normal', () => {
    expect(classify('Normal', 'BackOff', 'Back-off pulling image "nginx:1.99"')).toBe('pull_backoff');
  });

  it('tells the container restart back-off apart from the image back-off', () => {
    expect(
      classify('Warning', 'BackOff', 'Back-off restarting failed container app in pod api_shop(uid)'),
    ).toBe('warning');
    expect(classify('Normal', 'BackOff', 'Back-off restarting failed container')).toBeNull();
  });

  it('classifies Warnings that are not about images as plain warnings', () => {
    for (const [reason, message] of [
      ['FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.'],
      ['FailedMount', 'MountVolume.SetUp failed for volume "config" : configmap "x" not found'],
      ['Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500'],
      ['Failed', 'Error: CreateContainerConfigError'],
      ['FailedCreatePodSandBox', 'Failed to create pod sandbox: rpc error'],
    ] as const) {
      expect(classify('Warning', reason, message)).toBe('warning');
    }
  });

  it('marks Pulled as a resolution candidate and ignores other Normal events', () => {
    expect(classify('Normal', 'Pulled', 'Successfully pulled image "nginx:1.27" in 1.2s')).toBe('pulled');
    expect(classify('Normal', 'Pulling', 'Pulling image "nginx:1.27"')).toBeNull();
    expect(classify('Normal', 'Started', 'Started container app')).toBeNull();
  });
});

describe('decide', () => {
  const failure = {
    namespace: 'shop',
    type: 'Warning',
    reason: 'Failed',
    message: 'Failed to pull image "x": 404',
  };

  it('forwards pull failures by default and nothing else', () => {
    expect(decide(failure, defaults)).toEqual({ interested: true, eventClass: 'pull_failure' });
    expect(decide({ ...failure, reason: 'FailedMount', message: 'mount failed' }, defaults)).toEqual({
      interested: false,
      reason: 'not_pull_related',
    });
  });

  it('forwards every Warning when asked to', () => {
    const settings = { ...defaults, forwardAllWarnings: true };
    expect(decide({ ...failure, reason: 'FailedMount', message: 'mount failed' }, settings)).toEqual({
      interested: true,
      eventClass: 'warning',
    });
    expect(decide({ ...failure, type: 'Normal', reason: 'Started', message: 'Started' }, settings)).toEqual({
      interested: false,
      reason: 'not_pull_related',
    });
  });

  it('applies namespace and reason exclusions before anything else', () => {
    expect(decide(failure, { ...defaults, excludeNamespaces: new Set(['shop']) })).toEqual({
      interested: false,
      reason: 'excluded_namespace',
    });
    expect(
      decide(failure, {
        ...defaults,
        excludeReasons: new Set(['Failed']),
        includeReasons: new Set(['Failed']),
      }),
    ).toEqual({
      interested: false,
      reason: 'excluded_reason',
    });
  });

  it('forwards included reasons whatever their type', () => {
    const settings = { ...defaults, includeReasons: new Set(['Evicted']) };
    expect(
      decide({ ...failure, type: 'Normal', reason: 'Evicted', message: 'disk pressure' }, settings),
    ).toEqual({
      interested: true,
      eventClass: 'included',
    });
  });
});
