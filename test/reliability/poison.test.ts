import { decodeFailureReason, encodeEnvelope, type TaskwireErrorCode } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import { startTrackedWorker, stopWorkers, type TrackedWorker, tally, trackedQueue } from './support.ts';

const meta = () => ({ enqueuedAt: Date.now() });
const envelope = (version: number, payload: unknown) => encodeEnvelope(version, payload, meta());

interface Poison {
  label: string;
  name: string;
  data: unknown;
  code: TaskwireErrorCode;
}

/** Jobs the router would never write, each with the code its failure must carry. */
const POISON: Poison[] = [
  { label: 'a string', name: 'work', data: 'garbage', code: 'INVALID_PAYLOAD' },
  { label: 'a number', name: 'work', data: 42, code: 'INVALID_PAYLOAD' },
  { label: 'null', name: 'work', data: null, code: 'INVALID_PAYLOAD' },
  { label: 'an array', name: 'work', data: [1, 2, 3], code: 'INVALID_PAYLOAD' },
  { label: 'a non-envelope object', name: 'work', data: { hello: 'world' }, code: 'INVALID_PAYLOAD' },
  { label: 'an envelope without meta', name: 'work', data: { v: 1, p: { json: { n: 1, ms: 0 } } }, code: 'INVALID_PAYLOAD' },
  { label: 'version 0', name: 'work', data: envelope(0, { n: 1, ms: 0 }), code: 'INVALID_PAYLOAD' },
  { label: 'version "1" (a string)', name: 'work', data: { ...envelope(1, { n: 1, ms: 0 }), v: '1' }, code: 'INVALID_PAYLOAD' },
  { label: 'version 1.5', name: 'work', data: envelope(1.5, { n: 1, ms: 0 }), code: 'INVALID_PAYLOAD' },
  { label: 'a payload of the wrong shape', name: 'work', data: envelope(1, { n: 'many', ms: 0 }), code: 'INVALID_PAYLOAD' },
  { label: 'a payload that is a string', name: 'work', data: envelope(1, 'n=1'), code: 'INVALID_PAYLOAD' },
  {
    label: 'malformed superjson (unknown type annotation)',
    name: 'work',
    data: { v: 1, p: { json: { n: 1, ms: 0 }, meta: { values: { n: ['no-such-type'] } } }, meta: meta() },
    code: 'INVALID_PAYLOAD',
  },
  {
    label: 'malformed superjson (__proto__ path)',
    name: 'work',
    data: { v: 1, p: { json: { n: 1, ms: 0 }, meta: { values: { '__proto__.polluted': ['undefined'] } } }, meta: meta() },
    code: 'INVALID_PAYLOAD',
  },
  { label: 'v1 of a v3 task with no migration from v1', name: 'legacy', data: envelope(1, { n: 1 }), code: 'UNSUPPORTED_VERSION' },
  { label: 'v2 payload its migration rejects', name: 'legacy', data: envelope(2, { n: 'one' }), code: 'INVALID_PAYLOAD' },
  { label: 'a newer version than any worker knows', name: 'work', data: envelope(99, { n: 1, ms: 0 }), code: 'UNSUPPORTED_VERSION' },
  { label: 'an unknown task name', name: 'nope', data: envelope(1, { n: 1, ms: 0 }), code: 'UNKNOWN_TASK' },
  { label: 'task name "constructor"', name: 'constructor', data: envelope(1, { n: 1, ms: 0 }), code: 'UNKNOWN_TASK' },
  { label: 'task name "__proto__"', name: '__proto__', data: envelope(1, { n: 1, ms: 0 }), code: 'UNKNOWN_TASK' },
  { label: 'task name "toString"', name: 'toString', data: envelope(1, { n: 1, ms: 0 }), code: 'UNKNOWN_TASK' },
  { label: 'task name "hasOwnProperty"', name: 'hasOwnProperty', data: envelope(1, { n: 1, ms: 0 }), code: 'UNKNOWN_TASK' },
];

const GOOD_PER_ROUND = 20;

describe('poison jobs written straight into Redis', () => {
  it('each fails once with a clear code, and the worker keeps processing good jobs', async () => {
    await using stack = await startStack({ registry: trackedRegistry });
    await using raw = trackedQueue(stack.redisUrl, stack.prefix);
    const spawned: TrackedWorker[] = [];
    try {
      // A newer version is put back for a newer worker; allow one deferral so it ends here.
      spawned.push(await startTrackedWorker(stack.redisUrl, stack.prefix, { WORKER_MAX_DEFERRALS: '1', WORKER_DEFERRAL_DELAY_MS: '50' }));
      const good = async (round: number) =>
        stack.client.tracked.work.enqueueMany(
          Array.from({ length: GOOD_PER_ROUND }, (_, i) => ({ input: { n: round * 1_000 + i, ms: 1 } })),
        );
      const goodRefs = [...(await good(0))];
      const poisonIds: string[] = [];
      for (const p of POISON) {
        // Five attempts allowed: a poison job retried would show attemptsMade > 1.
        const job = await raw.queue.add(p.name, p.data, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
        poisonIds.push(job.id as string);
        goodRefs.push(...(await good(poisonIds.length)));
      }
      // A valid legacy job from v2 is migrated and runs.
      const migrated = await raw.queue.add('legacy', envelope(2, { n: 7 }), { attempts: 5 });

      const settled = async () => {
        const jobs = await Promise.all(poisonIds.map((id) => raw.queue.getJob(id)));
        const states = await Promise.all(poisonIds.map((id) => raw.queue.getJobState(id)));
        return jobs.map((job, i) => ({ job, state: states[i] }));
      };
      const timedOut = await eventually(
        async () => {
          const all = await settled();
          return all.every((x) => x.state === 'failed' || x.state === 'completed') ? false : undefined;
        },
        20_000,
        100,
      ).catch(() => true);
      // What callers see: the job through the API, under its own id, with the code.
      const views = await Promise.all(poisonIds.map((id) => stack.client.jobs.get(`tracked.${id}`).catch((e: Error) => e)));
      const results = (await settled()).map(({ job, state }, i) => {
        const p = POISON[i] as Poison;
        const error = decodeFailureReason(job?.failedReason);
        const view = views[i];
        return {
          label: p.label,
          expected: p.code,
          state,
          code: state === 'failed' ? error.code : '-',
          attemptsMade: job?.attemptsMade,
          message: error.message,
          api: view instanceof Error ? `jobs.get failed: ${view.message}` : `${view?.id} ${view?.error?.code}`,
        };
      });
      const wrong = results.filter(
        (r, i) =>
          r.state !== 'failed' || r.code !== r.expected || r.attemptsMade !== 1 || r.api !== `tracked.${poisonIds[i]} ${r.expected}`,
      );
      const lateGood = await stack.client.tracked.work.enqueue({ n: 999_999, ms: 1 });
      const goodIds = [...goodRefs.map((r) => r.id), lateGood.id];
      const goodDone = await eventually(
        async () => {
          const views = await Promise.all(goodIds.map((id) => raw.queue.getJobState(id.slice('tracked.'.length))));
          return views.every((s) => s === 'completed') ? views.length : undefined;
        },
        20_000,
        100,
      ).catch(() => 0);
      const migratedState = await raw.queue.getJobState(migrated.id as string);
      const t = tally(await raw.runs());

      console.log(
        `poison: ${POISON.length} poison jobs, ${results.length - wrong.length} failed once with the expected code, ${wrong.length} did not` +
          `${timedOut ? ' (some never settled)' : ''}; ${goodDone}/${goodIds.length} good jobs completed around them; ` +
          `migrated v2 job ${migratedState}; ${t.executions} handler runs; worker alive: ${spawned[0]?.alive}`,
      );
      for (const r of wrong) {
        console.log(
          `  ✗ ${r.label}: expected ${r.expected} after 1 attempt, got ${r.state} ${r.code} after ${r.attemptsMade} attempt(s) (${r.message}); API shows ${r.api}`,
        );
      }
      expect.soft(wrong.map((r) => `${r.label}: ${r.state} ${r.code} ×${r.attemptsMade}, API: ${r.api}`)).toEqual([]);
      expect(goodDone).toBe(goodIds.length);
      expect(migratedState).toBe('completed');
      // No poison job reached a handler.
      expect(t.executions).toBe(goodIds.length + 1);
      expect(spawned[0]?.alive).toBe(true);
    } finally {
      await stopWorkers(spawned);
    }
  });
});
