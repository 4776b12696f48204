/**
 * Global setup of `npm run test:cluster`: starts a local 3-master Redis Cluster and hands it to
 * every test file as REDIS_CLUSTER_NODES (the harness's `redisConfig()` reads it), so the same
 * suites that run on a single node run on a cluster. Stops every node afterwards.
 */
import { redisConfigToEnv } from '@taskwire/shared/node';
import { startRedisCluster } from '../fixtures/redis-cluster.ts';

export default async function setup() {
  const started = performance.now();
  const cluster = await startRedisCluster({ masters: 3 });
  // One topology per run: a REDIS_URL from the caller would contradict the cluster.
  delete process.env.REDIS_URL;
  Object.assign(process.env, redisConfigToEnv(cluster.config));
  console.log(
    `[cluster] 3 masters on ports ${cluster.nodes.map((n) => n.port).join(', ')} (up in ${Math.round(performance.now() - started)} ms)`,
  );
  return () => cluster.stop();
}
