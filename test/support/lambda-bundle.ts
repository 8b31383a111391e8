import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

/**
 * The Lambda bundles exactly as `npm run package` builds them: the options come from esbuild.config.cjs (the
 * file serverless.yml hands to serverless-esbuild), translated the way serverless-esbuild 1.57 translates its
 * own keys (`exclude` → `external`, `outputFileExtension` → `outExtension`, plugin-only keys dropped), and the
 * output laid out as in the zips: `<outdir>/functions/<name>.mjs` with its linked source map.
 */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

/** serverless-esbuild's own settings, which it removes before calling esbuild (its dist/bundle.js). */
const PLUGIN_ONLY = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
] as const;

type PluginOptions = BuildOptions & { exclude?: string[]; outputFileExtension?: string };

export function lambdaBuildOptions(): { options: BuildOptions; extension: string; external: string[] } {
  const load = createRequire(import.meta.url)(
    join(PROJECT_ROOT, 'esbuild.config.cjs'),
  ) as () => PluginOptions;
  const plugin = load();
  const options: Record<string, unknown> = { ...plugin };
  for (const key of PLUGIN_ONLY) delete options[key];
  const extension = plugin.outputFileExtension ?? '.js';
  const external = [...(plugin.external ?? []), ...(plugin.exclude ?? [])];
  return {
    options: {
      ...(options as BuildOptions),
      external,
      ...(extension !== '.js' ? { outExtension: { '.js': extension } } : {}),
    },
    extension,
    external,
  };
}

/** Bundles `functions/<name>.ts` for each name into `<outdir>/functions/`; returns each bundle's path. */
export async function bundleFunctions(
  names: readonly string[],
  outdir: string,
): Promise<Record<string, string>> {
  const { options, extension } = lambdaBuildOptions();
  await build({
    ...options,
    absWorkingDir: PROJECT_ROOT,
    entryPoints: names.map((name) => `functions/${name}.ts`),
    outdir: join(outdir, 'functions'),
    logLevel: 'error',
  });
  return Object.fromEntries(names.map((name) => [name, join(outdir, 'functions', `${name}${extension}`)]));
}

/** Bundles a module given as source text (the bench's bare middy handler) with the same options. */
export async function bundleSource(source: string, outfile: string): Promise<string> {
  const { options, extension } = lambdaBuildOptions();
  const file = outfile.endsWith(extension) ? outfile : `${outfile}${extension}`;
  const { outExtension: _unused, ...rest } = options;
  await build({
    ...rest,
    absWorkingDir: PROJECT_ROOT,
    stdin: { contents: source, resolveDir: PROJECT_ROOT, sourcefile: 'bare.ts', loader: 'ts' },
    outfile: file,
    logLevel: 'error',
  });
  return file;
}
