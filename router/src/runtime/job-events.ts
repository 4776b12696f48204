import type { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

/** A job's event as read from the family's event stream, still encoded. */
export type RawJobEvent =
  | { type: 'progress'; data: unknown }
  | { type: 'completed'; returnvalue: unknown }
  | { type: 'failed'; failedReason: string }
  | { type: 'removed' };

type Listener = (event: RawJobEvent) => void;

/**
 * Fans one family's BullMQ event stream out to per-job listeners, so a thousand watchers cost one
 * Redis reader, not a thousand.
 */
export class JobEventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly events: QueueEvents,
    private readonly connection: Redis,
  ) {
    events.on('error', () => {});
    events.on('progress', ({ jobId, data }) => this.emit(jobId, { type: 'progress', data }));
    events.on('completed', ({ jobId, returnvalue }) => this.emit(jobId, { type: 'completed', returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => this.emit(jobId, { type: 'failed', failedReason }));
    events.on('removed', ({ jobId }) => this.emit(jobId, { type: 'removed' }));
  }

  /** Listens to one job's events; returns the function that stops listening. */
  subscribe(bullId: string, listener: Listener): () => void {
    let set = this.listeners.get(bullId);
    if (!set) {
      set = new Set();
      this.listeners.set(bullId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(bullId);
    };
  }

  ready(): Promise<void> {
    return this.events.waitUntilReady().then(() => undefined);
  }

  private emit(jobId: string, event: RawJobEvent): void {
    const set = this.listeners.get(jobId);
    if (set) for (const listener of set) listener(event);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.events.close().catch(() => {});
    this.connection.disconnect();
  }
}
