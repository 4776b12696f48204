import { type JobPage, type JobView, type ListableState, type PageInput, TaskwireError } from '@taskwire/shared';
import type { JobType } from 'bullmq';
import type { QueueHub } from './hub.ts';
import { decodeListCursor, encodeListCursor } from './list-cursor.ts';
import { viewOf } from './views.ts';

/** The BullMQ sets each state `jobs.list` lists reads, in this order. */
export const LISTABLE = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
} as const satisfies Record<ListableState, JobType[]>;

/** Where a page starts, as the caller asked for it. */
export type PageRequest = Pick<PageInput, 'cursor' | 'offset'>;

/**
 * Where each family's part of the page starts: from the cursor, else from `offset` (one family
 * only: across families an offset would make every family read all the jobs before it, so it is
 * refused, and the message says what to send instead). Throws INVALID_INPUT.
 *
 * @example
 * pageStart(['email', 'reports'], 'failed', { cursor: input.cursor }); // { email: 20, reports: 3 }
 */
export function pageStart(families: readonly string[], state: ListableState, request: PageRequest): Record<string, number> {
  if (request.cursor !== undefined) {
    if (request.offset !== undefined) throw new TaskwireError('INVALID_INPUT', 'Pass cursor or offset, not both');
    return decodeListCursor(request.cursor, { state, families }).positions;
  }
  const offset = request.offset ?? 0;
  if (offset > 0 && families.length > 1) {
    throw new TaskwireError(
      'INVALID_INPUT',
      `offset pages one family; this call lists ${families.length} (${families.join(', ')}): pass the previous page's nextCursor as cursor, or pass family`,
      { issues: [{ path: ['offset'], message: 'only with one family; use cursor across families' }] },
    );
  }
  return Object.fromEntries(families.map((family) => [family, offset]));
}

/** A family's jobs from its start position: what was read, and where the family ends. */
interface FamilyBatch {
  family: string;
  start: number;
  /** The views read, each with its position in the family's listing (missing hashes are skipped). */
  entries: { position: number; view: JobView }[];
  /** The position after the last id read. */
  end: number;
  /** How many jobs the family has in this state. */
  total: number;
}

/**
 * One page of jobs of some families in one state, newest first across families. Each family is
 * read from its own start position, at most `limit` jobs, so a page costs families × limit job
 * reads wherever it is in the listing. The families are merged by enqueue time, always taking a
 * family's jobs in its own order, so the cursor can record how many of each were returned.
 *
 * @example
 * const page = await listJobs(hub, ['email', 'reports'], 'failed', { email: 0, reports: 0 }, 20);
 */
export async function listJobs(
  hub: QueueHub,
  families: readonly string[],
  state: ListableState,
  start: Readonly<Record<string, number>>,
  limit: number,
): Promise<JobPage> {
  const batches = await hub.run(() => Promise.all(families.map((family) => readFamily(hub, family, state, start[family] ?? 0, limit))));
  const { jobs, taken } = mergeNewestFirst(batches, limit);
  const positions: Record<string, number> = {};
  let more = false;
  batches.forEach((batch, i) => {
    const position = positionAfter(batch, taken[i] ?? 0);
    positions[batch.family] = position;
    if (position < batch.total) more = true;
  });
  return { jobs, nextCursor: more ? encodeListCursor({ state, positions }) : null };
}

/**
 * Up to `limit` views, newest first, taking from the head of one family's batch at a time (ties go
 * to the family listed first), so what is taken of each family is a prefix of its batch.
 */
function mergeNewestFirst(batches: readonly FamilyBatch[], limit: number): { jobs: JobView[]; taken: number[] } {
  const taken = batches.map(() => 0);
  const jobs: JobView[] = [];
  while (jobs.length < limit) {
    let best = -1;
    let bestAt = Number.NEGATIVE_INFINITY;
    batches.forEach((batch, i) => {
      const at = batch.entries[taken[i] ?? 0]?.view.enqueuedAt.getTime();
      if (at !== undefined && at > bestAt) {
        best = i;
        bestAt = at;
      }
    });
    const entry = batches[best]?.entries[taken[best] ?? 0];
    if (!entry) break;
    jobs.push(entry.view);
    taken[best] = (taken[best] ?? 0) + 1;
  }
  return { jobs, taken };
}

/** Where the family's next page starts once `count` of its batch were returned. */
function positionAfter(batch: FamilyBatch, count: number): number {
  // Nothing read is left over: go past every id read, including those whose job had gone.
  if (count === batch.entries.length) return batch.end;
  const last = batch.entries[count - 1];
  return last ? last.position + 1 : batch.start;
}

/**
 * Reads `limit` jobs of a family from `start` in its listing: the state's sets one after the other
 * (their sizes say which set a position falls in), ids by range, then one hash per id.
 */
async function readFamily(hub: QueueHub, family: string, state: ListableState, start: number, limit: number): Promise<FamilyBatch> {
  const queue = hub.queue(family);
  const types = LISTABLE[state];
  const counts = await queue.getJobCounts(...types);
  let before = 0;
  const ranges: Promise<{ offset: number; ids: string[] }>[] = [];
  for (const type of types) {
    const size = counts[type] ?? 0;
    const from = Math.max(start, before);
    const to = Math.min(start + limit, before + size);
    if (from < to) ranges.push(queue.getRanges([type], from - before, to - before - 1).then((ids) => ({ offset: from, ids })));
    before += size;
  }
  const read = await Promise.all(ranges);
  const ids = read.flatMap(({ offset, ids: found }) => found.map((id, i) => ({ id, position: offset + i })));
  const jobs = await Promise.all(ids.map(({ id }) => queue.getJob(id)));
  const entries = ids.flatMap(({ position }, i) => {
    const job = jobs[i];
    return job ? [{ position, view: viewOf(hub, family, job, state) }] : [];
  });
  const end = read.reduce((last, { offset, ids: found }) => Math.max(last, offset + found.length), start);
  return { family, start, entries, end, total: before };
}
