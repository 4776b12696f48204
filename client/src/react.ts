/**
 * React hooks for taskwire, on TanStack Query: enqueue a task, follow a job live (state, typed
 * progress, then its typed result or error), or both at once. They take a task of a
 * {@link TaskClient} (`tw.reports.generate`), so every type comes from the task's contract.
 *
 * Needs `react` (18 or later) and `@tanstack/react-query` (5), and a `QueryClientProvider` above
 * the components that use them.
 *
 * @example
 * const tw = createClient<typeof families>({ url: 'https://jobs.example.com/trpc' });
 *
 * function Report({ job, token }: { job: JobRef; token: string }) {
 *   const { data, error } = useJob(tw.reports.generate, job, { token });
 *   if (error) return <p>{error.code}: {error.message}</p>;
 *   if (data?.result) return <a href={`/files/${data.result.path}`}>{data.result.rows} rows</a>;
 *   return <progress value={data?.progress?.step ?? 0} max={data?.progress?.of ?? 1} />;
 * }
 */
import {
  experimental_streamedQuery as streamedQuery,
  type UseMutationOptions,
  type UseMutationResult,
  type UseQueryResult,
  useMutation,
  useQuery,
} from '@tanstack/react-query';
import type {
  AnyTask,
  EnqueueOptions,
  ErrorInfo,
  JobRef,
  JobState,
  TaskCallInput,
  TaskOutput,
  TaskProgress,
  WatchEvent,
  WorkflowView,
} from '@taskwire/shared';
import type { TaskwireError } from '@taskwire/shared/wire';
import type { TaskClient } from './runtime/client.ts';

/** What `useEnqueue`'s `mutate` takes: the task's input and, optionally, enqueue options (as `enqueue` does). */
export interface EnqueueVariables<TTask extends AnyTask> {
  input: TaskCallInput<TTask>;
  options?: EnqueueOptions | undefined;
}

/** A job as a page follows it: its state, its last progress, then its result or its error. */
export interface LiveJob<TTask extends AnyTask> {
  id: string;
  state: JobState;
  progress: TaskProgress<TTask> | null;
  /** Set once the job completed. */
  result: TaskOutput<TTask> | null;
  /** Set once the job failed: its code from the closed table (e.g. `EXPIRED`, `HANDLER_ERROR`) and message. */
  error: ErrorInfo | null;
  /** True once the job completed or failed: nothing more will come. */
  done: boolean;
  /** A workflow job's steps so far and its children by outcome; null for a plain job. */
  workflow: WorkflowView | null;
}

export interface UseJobOptions {
  /**
   * A token for this job's watch in place of the client's: typically `job:<id>:read`, minted by
   * your server (`tokens.create`). When it expires, the watch ends with UNAUTHORIZED.
   */
  token?: string | undefined;
  /** False holds the watch back (default true). */
  enabled?: boolean | undefined;
}

/** The query key of a job's live view: `['taskwire', 'job', id]`. */
export function jobQueryKey(id: string): readonly ['taskwire', 'job', string] {
  return ['taskwire', 'job', id];
}

/** The live view after one more watch event. */
export function foldWatchEvent<TTask extends AnyTask>(job: LiveJob<TTask>, event: WatchEvent<TTask>): LiveJob<TTask> {
  switch (event.type) {
    case 'state':
      return { ...job, state: event.state };
    case 'progress':
      return { ...job, state: 'active', progress: event.progress };
    case 'completed':
      return { ...job, state: 'completed', result: event.result, done: true };
    case 'failed':
      return { ...job, state: 'failed', error: event.error, done: true };
    case 'workflow':
      return { ...job, workflow: event.workflow };
  }
}

/** Retries a broken watch only where the error says another try may work (e.g. QUEUE_UNAVAILABLE), at most 3 times. */
function retryWatch(failures: number, error: TaskwireError): boolean {
  return error.retryable === true && failures < 3;
}

/**
 * Enqueues jobs of a task: a TanStack Query mutation whose `mutate({ input, options })` resolves
 * with the job's {@link JobRef}. Invalid input and refusals fail it with their code
 * (`INVALID_INPUT`, `FORBIDDEN`, `TOO_MANY_REQUESTS`…) before anything is queued.
 *
 * @example
 * const enqueue = useEnqueue(tw.email.send);
 * enqueue.mutate({ input: { to, subject, html }, options: { idempotencyKey: `welcome-${userId}` } });
 * enqueue.data?.id; // once queued
 */
export function useEnqueue<TTask extends AnyTask>(
  task: TaskClient<TTask>,
  options?: Omit<UseMutationOptions<JobRef<TTask['id']>, TaskwireError, EnqueueVariables<TTask>>, 'mutationFn'>,
): UseMutationResult<JobRef<TTask['id']>, TaskwireError, EnqueueVariables<TTask>> {
  return useMutation({ ...options, mutationFn: ({ input, options: enqueueOptions }) => task.enqueue(input, enqueueOptions) });
}

/**
 * Follows one job live through `watch` (SSE): `data` is its {@link LiveJob}, updated as the job
 * moves on and typed from the task's contract (`Date`s stay `Date`s). The query ends with the
 * job; a broken connection is re-opened, and an error that retrying cannot fix (`NOT_FOUND`,
 * `FORBIDDEN`, an expired token's `UNAUTHORIZED`) ends it at once with that code in `error`.
 * Pass `undefined` to wait for an id.
 *
 * @example
 * const { data } = useJob(tw.reports.generate, ref, { token });
 * data?.progress?.stage; // 'collect' | 'aggregate' | …
 */
export function useJob<TTask extends AnyTask>(
  task: TaskClient<TTask>,
  job: JobRef<TTask['id']> | string | null | undefined,
  options: UseJobOptions = {},
): UseQueryResult<LiveJob<TTask>, TaskwireError> {
  const id = typeof job === 'string' ? job : (job?.id ?? '');
  const { token, enabled = true } = options;
  return useQuery<LiveJob<TTask>, TaskwireError, LiveJob<TTask>, readonly ['taskwire', 'job', string]>({
    queryKey: jobQueryKey(id),
    queryFn: streamedQuery<WatchEvent<TTask>, LiveJob<TTask>, readonly ['taskwire', 'job', string]>({
      streamFn: ({ signal }) => task.watch(id, { signal, token }),
      reducer: foldWatchEvent,
      initialValue: { id, state: 'unknown', progress: null, result: null, error: null, done: false, workflow: null },
    }),
    enabled: enabled && id !== '',
    // The stream keeps the view current; a refetch would only restart it.
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
    retry: retryWatch,
  });
}

/** Where a {@link useRun} stands. */
export type RunStatus = 'idle' | 'enqueueing' | 'running' | 'completed' | 'failed';

export interface UseRunResult<TTask extends AnyTask> {
  /** Enqueues a job (a new run replaces the one followed). */
  run(input: TaskCallInput<TTask>, options?: EnqueueOptions): void;
  status: RunStatus;
  /** The job, once enqueued. */
  ref: JobRef<TTask['id']> | undefined;
  /** The job as it runs: state, progress, result. */
  job: LiveJob<TTask> | undefined;
  /** The result, once completed. */
  result: TaskOutput<TTask> | undefined;
  /**
   * Why the run failed: the enqueue refused (e.g. `INVALID_INPUT`), the watch ended (e.g.
   * `UNAUTHORIZED` for an expired token), or the job failed (its error code and message).
   */
  error: ErrorInfo | undefined;
  /** Back to `idle`. */
  reset(): void;
}

/**
 * Enqueues a task and follows the job to its result: {@link useEnqueue} then {@link useJob}.
 * For a caller that may both enqueue the task and read its jobs (a family token in an internal
 * tool, or a server-side render); a browser holding only a token scoped to one job follows a job
 * its server enqueued with {@link useJob}.
 *
 * @example
 * const report = useRun(tw.reports.generate);
 * report.run({ title: 'Weekly', from, to });
 * report.status;         // 'enqueueing' → 'running' → 'completed'
 * report.job?.progress;  // { step, of, stage }
 * report.result?.rows;
 */
export function useRun<TTask extends AnyTask>(task: TaskClient<TTask>, options: { token?: string | undefined } = {}): UseRunResult<TTask> {
  const enqueue = useEnqueue(task);
  const ref = enqueue.data;
  const watch = useJob(task, ref, { token: options.token });
  const job = ref ? watch.data : undefined;
  const error = enqueue.error ?? (ref ? watch.error : null) ?? job?.error ?? undefined;
  const status: RunStatus = enqueue.isPending
    ? 'enqueueing'
    : error
      ? 'failed'
      : !ref
        ? 'idle'
        : job?.state === 'completed'
          ? 'completed'
          : 'running';
  return {
    run: (input, enqueueOptions) => enqueue.mutate({ input, options: enqueueOptions }),
    status,
    ref,
    job,
    result: job?.result ?? undefined,
    error: error ? { code: error.code, message: error.message, issues: error.issues, retryable: error.retryable } : undefined,
    reset: () => enqueue.reset(),
  };
}
