import type { Job } from 'bullmq';
import type { QueueHub } from './hub.ts';

/** How a cancel ended: `removed` (it had not started, now gone) or `cancelling` (its worker was told to abort). */
export type CancelOutcome = 'removed' | 'cancelling';

/**
 * Cancels a job that has not finished. A waiting, delayed or waiting-children job is removed
 * (its finished children are kept: their results are theirs); a running one is aborted by its
 * worker (the family's cancel channel). A workflow parent's unfinished children go with it
 * (whatever their family: they are the parent's work): waiting ones removed, running ones aborted.
 */
export async function cancelJob(hub: QueueHub, family: string, job: Job, state: string): Promise<CancelOutcome> {
  if (state === 'active') return abort(hub, family, job);
  // Read before the parent goes; the parent goes first: removing or aborting a child releases a
  // parent with nothing else pending, which a worker would then run.
  const { unprocessed = [] } = await hub.run(() => job.getDependencies({ unprocessed: { count: 100_000 } }));
  const removed = await hub.run(() =>
    job.remove({ removeChildren: false }).then(
      () => true,
      () => false,
    ),
  );
  // Not removed: it became active meanwhile (e.g. its last child just finished); abort it there.
  const outcome = removed ? 'removed' : await abort(hub, family, job);
  await cancelChildren(hub, unprocessed);
  return outcome;
}

async function abort(hub: QueueHub, family: string, job: Job): Promise<CancelOutcome> {
  await hub.run(() => hub.redis.publish(hub.keys.cancelChannel(family), job.id as string));
  return 'cancelling';
}

async function cancelChildren(hub: QueueHub, keys: readonly string[]): Promise<void> {
  const children = keys.map((key) => childOf(hub, key)).filter((child) => child !== undefined);
  // Those not running first, so that a worker freed by an aborted child finds none of them to take.
  const running: { family: string; job: Job; state: string }[] = [];
  for (const child of children) {
    const found = await hub.fetchJob(hub.queue(child.family), child.bullId);
    if (!found) continue;
    if (found.state === 'active') running.push({ family: child.family, ...found });
    else await cancelJob(hub, child.family, found.job, found.state);
  }
  for (const child of running) await cancelJob(hub, child.family, child.job, child.state);
}

/** A child's family and BullMQ id from its job key (`<prefix>:{<family>}:<id>`), if of this registry. */
function childOf(hub: QueueHub, key: string): { family: string; bullId: string } | undefined {
  const match = /^\{([^}]+)\}:(.+)$/.exec(key.slice(hub.keys.prefix.length + 1));
  if (!match?.[1] || !match[2] || !key.startsWith(`${hub.keys.prefix}:`) || !Object.hasOwn(hub.registry, match[1])) return undefined;
  return { family: match[1], bullId: match[2] };
}
