import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';

/** Keys of an object, recursively, as dotted paths (arrays and records are documented as a whole). */
function paths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => paths(child, prefix ? `${prefix}.${key}` : key));
}

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Troubleshooting'));

describe('the README configuration reference', () => {
  it('documents every setting of pullwatch.yml with its name', () => {
    const defaults = pullwatchConfigSchema.parse({});
    const keys = paths(defaults).concat([
      'slack.apiUrl',
      'slack.botTokenParameter',
      'slack.signingSecretParameter',
      'checkedFrom',
    ]);
    const missing = keys.filter((key) => {
      const leaf = key.split('.').pop()!;
      // A row names the full path, or a family row names the section and lists the leaf.
      return !section.includes(`\`${key}\``) && !section.includes(`\`${leaf}\``);
    });
    expect(missing).toEqual([]);
    expect(section.length).toBeGreaterThan(1000);
  });
});
