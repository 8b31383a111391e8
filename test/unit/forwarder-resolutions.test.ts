import { describe, expect, it } from 'vitest';
import { PullFailureMemory } from '../../lib/forwarder/resolutions.ts';

describe('PullFailureMemory', () => {
  it('reports a resolution once per failure', () => {
    const memory = new PullFailureMemory({ windowMs: 1000 });
    memory.record('pod-1', 'app', 100);
    expect(memory.consume('pod-1', 'app', 200)).toBe(true);
    expect(memory.consume('pod-1', 'app', 200)).toBe(false);
  });

  it('lets a failure without a container be resolved by any container, and a Pulled without one resolve all', () => {
    const memory = new PullFailureMemory({ windowMs: 1000 });
    memory.record('pod-1', null, 100);
    expect(memory.consume('pod-1', 'app', 200)).toBe(true);
    memory.record('pod-2', 'a', 100);
    memory.record('pod-2', 'b', 100);
    expect(memory.consume('pod-2', null, 200)).toBe(true);
    expect(memory.size).toBe(0);
  });

  it('stays bounded: prunes what is older than the window, then evicts the oldest pod', () => {
    const memory = new PullFailureMemory({ windowMs: 1000, maxPods: 3 });
    memory.record('old', 'app', 0);
    for (const pod of ['a', 'b', 'c']) memory.record(pod, 'app', 5000);
    expect(memory.size).toBe(3);
    expect(memory.consume('old', 'app', 5000)).toBe(false);
    memory.record('d', 'app', 5001);
    expect(memory.size).toBe(3);
    expect(memory.consume('a', 'app', 5001)).toBe(false);
    expect(memory.consume('d', 'app', 5001)).toBe(true);
  });
});
