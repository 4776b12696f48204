import { type AnyTask, type JobRef, TaskwireError } from '@taskwire/shared';
import { addJobs, type EnqueueSettings, type PreparedJob } from './enqueue.ts';
import type { QueueHub } from './hub.ts';

interface Waiting {
  job: PreparedJob;
  resolve(ref: JobRef): void;
  reject(error: unknown): void;
}

/**
 * Merges the single enqueues of one task that arrive together (the calls of one HTTP batch or
 * one WebSocket frame, or concurrent callers) into one `addBulk`: one Redis round trip and one
 * pipeline instead of one per call. Calls stay independent: each gets its own JobRef, and a bulk
 * refused for one job over its size limit is retried job by job, so that job cannot fail its
 * neighbours. An unreachable Redis fails them all, which is what each would have seen.
 *
 * The wait is one turn of the event loop (`setImmediate`), not a timer: a lone call is not
 * delayed, and a burst is merged.
 *
 * @example
 * const ref = await batcherFor(hub, task, settings).add(prepareJob(hub, task, item, 0, Date.now(), undefined));
 */
export class JobBatcher {
  private waiting: Waiting[] = [];

  constructor(private readonly commit: (jobs: PreparedJob[]) => Promise<JobRef[]>) {}

  add(job: PreparedJob): Promise<JobRef> {
    return new Promise<JobRef>((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.flush());
      this.waiting.push({ job, resolve, reject });
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    const jobs = batch.map((w, index) => {
      w.job.index = index;
      return w.job;
    });
    this.commit(jobs).then(
      (refs) => {
        for (const [i, w] of batch.entries()) w.resolve(refs[i] as JobRef);
      },
      (error: unknown) => {
        if (batch.length === 1 || !(error instanceof TaskwireError && error.code === 'PAYLOAD_TOO_LARGE')) {
          for (const w of batch) w.reject(error);
          return;
        }
        // BullMQ checks sizes before sending anything, so nothing was written: each job alone.
        for (const w of batch) {
          w.job.index = 0;
          this.commit([w.job]).then(([ref]) => w.resolve(ref as JobRef), w.reject);
        }
      },
    );
  }
}

const batchers = new WeakMap<QueueHub, Map<string, JobBatcher>>();

/** The batcher of a task on a hub (one per API process and task). */
export function batcherFor(hub: QueueHub, task: AnyTask, settings: EnqueueSettings): JobBatcher {
  let byTask = batchers.get(hub);
  if (!byTask) {
    byTask = new Map();
    batchers.set(hub, byTask);
  }
  let batcher = byTask.get(task.id);
  if (!batcher) {
    batcher = new JobBatcher((jobs) => addJobs(hub, task, jobs, settings));
    byTask.set(task.id, batcher);
  }
  return batcher;
}
