import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the forwarder (lib/forwarder/main.ts and every dependency) into one ES module for the distroless
 * image, which has no node_modules. Used by the Dockerfile and by the infra test, so both build the same thing.
 *   node infra/forwarder/build.ts <outfile>
 */
export const FORWARDER_ENTRY = fileURLToPath(new URL('../../lib/forwarder/main.ts', import.meta.url));

/**
 * Node flags the image runs the bundle with (the Dockerfile's CMD repeats them; the infra test checks).
 * A 1 MB semi-space keeps the young generation small: ~5 MB less RSS for a few more scavenges. No
 * --enable-source-maps: Node parses the whole map at load when it is on (+10 MB idle, +38 MB peak RSS in the bench).
 */
export const FORWARDER_NODE_FLAGS = ['--max-semi-space-size=1'];

export async function buildForwarder(outfile: string): Promise<{ bytes: number }> {
  await build({
    entryPoints: [FORWARDER_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // Some dependencies are CommonJS and `require` Node built-ins; give the ES module a `require`.
    banner: {
      js: "import { createRequire as __pullwatchRequire } from 'node:module'; const require = __pullwatchRequire(import.meta.url);",
    },
  });
  return { bytes: statSync(outfile).size };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  if (!outfile) {
    process.stderr.write('usage: node infra/forwarder/build.ts <outfile>\n');
    process.exit(2);
  }
  const { bytes } = await buildForwarder(outfile);
  process.stdout.write(`${outfile}: ${bytes} bytes\n`);
}
