import { TaskwireError } from '@taskwire/shared';
import { classifyRedisError, createRedis, freePort } from '@taskwire/shared/node';
import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisUrl } from '../fixtures/harness.ts';

/** An error as ioredis builds those whose class name is their only distinguishing mark. */
function named(name: string, message: string): Error {
  const error = new Error(message);
  Object.defineProperty(error, 'name', { value: name });
  return error;
}

describe('classifyRedisError', () => {
  it('tells a lost reply (outcome unknown) from a command Redis did not run (unavailable)', () => {
    for (const message of ['Connection is closed.', 'read ECONNRESET', 'write EPIPE', 'connect ETIMEDOUT', 'Socket closed unexpectedly']) {
      expect(classifyRedisError(new Error(message)), message).toBe('outcome-unknown');
    }
    for (const error of [
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error("Cluster isn't ready and enableOfflineQueue options is false"),
      new Error('connect ECONNREFUSED 127.0.0.1:6379'),
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 0).'),
      named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
      new ReplyError("READONLY You can't write against a read only replica."),
      new ReplyError('LOADING Redis is loading the dataset in memory'),
      new ReplyError('CLUSTERDOWN The cluster is down'),
      new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot'),
      new ReplyError('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no'),
      new ReplyError('NOREPLICAS Not enough good replicas to write.'),
      new Error('Too many Cluster redirections. Last error: Error: connect ECONNREFUSED'),
    ]) {
      expect(classifyRedisError(error), error.message).toBe('unavailable');
    }
  });

  it("recognizes BullMQ's size limit, and leaves every other error alone", () => {
    expect(classifyRedisError(new Error('The size of job send exceeds the limit 1024 bytes'))).toBe('too-large');
    expect(classifyRedisError(new ReplyError('ERR Error running script: attempt to compare nil with number'))).toBe('other');
    expect(classifyRedisError(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe('other');
    expect(classifyRedisError(new TaskwireError('INVALID_INPUT', 'The payload says Connection is fine'))).toBe('other');
    expect(classifyRedisError('Connection is closed.')).toBe('outcome-unknown');
    expect(classifyRedisError(undefined)).toBe('other');
  });

  it('classifies what a fail-fast client really throws: no connection yet, and a connection lost under a command', async () => {
    const nowhere = createRedis(`redis://127.0.0.1:${await freePort()}`, 'fail-fast', 'classify-nowhere');
    nowhere.on('error', () => {});
    const refused = await nowhere.ping().catch((error: unknown) => error);
    nowhere.disconnect();
    expect(classifyRedisError(refused)).toBe('unavailable');

    const redis = createRedis(redisUrl(), 'fail-fast', 'classify-lost');
    redis.on('error', () => {});
    await new Promise((resolve) => redis.once('ready', resolve));
    const blocked = redis.blpop(`classify-${process.pid}-${Date.now()}`, 5).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    redis.disconnect();
    expect(classifyRedisError(await blocked)).toBe('outcome-unknown');
  });
});
