import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/** Tests run the packages from source: the `taskwire-source` export condition (see each package.json). */
// Vitest leaves out 'module' (packages whose 'module' build is not valid Node ESM), and so does this.
const conditions = ['taskwire-source', ...defaultServerConditions.filter((c) => c !== 'module')];
const resolve = { conditions, externalConditions: ['taskwire-source'] };

/** Where every test config (this one, the fault suite's, the cluster suite's) finds the packages. */
export const fromSource = {
  resolve,
  ssr: { resolve },
  // The runner of global setup files resolves in an environment of its own.
  environments: { __vitest__: { resolve } },
};

export default defineConfig({
  ...fromSource,
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite and the cluster suite have their own configs (and Redis topologies).
    exclude: ['test/reliability/**', 'test/cluster/**', 'node_modules/**'],
    globalSetup: ['test/setup/redis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/setup/summary-reporter.ts'],
    typecheck: {
      enabled: true,
      include: ['test/types/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
