import type { Registry, TaskInput, TaskOutput } from '@taskwire/shared';
import type { Queue } from 'bullmq';
import type { cleanJobs } from '../contracts/index.ts';
import { selectFamilies } from './select-families.ts';

export type CleanJobsInput = TaskInput<typeof cleanJobs>;
export type CleanJobsResult = TaskOutput<typeof cleanJobs>;

/** What cleaning needs; a handler context provides all of it. */
export interface CleanJobsDeps {
  registry: Registry;
  queue(family: string): Pick<Queue, 'clean'>;
  signal?: AbortSignal | undefined;
}

/**
 * Removes jobs that finished more than `olderThanMs` ago, at most `limit` per family and state.
 *
 * `removed` has one entry per selected family and state, keyed `<family>:<state>` (e.g.
 * `email:failed`), zeros included, so the shape of the answer does not depend on what was found;
 * `total` is their sum. (`:` keeps the keys apart from task ids such as `email.send`.)
 * An unknown family fails without retry.
 *
 * @example
 * await cleanFinishedJobs({ olderThanMs: 7 * 86_400_000, states: ['completed'], limit: 10_000 }, ctx);
 * // { removed: { 'email:completed': 120, 'reports:completed': 0, … }, total: 120 }
 */
export async function cleanFinishedJobs(input: CleanJobsInput, deps: CleanJobsDeps): Promise<CleanJobsResult> {
  const removed: Record<string, number> = {};
  let total = 0;
  for (const family of selectFamilies(deps.registry, input.families)) {
    for (const state of new Set(input.states)) {
      deps.signal?.throwIfAborted();
      const ids = await deps.queue(family).clean(input.olderThanMs, input.limit, state);
      removed[`${family}:${state}`] = ids.length;
      total += ids.length;
    }
  }
  return { removed, total };
}
