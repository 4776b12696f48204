import type { AnyTask, TaskCallInput, TaskOutput } from '@taskwire/shared';
import { encodeProgress } from './attempt.ts';
import type { HandlerContext, JobInfo } from './handlers.ts';
import type { JobAbort } from './job-abort.ts';
import { type ChildCall, type RunAllOutputs, type RunAllSettled, type RunOptions, Workflow, type WorkflowPort } from './workflow.ts';

/** What a job's context reaches outside the handler: Redis and BullMQ in a worker, memory in the test harness. */
export interface JobHost extends Pick<HandlerContext, 'redis' | 'keys' | 'registry' | 'queue' | 'enqueue'> {
  /** Stores checked, encoded progress. */
  progress(encoded: object): Promise<void>;
  log(line: string): Promise<void>;
  /** Where the job's steps live and how it waits. */
  workflowPort(): WorkflowPort;
}

/**
 * A handler's `ctx`. A class, not an object literal, so every job's context has the same shape;
 * `progress`, `log` and `enqueue` are bound on first read (handlers pass `ctx.progress` around),
 * the signal and the workflow are created only if used.
 */
export class JobContext implements HandlerContext {
  private boundProgress: HandlerContext['progress'] | undefined;
  private boundLog: HandlerContext['log'] | undefined;
  /** The job's steps, sleeps and children (created on first use). */
  workflow: Workflow | undefined;

  constructor(
    private readonly host: JobHost,
    readonly job: JobInfo,
    private readonly task: AnyTask,
    private readonly stop: JobAbort,
  ) {}

  get redis(): HandlerContext['redis'] {
    return this.host.redis;
  }

  get keys(): HandlerContext['keys'] {
    return this.host.keys;
  }

  get registry(): HandlerContext['registry'] {
    return this.host.registry;
  }

  get queue(): HandlerContext['queue'] {
    return this.host.queue;
  }

  get enqueue(): HandlerContext['enqueue'] {
    return this.host.enqueue;
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }

  get progress(): HandlerContext['progress'] {
    this.boundProgress ??= (progress) => this.host.progress(encodeProgress(this.task, progress));
    return this.boundProgress;
  }

  get log(): HandlerContext['log'] {
    this.boundLog ??= (line) => this.host.log(line);
    return this.boundLog;
  }

  private flow(): Workflow {
    this.workflow ??= new Workflow(
      this.host.workflowPort(),
      this.host.registry,
      () => this.stop.abort('suspended'),
      () => this.stop.reason !== undefined,
      this.task.defaults.maxPayloadBytes,
    );
    return this.workflow;
  }

  step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    return this.flow().step(name, fn);
  }

  sleep(name: string, ms: number): Promise<void> {
    return this.flow().sleep(name, ms);
  }

  sleepUntil(name: string, at: Date): Promise<void> {
    return this.flow().sleepUntil(name, at);
  }

  run<TChild extends AnyTask>(task: TChild, input: TaskCallInput<TChild>, options?: RunOptions): Promise<TaskOutput<TChild>> {
    return this.flow().run(task, input, options);
  }

  runAll<const TTasks extends readonly AnyTask[]>(
    calls: { readonly [K in keyof TTasks]: ChildCall<TTasks[K]> },
    options?: RunOptions & { settled?: false },
  ): Promise<RunAllOutputs<TTasks>>;
  runAll<const TTasks extends readonly AnyTask[]>(
    calls: { readonly [K in keyof TTasks]: ChildCall<TTasks[K]> },
    options: RunOptions & { settled: true },
  ): Promise<RunAllSettled<TTasks>>;
  runAll(calls: readonly ChildCall[], options?: RunOptions & { settled?: boolean }): Promise<unknown[]> {
    return this.flow().runAll(calls, options);
  }
}
