// The Lambda bundles' esbuild options, in one place: serverless-esbuild reads them when packaging
// (serverless.yml `custom.esbuild.config`), and the end-to-end test and the bench build with the same file
// (test/support/lambda-bundle.ts), so what is tested is what ships. serverless-esbuild calls the exported
// function with the Serverless instance; `exclude` and `outputFileExtension` are its own keys (esbuild's
// `external` and `outExtension`), everything else goes to esbuild as is.
const { builtinModules } = require('node:module');

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * Node built-ins reach the bundle through require(), not `import`. Importing a built-in from an ES module makes
 * Node build its ESM facade, which reads every export once — lazy getters included: node:http's load undici
 * (~15–50 ms), node:tls's parse every bundled root certificate. require() hands over the module object and
 * leaves the getters alone; esbuild's CommonJS interop then reads `http.request` and the like when they are
 * used.
 */
const builtinsThroughRequire = {
  name: 'pullwatch-builtins-through-require',
  setup(build) {
    build.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      args.kind === 'import-statement' && BUILTINS.has(args.path)
        ? { path: args.path, namespace: 'pullwatch-builtin' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'pullwatch-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const options = () => ({
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  // Stack traces need the mappings, not the sources: NODE_OPTIONS=--enable-source-maps reads and parses the map
  // at every cold start, and the sources made up three quarters of it (notify's 1.4 MB → 0.4 MB).
  sourcesContent: false,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  outputFileExtension: '.mjs',
  // The nodejs22.x runtime ships AWS SDK v3; bundling it again would triple every package.
  exclude: ['@aws-sdk/*', '@smithy/*'],
  // CommonJS dependencies and the plugin above call require() for Node built-ins, which an ES module lacks.
  banner: {
    js: "import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);",
  },
  plugins: [builtinsThroughRequire],
  mainFields: ['module', 'main'],
  // No keepNames: it wrapped every function to keep its name (~14 KB per bundle); error classes name themselves.
  keepNames: false,
});

module.exports = options;
