import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry, TaskInput, TaskOutput, TaskProgress } from '@taskwire/shared';
import type { Queue } from 'bullmq';
import type { generateReport } from '../contracts/index.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { sha256File } from './checksum.ts';
import { toCsv } from './csv.ts';
import { fileTimestamp, slugify } from './file-names.ts';
import { ACTIVITY_HEADER, type ActivityRow, activityCells, aggregateActivity, collectFinishedJobs, mergeActivity } from './job-activity.ts';
import { selectFamilies } from './select-families.ts';

export type ReportInput = TaskInput<typeof generateReport>;
export type ReportResult = TaskOutput<typeof generateReport>;
export type ReportProgress = TaskProgress<typeof generateReport>;

/** What the report needs from its surroundings; a handler context provides all but `dir`. */
export interface ReportDeps {
  /** The families that may be reported on. */
  registry: Registry;
  /** The BullMQ queue of a family. */
  queue(family: string): Pick<Queue, 'getJobs'>;
  /** Where the CSV goes (`REPORTS_DIR`). */
  dir: string;
  signal?: AbortSignal | undefined;
  progress?: ((progress: ReportProgress) => Promise<void> | void) | undefined;
  /** The clock, for the file name. */
  now?: (() => Date) | undefined;
  /** The shortest time a step takes (ms): a pause after a quicker one, so progress can be followed by eye. */
  minStepMs?: number | undefined;
  /**
   * Runs a durable step (a handler's `ctx.step`): a retried report neither collects a family
   * again nor writes its file twice. Without it, each step just runs.
   */
  step?: (<T>(name: string, fn: () => Promise<T>) => Promise<T>) | undefined;
}

/**
 * The job-activity report: jobs that finished in `[from, to]` (both inclusive) per UTC bucket,
 * family, task and outcome, with count and mean/max duration, as CSV in
 * `<dir>/<slug(title)>-<timestamp>.csv` (written atomically), with its size and sha256.
 *
 * Progress has one `collect` step per family, then `aggregate`, `render`, `write` and `checksum`;
 * each is reported as it starts, and an abort is honoured between steps. An unknown family in
 * `input.families` fails without retry. With `deps.step`, each family's collection and the file's
 * writing are durable steps: a retried report does neither again.
 *
 * @example
 * const report = await generateActivityReport(input, { registry, queue: ctx.queue, dir, signal, progress });
 * report.rows; // data rows, without the header
 */
export async function generateActivityReport(input: ReportInput, deps: ReportDeps): Promise<ReportResult> {
  const families = selectFamilies(deps.registry, input.families);
  const of = families.length + 4;
  let step = 0;
  let stepStarted = Date.now();
  const pace = async () => {
    const left = (deps.minStepMs ?? 0) - (Date.now() - stepStarted);
    if (left > 0) await sleep(left, undefined, { signal: deps.signal });
    stepStarted = Date.now();
  };
  const advance = async (stage: ReportProgress['stage'], detail?: string) => {
    if (step > 0) await pace();
    deps.signal?.throwIfAborted();
    step += 1;
    await deps.progress?.(detail === undefined ? { step, of, stage } : { step, of, stage, detail });
  };

  const durable = deps.step ?? ((_name, fn) => fn());
  const range = { from: input.from.getTime(), to: input.to.getTime() };
  const parts: ActivityRow[][] = [];
  for (const family of families) {
    await advance('collect', family);
    // One family's rows are its own groups: collected and aggregated once per report, even across retries.
    parts.push(
      await durable(`collect ${family}`, async () =>
        aggregateActivity(await collectFinishedJobs(deps.queue(family), family, range, deps.signal), input.bucket),
      ),
    );
  }

  const rows = mergeActivity(parts);
  await advance('aggregate', `${rows.reduce((sum, row) => sum + row.count, 0)} finished jobs`);

  await advance('render', `${rows.length} rows`);
  const csv = toCsv(ACTIVITY_HEADER, rows.map(activityCells));

  // The file is written once: a retry after it returns the same path and checksum.
  const written = await durable('write', async () => {
    const path = join(deps.dir, `${slugify(input.title)}-${fileTimestamp(deps.now?.() ?? new Date())}.csv`);
    await advance('write', path);
    await writeFileAtomic(path, csv, deps.signal);

    await advance('checksum');
    const [sha256, { size }] = await Promise.all([sha256File(path, deps.signal), stat(path)]);
    return { path, bytes: size, sha256 };
  });
  await pace();
  return { path: written.path, rows: rows.length, bytes: written.bytes, sha256: written.sha256 };
}
