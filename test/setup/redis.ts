/**
 * Finds a Redis for the whole run the way `npm start` does (REDIS_URL, else 127.0.0.1:6379, else
 * an embedded redis-server) and hands its URL to every test file as REDIS_URL.
 */
import { findOrStartRedis } from '@taskwire/shared/node';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject) {
  const redis = await findOrStartRedis();
  process.env.REDIS_URL = redis.url;
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
