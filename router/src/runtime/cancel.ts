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
  const unprocessed = await unfinishedChildren(hub, job);
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

/** The keys of a job's children that have not finished (every page of BullMQ's set). */
async function unfinishedChildren(hub: QueueHub, job: Job): Promise<string[]> {
  const keys: string[] = [];
  let cursor = 0;
  do {
    const page = await hub.run(() => job.getDependencies({ unprocessed: { cursor, count: 1_000 } }));
    keys.push(...(page.unprocessed ?? []));
    cursor = page.nextUnprocessedCursor ?? 0;
  } while (cursor !== 0);
  return keys;
}

/** Children are looked up and cancelled this many at a time. */
const CANCEL_CHUNK = 100;

async function cancelChildren(hub: QueueHub, keys: readonly string[]): Promise<void> {
  const children = keys.map((key) => childOf(hub, key)).filter((child) => child !== undefined);
  // Those not running first, so that a worker freed by an aborted child finds none of them to take.
  const running: { family: string; job: Job; state: string }[] = [];
  for (let i = 0; i < children.length; i += CANCEL_CHUNK) {
    const chunk = children.slice(i, i + CANCEL_CHUNK);
    const found = await Promise.all(chunk.map((child) => hub.fetchJob(hub.queue(child.family), child.bullId)));
    await Promise.all(
      chunk.map((child, j) => {
        const job = found[j];
        if (!job) return undefined;
        if (job.state === 'active') running.push({ family: child.family, ...job });
        else return cancelJob(hub, child.family, job.job, job.state);
        return undefined;
      }),
    );
  }
  for (let i = 0; i < running.length; i += CANCEL_CHUNK) {
    await Promise.all(running.slice(i, i + CANCEL_CHUNK).map((child) => cancelJob(hub, child.family, child.job, child.state)));
  }
}

/** A child's family and BullMQ id from its job key (`<prefix>:{<family>}:<id>`), if of this registry. */
function childOf(hub: QueueHub, key: string): { family: string; bullId: string } | undefined {
  const match = /^\{([^}]+)\}:(.+)$/.exec(key.slice(hub.keys.prefix.length + 1));
  if (!match?.[1] || !match[2] || !key.startsWith(`${hub.keys.prefix}:`) || !Object.hasOwn(hub.registry, match[1])) return undefined;
  return { family: match[1], bullId: match[2] };
}
