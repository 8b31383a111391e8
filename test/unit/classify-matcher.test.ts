import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRules } from '../../lib/classify/match.ts';
import { RULES, type Rule } from '../../lib/classify/rules.ts';

/**
 * The Aho–Corasick matcher against the plain reading of a rule table: the first rule, in order, one of whose
 * needles occurs; its evidence starts at the first of its needles (in the rule's order) that occurs. Small
 * alphabets make needles overlap, share prefixes and suffixes, and sit inside one another — the cases where
 * failure links and inherited outputs matter.
 */
function naiveScan(rules: readonly Rule[], text: string): { id: string; start: number } | null {
  for (const rule of rules) {
    const present = rule.any.find((needle) => text.includes(needle));
    if (present !== undefined) return { id: rule.id, start: text.indexOf(present) };
  }
  return null;
}

const needle = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' '), minLength: 1, maxLength: 6 });
const ruleTable = fc
  .array(fc.uniqueArray(needle, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 })
  .map((needleLists) =>
    needleLists.map((any, index): Rule => ({ id: `r${index}`, cause: 'unknown', confidence: 0.5, any })),
  );
const message = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', 'd'), maxLength: 60 });

describe('compileRules', () => {
  it('finds the rule and evidence start a needle-by-needle reading finds (property)', () => {
    fc.assert(
      fc.property(ruleTable, fc.array(message, { minLength: 1, maxLength: 5 }), (rules, texts) => {
        const matcher = compileRules(rules);
        for (const text of texts) {
          const hit = matcher.scan(text);
          expect(hit && { id: hit.rule.id, start: hit.start }).toEqual(naiveScan(rules, text));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports exactly the markers the last scanned text contains (property)', () => {
    fc.assert(
      fc.property(ruleTable, fc.uniqueArray(needle, { maxLength: 6 }), message, (rules, markers, text) => {
        const matcher = compileRules(rules, markers);
        matcher.scan(text);
        for (const marker of markers) expect(matcher.has(marker)).toBe(text.includes(marker));
      }),
      { numRuns: 300 },
    );
  });

  it('compiles the shipped rule table and refuses a marker it was not compiled with', () => {
    const matcher = compileRules(RULES, ['back-off pulling image']);
    const hit = matcher.scan('failed to pull image "r.example.com/app:v1": manifest unknown');
    expect(hit?.rule.cause).toBe('tag_not_found');
    expect(matcher.has('back-off pulling image')).toBe(false);
    expect(() => matcher.has('not a marker')).toThrow(/not a compiled marker/);
  });

  it('refuses a needle that is not ASCII', () => {
    const rule: Rule = { id: 'x', cause: 'unknown', confidence: 0.5, any: ['é'] };
    expect(() => compileRules([rule])).toThrow(/not ASCII/);
  });
});
