import type { EnqueueOptions } from '@taskwire/shared';
import { fromJson } from '@taskwire/shared';
import type { OptionReader } from '../args.ts';
import { readJsonArgument } from '../args.ts';
import { taskClient } from '../catalog.ts';
import type { Command } from '../command.ts';
import { EXIT } from '../exit-codes.ts';
import { ProgressDisplay } from '../progress.ts';
import { renderBlock, renderResult } from '../render.ts';

/** `--delay-ms`, `--run-at`, `--priority`, `--idempotency-key`, `--attempts`, `--timeout-ms` as enqueue options. */
export function readEnqueueOptions(options: OptionReader): EnqueueOptions {
  const delayMs = options.integer('delay-ms', 0);
  const runAt = options.date('run-at');
  if (delayMs !== undefined && runAt !== undefined) throw options.usage('give --delay-ms or --run-at, not both');
  const out: EnqueueOptions = {};
  if (delayMs !== undefined) out.delayMs = delayMs;
  if (runAt !== undefined) out.runAt = runAt;
  const priority = options.integer('priority', 1);
  if (priority !== undefined) out.priority = priority;
  const key = options.string('idempotency-key');
  if (key !== undefined) out.idempotencyKey = key;
  const attempts = options.integer('attempts', 1);
  if (attempts !== undefined) out.attempts = attempts;
  const timeoutMs = options.integer('timeout-ms', 1);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

/** `taskwire enqueue <task> <json> [options] [--wait]`. */
export const enqueueCommand: Command = {
  name: 'enqueue',
  synopsis:
    'enqueue <family.task> <json|@file|-> [--delay-ms N | --run-at ISO] [--priority N] [--idempotency-key K] [--attempts N] [--timeout-ms N] [--wait]',
  summary: 'Validate and enqueue a job (--wait: run it and print the result)',
  details: `The input is JSON; ISO 8601 strings become Dates where the task's schema has z.date(),
numbers or digit strings become bigints for z.bigint(), [[key, value], …] (or an object) becomes a
Map for z.map(), an array becomes a Set for z.set(). The API then validates it against the contract.

  --delay-ms N            run no earlier than N ms from now
  --run-at ISO            run no earlier than this instant
  --priority N            1 is the most urgent
  --idempotency-key K     a repeat within 24 h returns the first job (deduplicated: true)
  --attempts N            total attempts (overrides the task's default)
  --timeout-ms N          per-attempt limit; with --wait also the longest wait (then the job is cancelled)
  --wait                  wait for the job with a progress bar (on stderr) and print its result;
                          exit 1 if the job fails

Example:
  taskwire enqueue maintenance.healthCheck '{"nonce":"n1","sentAt":"2030-01-01T00:00:00Z"}' --wait`,
  options: ['delay-ms', 'run-at', 'priority', 'idempotency-key', 'attempts', 'timeout-ms', 'wait'],
  args: { min: 2, max: 2 },
  async run(ctx, { args: [id, json], options }) {
    const task = ctx.catalog.resolveTask(id!, 'enqueue');
    const input = fromJson(task.input, readJsonArgument(json!, 'enqueue'));
    const enqueueOptions = readEnqueueOptions(options);
    const client = taskClient(ctx.client, task);
    if (!options.flag('wait')) {
      ctx.output(await client.enqueue(input, enqueueOptions), (ref) => renderBlock({ ...ref }));
      return EXIT.ok;
    }
    const display = ctx.json ? undefined : new ProgressDisplay(ctx.io.stderr);
    let result: unknown;
    try {
      result = await client.run(input, { ...enqueueOptions, onProgress: (progress) => display?.update(progress) });
    } finally {
      display?.stop();
    }
    ctx.output(result, renderResult);
    return EXIT.ok;
  },
};
