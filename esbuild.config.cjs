// The Lambda bundles' esbuild options, in one place: serverless-esbuild reads them when packaging
// (serverless.yml `custom.esbuild.config`), and the end-to-end test and the bench build with the same file
// (test/support/lambda-bundle.ts), so what is tested is what ships. serverless-esbuild calls the exported
// function with the Serverless instance; `exclude` and `outputFileExtension` are its own keys (esbuild's
// `external` and `outExtension`), everything else goes to esbuild as is.
const options = {
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
  // Some CommonJS dependencies call require() for Node built-ins, which an ES module bundle lacks.
  banner: {
    js: "import { createRequire as __pwCreateRequire } from 'node:module'; const require = __pwCreateRequire(import.meta.url);",
  },
  mainFields: ['module', 'main'],
  keepNames: true,
};

module.exports = () => structuredClone(options);
