import type { Queue } from 'bullmq';
import type { CsvValue } from './csv.ts';

/** How a finished job ended. Jobs that will be retried are not finished yet. */
export type Outcome = 'completed' | 'failed';

/** A finished job, reduced to what the activity report needs. */
export interface FinishedJob {
  family: string;
  /** The task name (BullMQ job name), e.g. `send`. */
  task: string;
  outcome: Outcome;
  finishedOn: number;
  /** Start of the last attempt; absent for a job failed without ever running. */
  processedOn: number | undefined;
}

/** An inclusive range of epoch milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

/** The jobs read per Redis round trip while collecting. */
export const COLLECT_PAGE_SIZE = 500;

/**
 * Reads the jobs of one family queue that finished (completed or failed) within `range`.
 *
 * Each state is paged newest first. BullMQ scores its completed and failed sets by finish time,
 * so paging stops at the first job that finished before `range.from` instead of reading a whole
 * history of (by default) tens of thousands of jobs. A job completing meanwhile shifts the pages
 * by one; ids already seen are skipped.
 *
 * @example
 * const jobs = await collectFinishedJobs(ctx.queue('email'), 'email', { from, to }, ctx.signal);
 */
export async function collectFinishedJobs(
  queue: Pick<Queue, 'getJobs'>,
  family: string,
  range: TimeRange,
  signal?: AbortSignal,
  pageSize = COLLECT_PAGE_SIZE,
): Promise<FinishedJob[]> {
  const found: FinishedJob[] = [];
  for (const outcome of ['completed', 'failed'] as const) {
    const seen = new Set<string>();
    for (let start = 0; ; start += pageSize) {
      signal?.throwIfAborted();
      const page = await queue.getJobs([outcome], start, start + pageSize - 1, false);
      // A short page is not the end (getJobs drops jobs removed since the range was read); an empty one is.
      if (page.length === 0) break;
      let reachedOlder = false;
      for (const job of page) {
        const id = job.id ?? '';
        if (seen.has(id) || job.finishedOn === undefined) continue;
        seen.add(id);
        if (job.finishedOn < range.from) {
          reachedOlder = true;
        } else if (job.finishedOn <= range.to) {
          found.push({ family, task: job.name, outcome, finishedOn: job.finishedOn, processedOn: job.processedOn });
        }
      }
      if (reachedOlder) break;
    }
  }
  return found;
}

export type Bucket = 'hour' | 'day';

const BUCKET_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** One line of the report. Durations are `null` when no job of the group has a known start. */
export interface ActivityRow {
  /** Start of the UTC hour or day, ISO 8601. */
  bucketStart: string;
  family: string;
  task: string;
  outcome: Outcome;
  count: number;
  meanDurationMs: number | null;
  maxDurationMs: number | null;
}

/**
 * Groups finished jobs by (UTC bucket, family, task, outcome) with count, mean and max duration
 * (finish minus start of the last attempt, in whole ms). Rows are sorted by bucket, family, task
 * and outcome, so the same jobs always give the same report.
 *
 * @example
 * aggregateActivity(jobs, 'day'); // [{ bucketStart: '2025-01-01T00:00:00.000Z', family: 'email', … }]
 */
export function aggregateActivity(jobs: readonly FinishedJob[], bucket: Bucket): ActivityRow[] {
  const size = BUCKET_MS[bucket];
  const groups = new Map<string, { row: ActivityRow; durationSum: number; durations: number }>();
  for (const job of jobs) {
    const bucketStart = new Date(Math.floor(job.finishedOn / size) * size).toISOString();
    const key = [bucketStart, job.family, job.task, job.outcome].join('\u0000');
    let group = groups.get(key);
    if (!group) {
      const row: ActivityRow = {
        bucketStart,
        family: job.family,
        task: job.task,
        outcome: job.outcome,
        count: 0,
        meanDurationMs: null,
        maxDurationMs: null,
      };
      group = { row, durationSum: 0, durations: 0 };
      groups.set(key, group);
    }
    group.row.count += 1;
    if (job.processedOn !== undefined) {
      const duration = Math.max(0, job.finishedOn - job.processedOn);
      group.durationSum += duration;
      group.durations += 1;
      group.row.maxDurationMs = Math.max(group.row.maxDurationMs ?? 0, duration);
    }
  }
  // '\u0000' sorts before every character, so ordering the keys orders by bucket, family, task, outcome.
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { row, durationSum, durations }]) => ({
      ...row,
      meanDurationMs: durations > 0 ? Math.round(durationSum / durations) : null,
    }));
}

/**
 * Rows aggregated apart (one family at a time: no group spans two families) in one report's
 * order, as {@link aggregateActivity} of all their jobs would give them.
 *
 * @example
 * mergeActivity([aggregateActivity(emailJobs, 'day'), aggregateActivity(reportJobs, 'day')]);
 */
export function mergeActivity(parts: readonly (readonly ActivityRow[])[]): ActivityRow[] {
  const key = (row: ActivityRow) => [row.bucketStart, row.family, row.task, row.outcome].join('\u0000');
  return parts
    .flat()
    .map((row) => ({ row, key: key(row) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ row }) => row);
}

/** The report's CSV header, in the order of {@link activityCells}. */
export const ACTIVITY_HEADER = ['bucket_start', 'family', 'task', 'outcome', 'jobs', 'mean_duration_ms', 'max_duration_ms'] as const;

/**
 * A row as CSV cells; unknown durations become empty cells.
 *
 * @example
 * toCsv(ACTIVITY_HEADER, rows.map(activityCells));
 */
export function activityCells(row: ActivityRow): CsvValue[] {
  return [row.bucketStart, row.family, row.task, row.outcome, row.count, row.meanDurationMs, row.maxDurationMs];
}
