import type { Job } from 'bullmq';
import type { QueueHub } from './hub.ts';

/** How a cancel ended: `removed` (it had not started, now gone) or `cancelling` (its worker was told to abort). */
export type CancelOutcome = 'removed' | 'cancelling';

/**
 * Cancels a job that has not finished. A waiting or delayed job is removed; a running one is
 * aborted by its worker (the family's cancel channel); a workflow parent waiting on its children
 * takes its unfinished children with it (whatever their family: they are the parent's work),
 * running children aborted, the others removed, then the parent is removed.
 */
export async function cancelJob(hub: QueueHub, family: string, job: Job, state: string): Promise<CancelOutcome> {
  if (state === 'waiting-children') return cancelParent(hub, family, job);
  if (state !== 'active') {
    const removed = await hub.run(() =>
      job.remove().then(
        () => true,
        () => false,
      ),
    );
    if (removed) return 'removed';
  }
  // Active (or it became active while we looked): tell the workers of its family.
  await hub.run(() => hub.redis.publish(hub.keys.cancelChannel(family), job.id as string));
  return 'cancelling';
}

/**
 * The parent goes first: removing a child, or aborting it, releases a parent with nothing else
 * pending, which a worker would then run. Its children's keys are read before.
 */
async function cancelParent(hub: QueueHub, family: string, parent: Job): Promise<CancelOutcome> {
  const { unprocessed = [] } = await hub.run(() => parent.getDependencies({ unprocessed: { count: 100_000 } }));
  const removed = await hub.run(() =>
    parent.remove({ removeChildren: false }).then(
      () => true,
      () => false,
    ),
  );
  // Not removed: it runs again (its last child just finished); abort it like any running job.
  if (!removed) await hub.run(() => hub.redis.publish(hub.keys.cancelChannel(family), parent.id as string));
  const children = unprocessed.map((key) => childOf(hub, key)).filter((child) => child !== undefined);
  // Those not running first, so that a worker freed by an aborted child finds none of them to take.
  const running: { family: string; job: Job; state: string }[] = [];
  for (const child of children) {
    const found = await hub.fetchJob(hub.queue(child.family), child.bullId);
    if (!found) continue;
    if (found.state === 'active') running.push({ family: child.family, ...found });
    else await cancelJob(hub, child.family, found.job, found.state);
  }
  for (const child of running) await cancelJob(hub, child.family, child.job, child.state);
  return removed ? 'removed' : 'cancelling';
}

/** A child's family and BullMQ id from its job key (`<prefix>:{<family>}:<id>`), if of this registry. */
function childOf(hub: QueueHub, key: string): { family: string; bullId: string } | undefined {
  const match = /^\{([^}]+)\}:(.+)$/.exec(key.slice(hub.keys.prefix.length + 1));
  if (!match?.[1] || !match[2] || !key.startsWith(`${hub.keys.prefix}:`) || !Object.hasOwn(hub.registry, match[1])) return undefined;
  return { family: match[1], bullId: match[2] };
}
