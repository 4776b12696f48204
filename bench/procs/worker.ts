/**
 * A worker process: one column's worker, built and started on command; counts completions and
 * records enqueue → handler-start latency (see WorkerCommands).
 */
import { argument, serve } from '../core/child.ts';
import type { Column, LatencySummary, WorkerCommands } from '../core/protocol.ts';
import type { Consumer, CreateConsumer } from '../core/roles.ts';
import { quantile } from '../core/stats.ts';

const column = argument('column') as Column;
const redisUrl = argument('redis');

const factories: Record<Column, () => Promise<CreateConsumer>> = {
  raw: async () => (await import('../raw/consumer.ts')).createConsumer,
  naive: async () => (await import('../naive/consumer.ts')).createConsumer,
  taskwire: async () => (await import('../taskwire/consumer.ts')).createConsumer,
};
const createConsumer = await factories[column]();

/** One measurement's counts; the worker's hooks write here. */
interface Tally {
  target: number;
  completed: number;
  /** Enqueue → handler-start latencies (ms); undefined when the run keeps no per-job data. */
  latencies: number[] | undefined;
  startedAt: number;
  finishedAt: number;
  failure: string | undefined;
  done: Promise<void>;
  settle(): void;
}

function newTally(target: number, keepLatencies: boolean): Tally {
  let settle = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return { target, completed: 0, latencies: keepLatencies ? [] : undefined, startedAt: 0, finishedAt: 0, failure: undefined, done, settle };
}

let run: { consumer: Consumer; tally: Tally } | undefined;

function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const histogram: [number, number][] = [];
  for (const ms of sorted) {
    const last = histogram.at(-1);
    if (last?.[0] === ms) last[1]++;
    else histogram.push([ms, 1]);
  }
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    histogram,
  };
}

async function stop(): Promise<void> {
  const current = run;
  run = undefined;
  await current?.consumer.close();
}

serve<WorkerCommands>(
  {
    prepare: async ({ concurrency, target, keepLatencies = true }) => {
      await stop();
      const tally = newTally(target, keepLatencies);
      const consumer = await createConsumer({
        redisUrl,
        concurrency,
        hooks: {
          onHandled: (sentAtMs) => tally.latencies?.push(Date.now() - sentAtMs),
          onCompleted: () => {
            tally.completed++;
            if (tally.completed === tally.target) {
              tally.finishedAt = performance.now();
              tally.settle();
            }
          },
          onFailed: (reason) => {
            tally.failure ??= reason;
            tally.settle();
          },
        },
      });
      run = { consumer, tally };
      return null;
    },
    start: async () => {
      if (!run) throw new Error('start before prepare');
      run.tally.startedAt = performance.now();
      await run.consumer.start();
      return null;
    },
    finish: async () => {
      if (!run) throw new Error('finish before prepare');
      const { tally } = run;
      await tally.done;
      if (tally.failure) throw new Error(`a job failed: ${tally.failure}`);
      return { ms: tally.finishedAt - tally.startedAt, latency: summarize(tally.latencies ?? []) };
    },
    progress: async () => {
      if (!run) throw new Error('progress before prepare');
      const { tally } = run;
      if (tally.failure) throw new Error(`a job failed: ${tally.failure}`);
      return { completed: tally.completed };
    },
    stop: async () => {
      await stop();
      return null;
    },
  },
  { close: stop },
);
