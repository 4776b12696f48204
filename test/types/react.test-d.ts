import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import type { ErrorInfo, JobRef, JobState, TaskwireError, WatchEvent } from '@taskwire/shared';
import type { Families } from '@taskwire-example/reference/contracts';
import { describe, expectTypeOf, it } from 'vitest';
import { createClient } from '../../client/src/index.ts';
import {
  type EnqueueVariables,
  foldWatchEvent,
  jobQueryKey,
  type LiveJob,
  type RunStatus,
  useEnqueue,
  useJob,
  useRun,
} from '../../client/src/react.ts';
import type { labRegistry, steps } from '../fixtures/lab.ts';

const tw = createClient<typeof labRegistry>({ url: 'http://localhost:3000/trpc' });
const ref = {} as JobRef<'lab.steps'>;

// Hooks are only called for their types here: nothing renders.
describe('React hooks', () => {
  it('useEnqueue: a mutation typed from the task (variables, JobRef, TaskwireError)', () => {
    type Result = ReturnType<typeof useEnqueue<typeof steps>>;
    expectTypeOf<Result>().toEqualTypeOf<UseMutationResult<JobRef<'lab.steps'>, TaskwireError, EnqueueVariables<typeof steps>>>();
    expectTypeOf<Parameters<Result['mutate']>[0]>().toEqualTypeOf<EnqueueVariables<typeof steps>>();
    expectTypeOf<EnqueueVariables<typeof steps>['input']>().toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf(useEnqueue).toBeCallableWith(tw.lab.steps);
    expectTypeOf(useEnqueue(tw.lab.steps).data).toEqualTypeOf<JobRef<'lab.steps'> | undefined>();
    const enqueue = useEnqueue(tw.lab.steps);
    // @ts-expect-error a wrong input is a compile error
    enqueue.mutate({ input: { count: 'three', delayMs: 0 } });
    // @ts-expect-error so is a missing field
    enqueue.mutate({ input: { count: 3 } });
  });

  it('useJob: a live view with typed progress and result, the closed error codes, a JobRef of this task or an id', () => {
    const job = useJob(tw.lab.steps, ref, { token: 'twt_…' });
    expectTypeOf(job).toEqualTypeOf<UseQueryResult<LiveJob<typeof steps>, TaskwireError>>();
    expectTypeOf(job.data).toEqualTypeOf<LiveJob<typeof steps> | undefined>();
    expectTypeOf<LiveJob<typeof steps>['progress']>().toEqualTypeOf<{ step: number; of: number } | null>();
    expectTypeOf<LiveJob<typeof steps>['result']>().toEqualTypeOf<{ done: number } | null>();
    expectTypeOf<LiveJob<typeof steps>['state']>().toEqualTypeOf<JobState>();
    expectTypeOf<LiveJob<typeof steps>['error']>().toEqualTypeOf<ErrorInfo | null>();
    expectTypeOf(job.error).toEqualTypeOf<TaskwireError | null>();
    expectTypeOf<NonNullable<typeof job.error>['code']>().toEqualTypeOf<ErrorInfo['code']>();
    expectTypeOf(useJob).toBeCallableWith(tw.lab.steps, 'lab.1');
    expectTypeOf(useJob).toBeCallableWith(tw.lab.steps, undefined);
    // @ts-expect-error a JobRef of another task is not this task's job
    useJob(tw.lab.steps, {} as JobRef<'lab.echo'>);
  });

  it('useJob on the reference deployment: Dates stay Dates in the result of a task that returns them', () => {
    const reference = createClient<Families>({ url: 'http://localhost:3000/trpc' });
    const mail = useJob(reference.email.send, 'email.1');
    expectTypeOf<NonNullable<NonNullable<typeof mail.data>['result']>['acceptedAt']>().toEqualTypeOf<Date>();
    const report = useJob(reference.reports.generate, 'reports.1');
    expectTypeOf<NonNullable<NonNullable<typeof report.data>['progress']>['stage']>().toEqualTypeOf<
      'collect' | 'aggregate' | 'render' | 'write' | 'checksum'
    >();
  });

  it('useRun: run takes the task input and enqueue options; status, result and error are typed', () => {
    const run = useRun(tw.lab.steps);
    expectTypeOf(run.run).parameter(0).toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf(run.run).toBeCallableWith({ count: 1, delayMs: 0 }, { idempotencyKey: 'k', ttlMs: 60_000 });
    expectTypeOf(run.status).toEqualTypeOf<RunStatus>();
    expectTypeOf(run.result).toEqualTypeOf<{ done: number } | undefined>();
    expectTypeOf(run.error).toEqualTypeOf<ErrorInfo | undefined>();
    expectTypeOf(run.ref).toEqualTypeOf<JobRef<'lab.steps'> | undefined>();
    // @ts-expect-error a wrong input is a compile error
    run.run({ count: 1 });
  });

  it('foldWatchEvent and jobQueryKey: the pieces, for apps that build their own queries', () => {
    expectTypeOf(foldWatchEvent<typeof steps>)
      .parameter(1)
      .toEqualTypeOf<WatchEvent<typeof steps>>();
    expectTypeOf(foldWatchEvent<typeof steps>).returns.toEqualTypeOf<LiveJob<typeof steps>>();
    expectTypeOf(jobQueryKey('lab.1')).toEqualTypeOf<readonly ['taskwire', 'job', string]>();
  });
});
