import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * Bundles the forwarder (lib/forwarder/main.ts and every dependency) into one ES module for the distroless
 * image, which has no node_modules. Used by the Dockerfile and by the infra test, so both build the same thing.
 *   node infra/forwarder/build.ts <outfile>
 */
export const FORWARDER_ENTRY = fileURLToPath(new URL('../../lib/forwarder/main.ts', import.meta.url));

/**
 * Node flags the image runs the bundle with (the Dockerfile's CMD repeats them; the infra test checks; the
 * bench runs with exactly these). Measured with `npm run bench -- forwarder` (README, "Resources"):
 * - --max-semi-space-size=1: a 1 MB young generation; ~5 MB less RSS for a few more scavenges.
 * - --max-old-space-size=64: without a cap V8 lets the old generation grow to ~45 MB of mostly garbage in
 *   a burst; capped, it collects sooner (~-30 MB peak RSS). The live heap is ~20 MB plus ~0.7 KB per cached
 *   pod (one container; more with more): raise the cap and the memory limit above ~30,000 pods (README).
 * - --v8-pool-size=1: one V8 background thread instead of one per core; fewer thread arenas and stacks.
 * No --enable-source-maps: Node parses the whole map at load when it is on (+10 MB idle, +38 MB peak RSS).
 * Not used: --no-opt (+40% CPU per event), --lite-mode / --jitless (disable WebAssembly, which undici's
 * HTTP parser needs), --single-threaded (no gain in RSS, slower).
 */
export const FORWARDER_NODE_FLAGS = [
  '--max-semi-space-size=1',
  '--max-old-space-size=64',
  '--v8-pool-size=1',
];

/**
 * Environment the image sets (Dockerfile ENV; the bench sets the same). glibc malloc keeps what V8's
 * compilers and Node's buffers freed: two arenas instead of eight per core, and blocks of 32 KB or more
 * mapped on their own so they go back to the system when freed (~-8 MB ready, ~-4 MB peak RSS). The
 * forwarder's few file and DNS jobs need no more than two libuv threads.
 */
export const FORWARDER_RUNTIME_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
  UV_THREADPOOL_SIZE: '2',
};

export const UNDICI_SLIM = fileURLToPath(new URL('./undici-slim.cjs', import.meta.url));

/**
 * Every KB of bundled code costs resident memory at start (source, parse, bytecode), so the bundle leaves
 * out what the forwarder never runs:
 * - client-node's generated models and APIs are plain classes with static type maps, but the package does
 *   not declare them side-effect free, so esbuild would keep all ~750 of them (~330 KB, ~7 MB RSS);
 * - undici's index eagerly loads mocks, caches, WebSocket and EventSource; client-node needs only fetch,
 *   Agent and ProxyAgent (undici-slim.cjs).
 */
export const slimDependencies: Plugin = {
  name: 'pullwatch-slim-dependencies',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^undici$/ }, () => ({ path: UNDICI_SLIM }));
    esbuild.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === 'slim' || !args.importer.includes('/@kubernetes/client-node/dist/gen/')) return;
      const resolved = await esbuild.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'slim',
      });
      if (resolved.errors.length > 0) return resolved;
      const generated = /\/@kubernetes\/client-node\/dist\/gen\/(models|apis|types)\//.test(resolved.path);
      return generated ? { ...resolved, sideEffects: false } : resolved;
    });
  },
};

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
    plugins: [slimDependencies],
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
