import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // node:sqlite (our local store, and the SQS emulator's) prints an ExperimentalWarning per worker: noise.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    // Integration tests start real local services (registry, dynalite, SQS emulator); give them room on a
    // shared 2-core machine, but keep a ceiling so a hung service fails the run instead of stalling CI.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
  },
});
