/**
 * `jobs.list` and `deadLetter.list` across several families: a page costs what the page holds, not
 * what lies before it. The cost is counted, not timed: on a Redis server of its own (nothing else
 * talks to it), `INFO commandstats` tells how many job hashes (HGETALL) each page read.
 */
import { createClient } from '@taskwire/client';
import { hashToken, parseTokens } from '@taskwire/router';
import { defineFamily, defineRegistry, defineTask, NonRetriableError } from '@taskwire/shared';
import { createRedis, type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandlers } from '../../worker/src/index.ts';
import { eventually, type Stack, startStack } from '../fixtures/harness.ts';
import { codeOf } from '../fixtures/outcomes.ts';
import { track } from '../fixtures/redis-processes.ts';

const task = <const TId extends `${string}.${string}`>(id: TId) =>
  defineTask({
    id,
    version: 1,
    input: z.object({ n: z.number().int(), fail: z.boolean().default(false) }),
    output: z.object({ n: z.number() }),
  });
const alpha = defineFamily('alpha', { ping: task('alpha.ping') });
const beta = defineFamily('beta', { ping: task('beta.ping') });
const gamma = defineFamily('gamma', { ping: task('gamma.ping') });
const registry = defineRegistry({ alpha, beta, gamma });
const FAMILIES = ['alpha', 'beta', 'gamma'] as const;

const ADMIN = 'tw_paging-admin-token-0000000000';
const ALPHA_READER = 'tw_paging-alpha-reader-000000000';
const auth = {
  tokens: parseTokens(
    JSON.stringify([
      { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
      { name: 'alpha-reader', token: ALPHA_READER, scopes: ['alpha:read'] },
    ]),
  ),
};

/** Waiting jobs per family, enqueued in interleaved rounds so their times mix across families. */
const PER_ROUND = { alpha: 150, beta: 100, gamma: 60 } as const;
const ROUNDS = 10;
const TOTAL = ROUNDS * (PER_ROUND.alpha + PER_ROUND.beta + PER_ROUND.gamma);

let server: SpawnedRedis;
let stack: Stack<typeof registry>;
let stats: ReturnType<typeof createRedis>;

beforeAll(async () => {
  server = track(await startRedisServer());
  stack = await startStack({ registry, auth, token: ADMIN, redisUrl: server.url });
  stats = createRedis(server.url, 'worker', 'taskwire-test-commandstats');
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(
      FAMILIES.map((family) =>
        stack.client[family].ping.enqueueMany(Array.from({ length: PER_ROUND[family] }, (_, i) => ({ input: { n: round * 1_000 + i } }))),
      ),
    );
  }
}, 60_000);

afterAll(async () => {
  stats?.disconnect();
  await stack?.[Symbol.asyncDispose]();
  await server?.stop();
});

/** How many HGETALL calls (one per job hash read, from scripts too) the server has run so far. */
async function hashReads(): Promise<number> {
  const info = await stats.info('commandstats');
  return Number(/^cmdstat_hgetall:calls=(\d+)/m.exec(info)?.[1] ?? 0);
}

/** Runs a call and counts the job hashes it read. */
async function counted<T>(call: () => Promise<T>): Promise<{ value: T; reads: number }> {
  const before = await hashReads();
  const value = await call();
  return { value, reads: (await hashReads()) - before };
}

/** Encodes a cursor as the API does (base64url JSON), to forge one. */
const forge = (cursor: unknown) => Buffer.from(typeof cursor === 'string' ? cursor : JSON.stringify(cursor)).toString('base64url');
const readCursor = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('paging jobs.list across families', { timeout: 60_000 }, () => {
  it('walking every page with the cursor returns each job exactly once, newest first, at a cost of at most families × limit hashes per page', async () => {
    const limit = 100;
    const seen: string[] = [];
    const times: number[] = [];
    const costs: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < TOTAL / limit + 5; page++) {
      const { value, reads } = await counted(() =>
        stack.client.trpc.jobs.list.query({ state: 'waiting', limit, ...(cursor === undefined ? {} : { cursor }) }),
      );
      costs.push(reads);
      for (const job of value.jobs) {
        seen.push(job.id);
        times.push(job.enqueuedAt.getTime());
      }
      if (value.nextCursor === null) break;
      expect(typeof value.nextCursor).toBe('string');
      cursor = value.nextCursor;
    }
    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen).size).toBe(TOTAL);
    for (const family of FAMILIES) {
      expect(seen.filter((id) => id.startsWith(`${family}.`))).toHaveLength(ROUNDS * PER_ROUND[family]);
    }
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThanOrEqual(times[i - 1]!);
    // The last pages (past 2,900 jobs) cost what the first did: the page, never what came before it.
    expect(costs.length).toBe(Math.ceil(TOTAL / limit));
    expect(Math.max(...costs)).toBeLessThanOrEqual(FAMILIES.length * limit);
    expect(costs.at(-2)).toBeLessThanOrEqual(FAMILIES.length * limit);
  });

  it('a page deep into one family by offset reads only that page', async () => {
    const { value, reads } = await counted(() =>
      stack.client.trpc.jobs.list.query({ family: 'beta', state: 'waiting', offset: 900, limit: 20 }),
    );
    expect(value.jobs).toHaveLength(20);
    expect(reads).toBeLessThanOrEqual(20);
    // The cursor of an offset page goes on from where it ended.
    expect(value.nextCursor).not.toBeNull();
    const next = await stack.client.trpc.jobs.list.query({ family: 'beta', state: 'waiting', cursor: value.nextCursor!, limit: 100 });
    expect(next.jobs).toHaveLength(ROUNDS * PER_ROUND.beta - 920);
    expect(next.nextCursor).toBeNull();
    const all = await stack.client.jobs.list({ family: 'beta', state: 'waiting', limit: 100, offset: 900 });
    expect([...value.jobs, ...next.jobs].map((j) => j.id)).toEqual(all.map((j) => j.id));
  });

  it('refuses offset across families, cursor with offset, and any cursor that does not fit the call (INVALID_INPUT)', async () => {
    const across = stack.client.jobs.list({ state: 'waiting', offset: 2_900, limit: 20 });
    await expect(across).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('cursor') });
    expect(await codeOf(stack.client.jobs.list({ state: 'waiting', offset: 0, limit: 20 }))).toBe('OK');

    const first = await stack.client.trpc.jobs.list.query({ state: 'waiting', limit: 5 });
    const cursor = first.nextCursor!;
    expect(readCursor(cursor)).toMatchObject({ state: 'waiting' });
    const invalid = async (input: Parameters<typeof stack.client.jobs.list>[0]) => codeOf(stack.client.jobs.list(input));
    expect(await invalid({ state: 'waiting', cursor, offset: 5 })).toBe('INVALID_INPUT');
    expect(await invalid({ state: 'waiting', cursor, offset: 0 })).toBe('INVALID_INPUT');
    // Another state, another set of families, garbage, out-of-range positions, unknown families.
    expect(await invalid({ state: 'delayed', cursor })).toBe('INVALID_INPUT');
    expect(await invalid({ state: 'waiting', family: 'alpha', cursor })).toBe('INVALID_INPUT');
    expect(await invalid({ state: 'waiting', cursor: 'not a cursor' })).toBe('INVALID_INPUT');
    expect(await invalid({ state: 'waiting', cursor: forge({ state: 'waiting', positions: { alpha: -1, beta: 0, gamma: 0 } }) })).toBe(
      'INVALID_INPUT',
    );
    expect(await invalid({ state: 'waiting', cursor: forge({ state: 'waiting', positions: { alpha: 1.5, beta: 0, gamma: 0 } }) })).toBe(
      'INVALID_INPUT',
    );
    expect(await invalid({ state: 'waiting', cursor: forge({ state: 'waiting', positions: { alpha: 1e8, beta: 0, gamma: 0 } }) })).toBe(
      'INVALID_INPUT',
    );
    expect(
      await invalid({ state: 'waiting', cursor: forge('{"state":"waiting","positions":{"alpha":0,"beta":0,"gamma":0,"__proto__":0}}') }),
    ).toBe('INVALID_INPUT');
    expect(
      await invalid({ state: 'waiting', cursor: forge({ state: 'waiting', positions: { alpha: 0, beta: 0, gamma: 0, delta: 0 } }) }),
    ).toBe('INVALID_INPUT');
    expect(await invalid({ state: 'waiting', cursor: forge({ state: 'waiting', positions: { alpha: 0, beta: 0 } }) })).toBe(
      'INVALID_INPUT',
    );
  });

  it('a cursor never reaches a family the caller cannot read', async () => {
    const reader = createClient<typeof registry>({ url: `${stack.api.url}/trpc`, token: ALPHA_READER });
    try {
      // One readable family: offset works, and the pages hold alpha's jobs only.
      const page = await reader.trpc.jobs.list.query({ state: 'waiting', offset: 10, limit: 10 });
      expect(page.jobs.map((j) => j.task)).toEqual(Array(10).fill('alpha.ping'));
      const admins = await stack.client.trpc.jobs.list.query({ state: 'waiting', limit: 10 });
      const everyFamily = admins.nextCursor!;
      expect(Object.keys(readCursor(everyFamily).positions as object).sort()).toEqual([...FAMILIES]);
      expect(await codeOf(reader.jobs.list({ state: 'waiting', cursor: everyFamily }))).toBe('INVALID_INPUT');
      const betaOnly = forge({ state: 'waiting', positions: { beta: 0 } });
      expect(await codeOf(reader.jobs.list({ state: 'waiting', cursor: betaOnly }))).toBe('INVALID_INPUT');
      expect(await codeOf(reader.jobs.list({ state: 'waiting', family: 'beta', cursor: betaOnly }))).toBe('FORBIDDEN');
    } finally {
      reader.close();
    }
  });
});

describe('paging deadLetter.list across families', { timeout: 60_000 }, () => {
  it('pages failed jobs of every family with the cursor; offset across families is refused', async () => {
    const ping = (input: { n: number; fail: boolean }) => {
      if (input.fail) throw new NonRetriableError(`fail ${input.n}`);
      return { n: input.n };
    };
    const handlers = [defineHandlers(alpha, { ping }), defineHandlers(beta, { ping }), defineHandlers(gamma, { ping })];
    await using failed = await startStack({ registry, token: ADMIN, redisUrl: server.url, handlers });
    const counts = { alpha: 7, beta: 4, gamma: 5 } as const;
    const refs = (
      await Promise.all(
        FAMILIES.map((family) =>
          failed.client[family].ping.enqueueMany(Array.from({ length: counts[family] }, (_, n) => ({ input: { n, fail: true } }))),
        ),
      )
    ).flat();
    await eventually(async () => {
      const stat = await failed.client.queues.stats();
      return stat.reduce((sum, s) => sum + s.failed, 0) === refs.length ? true : undefined;
    });

    const ids: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await failed.client.deadLetter.page({ limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      ids.push(...page.jobs.map((j) => j.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(ids.sort()).toEqual(refs.map((r) => r.id).sort());
    expect(await codeOf(failed.client.deadLetter.list({ offset: 3 }))).toBe('INVALID_INPUT');
    expect((await failed.client.deadLetter.list({ family: 'alpha', offset: 3 })).length).toBe(counts.alpha - 3);
    const waitingCursor = (await failed.client.jobs.page({ state: 'waiting', limit: 1 })).nextCursor;
    const failedCursor = (await failed.client.jobs.page({ state: 'failed', limit: 1 })).nextCursor!;
    expect(waitingCursor).toBeNull();
    expect(await codeOf(failed.client.deadLetter.list({ cursor: failedCursor }))).toBe('OK');
    expect(await codeOf(failed.client.deadLetter.list({ cursor: forge({ ...readCursor(failedCursor), state: 'waiting' }) }))).toBe(
      'INVALID_INPUT',
    );
  });
});
