/**
 * Workflows on a Redis Cluster: BullMQ links a child to its parent in one script, so both must
 * live in one slot. A child of the parent's own family works (the workflow suites run here too);
 * a child of another family is refused with a clear INVALID_INPUT, never a CROSSSLOT error.
 */
import { describe, expect, it } from 'vitest';
import { fanoutHandlers, newDeployment } from '../fixtures/deploy-workflow.ts';
import { evoHandlers } from '../fixtures/evolve.ts';
import { eventually, startStack } from '../fixtures/harness.ts';

describe('workflow children on a Redis Cluster', () => {
  it('a child of another family fails its parent with INVALID_INPUT naming the rule; nothing is enqueued', async () => {
    await using stack = await startStack({ registry: newDeployment });
    expect(stack.redis.mode).toBe('cluster');
    const prepared = new Map<string, number>();
    await stack.startWorker(fanoutHandlers(prepared).v2);
    await stack.startWorker(evoHandlers().v2);
    const ref = await stack.client.deploy.fanout.enqueue({ people: [{ first: 'ada' }] });
    const view = await eventually(async () => {
      const v = await stack.client.deploy.fanout.get(ref.id);
      return v.state === 'failed' ? v : undefined;
    });
    expect(view.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("on a Redis Cluster a child must be of its parent's family (deploy)"),
    });
    expect(view.attemptsMade).toBe(1);
    expect(await stack.client.jobs.list({ family: 'evo', state: 'waiting' })).toEqual([]);
  });
});
