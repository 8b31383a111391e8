import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../lib/diagnose/types.ts';
import { nodeSideWarning } from '../../lib/notify/node-side.ts';

const base: Diagnosis = {
  image: 'registry.example.com/shop/api:v1',
  registry: 'registry.example.com',
  cause: 'unauthorized',
  category: 'auth',
  confidence: 0.9,
  summary: 'x',
  evidence: [],
  remediation: [],
  suggestions: [],
  checkedFrom: 'test',
  agreesWithNode: false,
  pullable: true,
};

describe('nodeSideWarning', () => {
  it('warns only when the image pulls from here although the node failed', () => {
    expect(nodeSideWarning(base)).toMatch(/looks fine from here/);
    expect(nodeSideWarning({ ...base, pullable: false })).toBeNull();
    expect(nodeSideWarning({ ...base, agreesWithNode: true })).toBeNull();
    expect(nodeSideWarning({ ...base, agreesWithNode: null })).toBeNull();
  });
});
