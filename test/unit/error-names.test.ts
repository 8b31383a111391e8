import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/load.ts';
import { PullwatchError } from '../../lib/errors.ts';
import { parseImageReference } from '../../lib/image/index.ts';

/** Every .ts file under lib/, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('error class names', () => {
  // The Lambda bundles are minified without esbuild's keepNames: a class's own name is mangled there, so an
  // error that does not declare its name would reach the logs as "C: …".
  it('every error class under lib/ declares its own name', () => {
    const undeclared: string[] = [];
    let found = 0;
    for (const file of sources('lib')) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/class (\w+) extends (\w*Error|ProbeStop|RetryLater)\b[^{]*\{/g)) {
        found += 1;
        const name = match[1]!;
        if (!text.includes(`override readonly name: string = '${name}';`))
          undeclared.push(`${file}: ${name}`);
      }
    }
    expect(found).toBeGreaterThan(20);
    expect(undeclared).toEqual([]);
  });

  it('instances carry the declared name and keep code and cause', () => {
    const cause = new Error('root');
    const error = new ConfigError('config_invalid', 'bad', { cause });
    expect([error.name, error.code, error.cause, error instanceof PullwatchError]).toEqual([
      'ConfigError',
      'config_invalid',
      cause,
      true,
    ]);
    expect(new PullwatchError('x', 'y').name).toBe('PullwatchError');
    let caught: unknown = null;
    try {
      parseImageReference('Nginx');
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).toMatch(/^ImageReferenceError: invalid reference format/);
  });
});
