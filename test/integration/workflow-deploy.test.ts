/**
 * Workflows during a rolling deploy (a parent of version N, children of version M): children are
 * enqueued at the contract version the parent's worker knows, so a newer child worker migrates
 * them and an older one puts them back for a newer worker (deferral); a parent resumed by a newer
 * worker has its input migrated, keeps its finished steps and finds its children by their ids.
 */
import { describe, expect, it } from 'vitest';
import { fanoutHandlers, newDeployment, oldDeployment } from '../fixtures/deploy-workflow.ts';
import { evoHandlers } from '../fixtures/evolve.ts';
import { eventually, startStack, uniquePrefix } from '../fixtures/harness.ts';

const deferral = { baseDelayMs: 100, maxDelayMs: 300 };

describe('workflows across a rolling deploy', () => {
  it('old parent + new child worker, new parent + old child worker, and a parent resumed by a newer worker: all complete', async () => {
    const prefix = uniquePrefix('wfdeploy');
    const prepared = new Map<string, number>();
    const parents = fanoutHandlers(prepared);
    const children = evoHandlers();
    await using old = await startStack({ registry: oldDeployment, prefix });
    await using next = await startStack({ registry: newDeployment, prefix });
    const done = async (get: () => Promise<{ state: string }>) =>
      eventually(async () => {
        const v = await get();
        return v.state === 'completed' || v.state === 'failed' ? v : undefined;
      }, 20_000);

    // 1. A v1 parent's children (v1 payloads) run on a v2 child worker: migrated.
    const oldParent = await old.startWorker(parents.v1);
    const newChildren = await next.startWorker(children.v2, { deferral });
    const a = await old.client.deploy.fanout.enqueue({ names: ['ada', 'alan'] });
    const aView = await done(() => old.client.deploy.fanout.get(a.id));
    expect(aView).toMatchObject({
      state: 'completed',
      result: { greetings: ['hello ada', 'hello alan'], childWorkers: [2, 2], childPayloads: [1, 1] },
    });

    // 2. A v2 parent's children (v2 payloads) reach a v1 child worker: put back until a v2 worker runs them.
    await oldParent.close();
    await newChildren.close();
    const newParent = await next.startWorker(parents.v2);
    const oldChildren = await old.startWorker(children.v1, { deferral });
    const b = await next.client.deploy.fanout.enqueue({ people: [{ first: 'grace' }, { first: 'edsger' }] });
    const deferred = await eventually(async () => {
      const waiting = await next.client.jobs.list({ family: 'evo', state: 'delayed' });
      return waiting.filter((job) => job.deferrals > 0).length >= 2 ? waiting : undefined;
    });
    expect(deferred.every((job) => job.version === 2)).toBe(true);
    const lateChildren = await next.startWorker(children.v2, { deferral });
    await oldChildren.close();
    const bView = await done(() => next.client.deploy.fanout.get(b.id));
    expect(bView).toMatchObject({
      state: 'completed',
      result: { greetings: ['hello grace', 'hello edsger'], childWorkers: [2, 2], childPayloads: [2, 2] },
    });

    // 3. A v1 parent waits on its children; the deploy replaces its worker by a v2 one before they finish.
    await newParent.close();
    await lateChildren.close();
    const oldParentAgain = await old.startWorker(parents.v1);
    const c = await old.client.deploy.fanout.enqueue({ names: ['barbara', 'ken'] });
    await eventually(async () => ((await next.client.jobs.list({ family: 'evo', state: 'waiting' })).length === 2 ? true : undefined));
    await oldParentAgain.close();
    await next.startWorker(parents.v2);
    await next.startWorker(children.v2, { deferral });
    const cView = await done(() => next.client.deploy.fanout.get(c.id));
    expect(cView).toMatchObject({
      state: 'completed',
      version: 1,
      result: { greetings: ['hello barbara', 'hello ken'], childWorkers: [2, 2], childPayloads: [1, 1] },
    });
    // Its first step ran once, on the v1 worker; the v2 worker found it stored.
    expect(prepared.get(c.id)).toBe(1);
    expect([...prepared.values()]).toEqual([1, 1, 1]);
    // Every child ran once, on a worker that understood it.
    expect(children.log.filter((h) => h.payloadVersion > h.workerVersion)).toEqual([]);
    expect(children.log).toHaveLength(6);
  });
});
