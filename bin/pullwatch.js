#!/usr/bin/env node
// The TypeScript sources run as they are on Node ≥ 22.18 (built-in type stripping): nothing to build after
// `npm ci`. npm and npx put node_modules/.bin first on PATH, where the `node@22` dependency lives, so
// `npx pullwatch` runs on Node 22 even on a machine whose own node is older.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `pullwatch needs Node.js >= 22.18 (this is ${process.version}). ` +
      'Run it as `npx pullwatch …` or `npm start` inside the project (they use the bundled node@22), or install Node 22.',
  );
  process.exit(2);
}
await import('../lib/cli/main.ts');
