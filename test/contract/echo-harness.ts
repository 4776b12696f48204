/**
 * An echo harness: handlers for every task of a registry that record the input they receive and
 * return an output generated from the task's output schema, seeded by the input, so a test can
 * predict it. It stands in for the real handlers when what is under test is the pipeline.
 */
import { createHash } from 'node:crypto';
import type { AnyFamily, AnyTask, Registry } from '@taskwire/shared';
import { arbitraryFor } from '@taskwire/shared/testing';
import fc from 'fast-check';
import superjson from 'superjson';
import { defineHandlers, type FamilyHandlers, type HandlerMap } from '../../worker/src/index.ts';

function seedOf(value: unknown): number {
  return createHash('sha256').update(superjson.stringify(value)).digest().readInt32LE(0);
}

/** The output the echo handler of `task` returns for `input`. */
export function echoOutput(task: AnyTask, input: unknown): unknown {
  const [output] = fc.sample(arbitraryFor(task.output), { numRuns: 1, seed: seedOf(input) });
  return output;
}

export interface EchoHarness {
  /** Input received per public job id. */
  received: Map<string, unknown>;
  /** Contract version of the payload each job carried. */
  versions: Map<string, number>;
  handlers: FamilyHandlers[];
}

export function echoHarness(registry: Registry): EchoHarness {
  const received = new Map<string, unknown>();
  const versions = new Map<string, number>();
  const handlers = Object.values(registry).map((family: AnyFamily) => {
    const map = Object.fromEntries(
      Object.entries(family.tasks).map(([name, task]) => [
        name,
        (input: unknown, ctx: { job: { id: string; version: number } }) => {
          received.set(ctx.job.id, input);
          versions.set(ctx.job.id, ctx.job.version);
          return echoOutput(task, input);
        },
      ]),
    );
    return defineHandlers(family, map as HandlerMap<AnyFamily>);
  });
  return { received, versions, handlers };
}
