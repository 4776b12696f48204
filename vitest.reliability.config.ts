/**
 * The fault suite (`npm run test:reliability`): kills, stops and starves real processes and real
 * Redis servers, so its files run one at a time (timings must not depend on a neighbour's load).
 */
import { defineConfig } from 'vitest/config';
import base, { fromSource } from './vitest.config.ts';

export default defineConfig({
  ...fromSource,
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: base.test?.globalSetup,
    reporters: base.test?.reporters,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
