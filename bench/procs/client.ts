/** A client process: one column's enqueue path, driven on command (see ClientCommands). */
import { argument, serve } from '../core/child.ts';
import { batches, closedLoop, openLoop } from '../core/drive.ts';
import type { ClientCommands, Column } from '../core/protocol.ts';
import type { CreateProducer } from '../core/roles.ts';
import { quantile } from '../core/stats.ts';

const column = argument('column') as Column;
const target = argument('target');

// Only this column's modules are loaded, so the RSS figures compare like with like.
const factories: Record<Column, () => Promise<CreateProducer>> = {
  raw: async () => (await import('../raw/producer.ts')).createProducer,
  naive: async () => (await import('../naive/producer.ts')).createProducer,
  taskwire: async () => (await import('../taskwire/producer.ts')).createProducer,
};
const producer = await (await factories[column]())(target);

serve<ClientCommands>(
  {
    single: async ({ jobs, inFlight }) => ({ ms: await closedLoop(jobs, inFlight, (input) => producer.enqueue(input)) }),
    bulk: async ({ jobs, batch }) => ({ ms: await batches(jobs, batch, (inputs) => producer.enqueueMany(inputs)) }),
    paced: async ({ rate, durationMs }) => {
      const { roundTripMs, ...rest } = await openLoop(rate, durationMs, (input) => producer.enqueue(input));
      const sorted = roundTripMs.sort((a, b) => a - b);
      return { ...rest, roundTripMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) } };
    },
  },
  { close: () => producer.close() },
);
