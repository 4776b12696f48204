import type { TaskwireRouter as TypesEntryRouter } from '@taskwire/router/types';
import type {
  DeadLetterListInput,
  HealthView,
  JobListInput,
  JobRef,
  JobView,
  QueueStats,
  ScheduleInput,
  ScopedToken,
  ScopedTokenRequest,
  TaskwireError,
  WatchEvent,
} from '@taskwire/shared';
import type { Families } from '@taskwire-example/reference/contracts';
import { createTRPCClient, httpSubscriptionLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { EventSource as EventSourcePackage } from 'eventsource';
import { describe, expectTypeOf, it } from 'vitest';
import type WsWebSocket from 'ws';
import {
  type ClientPlatform,
  createClient,
  type DeadLetterFilter,
  type EventSourceConstructor,
  type JobListFilter,
  type TaskwireClientOptions,
  type WebSocketLike,
  webPlatform,
} from '../../client/src/index.ts';
import { createClient as createNodeClient } from '../../client/src/node.ts';
import type { AnyJobView, JobPage, TaskwireRouter } from '../../router/src/index.ts';
import type { echo, labRegistry, steps } from '../fixtures/lab.ts';

const tw = createClient<typeof labRegistry>({ url: 'http://localhost:3000/trpc' });

describe('typed client', () => {
  it('infers enqueue input, options and JobRef', () => {
    expectTypeOf(tw.lab.steps.enqueue).parameter(0).toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf(tw.lab.steps.enqueue)
      .parameter(1)
      .exclude<undefined>()
      .toHaveProperty('idempotencyKey')
      .toEqualTypeOf<string | undefined>();
    expectTypeOf(tw.lab.steps.enqueue).returns.resolves.toEqualTypeOf<JobRef<'lab.steps'>>();
    expectTypeOf(tw.lab.steps.enqueueMany).returns.resolves.toEqualTypeOf<JobRef<'lab.steps'>[]>();
    expectTypeOf(tw.lab.steps.enqueue).parameter(0).not.toBeAny();
  });

  it('infers get, watch and run from the contract', () => {
    expectTypeOf(tw.lab.echo.get).returns.resolves.toEqualTypeOf<JobView<typeof echo>>();
    expectTypeOf(tw.lab.echo.run).returns.resolves.toHaveProperty('big').toEqualTypeOf<bigint>();
    expectTypeOf(tw.lab.echo.run).returns.resolves.toHaveProperty('tags').toEqualTypeOf<Map<string, number>>();
    expectTypeOf(tw.lab.steps.watch).returns.toEqualTypeOf<AsyncIterable<WatchEvent<typeof steps>>>();
    expectTypeOf(tw.lab.steps.run)
      .parameter(1)
      .exclude<undefined>()
      .toHaveProperty('onProgress')
      .toEqualTypeOf<((progress: { step: number; of: number }) => void) | undefined>();
    expectTypeOf(tw.lab.steps.run).returns.resolves.not.toBeAny();
  });

  it('rejects wrong inputs, unknown tasks and unknown families at compile time', () => {
    // @ts-expect-error count must be a number
    void tw.lab.steps.enqueue({ count: '3', delayMs: 0 });
    // @ts-expect-error delayMs is required
    void tw.lab.steps.enqueue({ count: 3 });
    // @ts-expect-error no such task
    void tw.lab.nope;
    // @ts-expect-error no such family
    void tw.email;
    // @ts-expect-error priority must be a number
    void tw.lab.steps.enqueue({ count: 1, delayMs: 0 }, { priority: 'high' });
  });

  it('types jobs.* as a union over the registry, discriminated by task', () => {
    expectTypeOf(tw.jobs.get).returns.resolves.toEqualTypeOf<
      | JobView<typeof labRegistry.lab.tasks.echo>
      | JobView<typeof labRegistry.lab.tasks.steps>
      | JobView<typeof labRegistry.lab.tasks.flaky>
      | JobView<typeof labRegistry.lab.tasks.sleepy>
      | JobView<typeof labRegistry.lab.tasks.liar>
    >();
    expectTypeOf(tw.queues.stats).returns.resolves.toEqualTypeOf<QueueStats[]>();
    expectTypeOf(tw.jobs.cancel).returns.resolves.toHaveProperty('outcome').toEqualTypeOf<'removed' | 'cancelling'>();
  });

  it('pages jobs.list and deadLetter.list with a cursor: list gives the jobs, page adds nextCursor', () => {
    type View = Awaited<ReturnType<typeof tw.jobs.get>>;
    expectTypeOf(tw.jobs.list).returns.resolves.toEqualTypeOf<View[]>();
    expectTypeOf(tw.jobs.page).returns.resolves.toEqualTypeOf<JobPage<View>>();
    expectTypeOf(tw.deadLetter.page).returns.resolves.toEqualTypeOf<JobPage<View>>();
    expectTypeOf(tw.jobs.page).returns.resolves.toHaveProperty('nextCursor').toEqualTypeOf<string | null>();
    expectTypeOf(tw.jobs.page).parameter(0).exclude<undefined>().toHaveProperty('cursor').toEqualTypeOf<string | undefined>();
    expectTypeOf(tw.deadLetter.list).parameter(0).exclude<undefined>().toHaveProperty('cursor').toEqualTypeOf<string | undefined>();
    type Outputs = inferRouterOutputs<TaskwireRouter<typeof labRegistry>>;
    type Inputs = inferRouterInputs<TaskwireRouter<typeof labRegistry>>;
    expectTypeOf<Outputs['jobs']['list']>().toEqualTypeOf<JobPage<View>>();
    expectTypeOf<Outputs['deadLetter']['list']['nextCursor']>().toEqualTypeOf<string | null>();
    expectTypeOf<Inputs['jobs']['list']['cursor']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Outputs['jobs']['list']['jobs']>().not.toBeAny();
  });

  it('infers the list filters from their schemas: the same type for the router, the client and its exports', () => {
    type State = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';
    expectTypeOf<JobListFilter<typeof labRegistry>>().toEqualTypeOf<{
      family?: 'lab' | undefined;
      state?: State | undefined;
      cursor?: string | undefined;
      offset?: number | undefined;
      limit?: number | undefined;
    }>();
    expectTypeOf<DeadLetterFilter<typeof labRegistry>>().toEqualTypeOf<{
      family?: 'lab' | undefined;
      cursor?: string | undefined;
      offset?: number | undefined;
      limit?: number | undefined;
    }>();
    expectTypeOf<JobListFilter<typeof labRegistry>>().toEqualTypeOf<JobListInput<'lab'>>();
    expectTypeOf<DeadLetterFilter<typeof labRegistry>>().toEqualTypeOf<DeadLetterListInput<'lab'>>();
    expectTypeOf(tw.jobs.page).parameter(0).toEqualTypeOf<JobListFilter<typeof labRegistry> | undefined>();
    type Inputs = inferRouterInputs<TaskwireRouter<typeof labRegistry>>;
    expectTypeOf<Inputs['jobs']['list']>().toEqualTypeOf<JobListFilter<typeof labRegistry>>();
    expectTypeOf<Inputs['deadLetter']['list']>().toEqualTypeOf<DeadLetterFilter<typeof labRegistry>>();
    expectTypeOf<Inputs['jobs']['list']['family']>().toEqualTypeOf<'lab' | undefined>();
    // @ts-expect-error no such family
    void tw.jobs.list({ family: 'email' });
    // @ts-expect-error no such state
    void tw.jobs.list({ state: 'stalled' });
  });

  it('infers schedules.upsert from its schema: cron (with tz) or everyMs, never both, with the task input', () => {
    type Schedule = ScheduleInput<typeof steps>;
    expectTypeOf(tw.lab.steps.schedules.upsert).parameter(0).toEqualTypeOf<Schedule>();
    type Inputs = inferRouterInputs<TaskwireRouter<typeof labRegistry>>;
    expectTypeOf<Inputs['lab']['steps']['schedules']['upsert']>().toEqualTypeOf<Schedule>();
    expectTypeOf<Schedule>().not.toBeAny();
    expectTypeOf<Schedule['input']>().toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf<Schedule['key']>().toEqualTypeOf<string>();
    expectTypeOf<{ key: 'k'; cron: '0 3 * * *'; tz: 'Europe/Paris'; input: { count: 1; delayMs: 0 } }>().toExtend<Schedule>();
    expectTypeOf<{ key: 'k'; everyMs: 60_000; input: { count: 1; delayMs: 0 }; options: { priority: 2 } }>().toExtend<Schedule>();
    expectTypeOf<{ key: 'k'; cron: '0 3 * * *'; everyMs: 60_000; input: { count: 1; delayMs: 0 } }>().not.toExtend<Schedule>();
    expectTypeOf<{ key: 'k'; everyMs: 60_000; tz: 'Europe/Paris'; input: { count: 1; delayMs: 0 } }>().not.toExtend<Schedule>();
    expectTypeOf<{ key: 'k'; input: { count: 1; delayMs: 0 } }>().not.toExtend<Schedule>();
    // @ts-expect-error the input must match the task's
    void tw.lab.steps.schedules.upsert({ key: 'k', everyMs: 60_000, input: { count: '1', delayMs: 0 } });
  });

  it('exposes the raw tRPC client with the same types', () => {
    expectTypeOf(tw.trpc.lab.steps.enqueue.mutate).returns.resolves.toEqualTypeOf<JobRef<'lab.steps'>>();
    type Inputs = inferRouterInputs<TaskwireRouter<typeof labRegistry>>;
    type Outputs = inferRouterOutputs<TaskwireRouter<typeof labRegistry>>;
    expectTypeOf<Inputs['lab']['steps']['enqueue']['input']>().toEqualTypeOf<{ count: number; delayMs: number }>();
    expectTypeOf<Outputs['lab']['steps']['get']['result']>().toEqualTypeOf<{ done: number } | null>();
    expectTypeOf<Outputs['health']['status']>().toEqualTypeOf<'ok' | 'degraded'>();
  });

  it('takes a transport, and can be closed', () => {
    expectTypeOf(createClient<typeof labRegistry>)
      .parameter(0)
      .toHaveProperty('transport')
      .toEqualTypeOf<'websocket' | 'http' | undefined>();
    // @ts-expect-error only 'websocket' or 'http'
    createClient<typeof labRegistry>({ url: 'http://localhost:3000/trpc', transport: 'sse' });
    expectTypeOf(tw.close).toEqualTypeOf<() => void>();
  });

  it('takes a platform: the standard WebSocket and EventSource fit it, and so do the ws and eventsource packages', () => {
    expectTypeOf<TaskwireClientOptions['platform']>().toEqualTypeOf<ClientPlatform | undefined>();
    expectTypeOf(webPlatform).toEqualTypeOf<ClientPlatform>();
    createClient<typeof labRegistry>({ url: 'http://localhost:3000/trpc', token: 't', platform: webPlatform });
    expectTypeOf<InstanceType<typeof globalThis.WebSocket>>().toExtend<WebSocketLike>();
    expectTypeOf<WsWebSocket>().toExtend<WebSocketLike>();
    expectTypeOf<typeof globalThis.EventSource>().toExtend<EventSourceConstructor>();
    expectTypeOf<typeof EventSourcePackage>().toExtend<EventSourceConstructor>();
    const custom: ClientPlatform = {
      createWebSocket: (url) => new globalThis.WebSocket(url),
      EventSource: globalThis.EventSource,
      sendsHeaders: false,
    };
    expectTypeOf(custom.createWebSocket).returns.toEqualTypeOf<WebSocketLike>();
    // @ts-expect-error a platform says whether headers reach the API
    const incomplete: ClientPlatform = { createWebSocket: (url) => new globalThis.WebSocket(url), EventSource: undefined };
    void incomplete;
    // The Node entry has the same signature.
    expectTypeOf(createNodeClient<typeof labRegistry>).toEqualTypeOf(createClient<typeof labRegistry>);
  });

  it('exposes data shapes from @taskwire/shared and the router type from a type-only entry', () => {
    expectTypeOf(tw.health).returns.resolves.toEqualTypeOf<HealthView>();
    expectTypeOf<inferRouterOutputs<TaskwireRouter<typeof labRegistry>>['health']>().toEqualTypeOf<HealthView>();
    expectTypeOf<TypesEntryRouter<typeof labRegistry>>().toEqualTypeOf<TaskwireRouter<typeof labRegistry>>();
    expectTypeOf(tw.trpc).toEqualTypeOf<TRPCClient<TypesEntryRouter<typeof labRegistry>>>();
    expectTypeOf(tw.jobs.get).returns.resolves.toEqualTypeOf<AnyJobView<typeof labRegistry>>();
    // A stock tRPC client, typed from the type-only entry (also what @trpc/tanstack-react-query takes).
    const stock = createTRPCClient<TypesEntryRouter<typeof labRegistry>>({
      links: [
        httpSubscriptionLink({
          url: '/trpc',
          connectionParams: { token: 't' },
          transformer: { serialize: (v) => v, deserialize: (v) => v },
        }),
      ],
    });
    expectTypeOf(stock.lab.echo.enqueue.mutate).returns.resolves.toEqualTypeOf<JobRef<'lab.echo'>>();
    expectTypeOf(stock.lab.steps.watch.subscribe).parameter(0).toEqualTypeOf<{ id: string }>();
  });

  it('mints scoped tokens typed from the registry: a job by id, a task of the registry', () => {
    expectTypeOf(tw.tokens.create).parameter(0).toEqualTypeOf<ScopedTokenRequest<typeof labRegistry>>();
    expectTypeOf(tw.tokens.create).returns.resolves.toEqualTypeOf<ScopedToken<typeof labRegistry>>();
    expectTypeOf<ScopedToken['expiresAt']>().toEqualTypeOf<Date>();
    const ref = {} as JobRef<'lab.echo'>;
    void tw.tokens.create({ scopes: [`job:${ref.id}:read`, 'task:lab.echo:enqueue'], ttlMs: 600_000, ratePerSecond: 5 });
    // @ts-expect-error no such task in the registry
    void tw.tokens.create({ scopes: ['task:lab.nope:enqueue'] });
    // @ts-expect-error only narrow scopes: not a family's
    void tw.tokens.create({ scopes: ['lab:read'] });
    // @ts-expect-error a job is read, not enqueued
    void tw.tokens.create({ scopes: ['job:lab.1:enqueue'] });
    expectTypeOf<TaskwireRouter<typeof labRegistry>['tokens']['create']>().not.toBeAny();
  });

  it('the reference client is typed for the reference families', () => {
    const ref = createClient<Families>({ url: 'http://localhost:3000/trpc' });
    expectTypeOf(ref.email.send.enqueue).parameter(0).toHaveProperty('to').toEqualTypeOf<string>();
    expectTypeOf(ref.reports.generate.run).returns.resolves.toEqualTypeOf<{ path: string; rows: number; bytes: number; sha256: string }>();
    expectTypeOf(ref.email.send.get).returns.resolves.toHaveProperty('result').not.toBeAny();
    // @ts-expect-error bucket must be 'hour' or 'day'
    void ref.reports.generate.enqueue({ title: 't', from: new Date(), to: new Date(), bucket: 'week' });
  });

  it('errors are TaskwireErrors with a closed set of codes', () => {
    expectTypeOf<TaskwireError['code']>().toEqualTypeOf<
      | 'INVALID_INPUT'
      | 'INVALID_PAYLOAD'
      | 'INVALID_OUTPUT'
      | 'INVALID_PROGRESS'
      | 'UNKNOWN_TASK'
      | 'UNSUPPORTED_VERSION'
      | 'NOT_FOUND'
      | 'INVALID_STATE'
      | 'QUEUE_UNAVAILABLE'
      | 'PAYLOAD_TOO_LARGE'
      | 'TOO_MANY_REQUESTS'
      | 'UNAUTHORIZED'
      | 'FORBIDDEN'
      | 'TIMEOUT'
      | 'CANCELLED'
      | 'EXPIRED'
      | 'HANDLER_ERROR'
      | 'INTERNAL'
    >();
  });
});
