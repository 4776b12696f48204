/**
 * `npm run test:cluster`: the integration and contract suites again, on a local 3-master Redis
 * Cluster started by the global setup, plus the cluster-only tests (key slots, many workers).
 */
import { defineConfig } from 'vitest/config';
import base, { fromSource } from './vitest.config.ts';

export default defineConfig({
  ...fromSource,
  test: {
    include: ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts', 'test/cluster/**/*.test.ts'],
    exclude: [
      'node_modules/**',
      // Starts, freezes and kills its own single node: a single-node fault test by design.
      'test/integration/redis-outage.test.ts',
      // TLS and ACL on its own single node (the same connection code serves a cluster).
      'test/integration/redis-access.test.ts',
      // A single node set to refuse writes without a replica.
      'test/integration/min-replicas.test.ts',
      // Counts the API's reader connections with CLIENT LIST on the one node it talks to.
      'test/integration/job-events.test.ts',
      // Children of another family than their parent: one slot only on a single node (a cluster
      // refuses them, see test/cluster/workflow-slots.test.ts).
      'test/integration/workflow-deploy.test.ts',
      'test/integration/workflow-access.test.ts',
    ],
    globalSetup: ['test/setup/redis-cluster.ts'],
    reporters: base.test?.reporters,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
