import type { QueueEvents } from 'bullmq';

/** A job's event as read from the family's event stream, still encoded. */
export type RawJobEvent =
  | { type: 'progress'; data: unknown }
  | { type: 'completed'; returnvalue: unknown }
  | { type: 'failed'; failedReason: string }
  | { type: 'removed' }
  /** It moved without ending: to `active`, `delayed` or `waiting-children` (a workflow's suspension). */
  | { type: 'moved'; state: 'active' | 'delayed' | 'waiting-children' };

type Listener = (event: RawJobEvent) => void;

/** How a bus reaches Redis: where the event stream ends now, and a reader from a position. */
export interface EventSource {
  /** The id of the stream's last entry (`0-0` when empty): a reader started there misses nothing after it. */
  position(): Promise<string>;
  /** Opens a reader of the events after `lastEventId`; `close()` releases its connection. */
  open(lastEventId: string): { events: QueueEvents; close(): Promise<void> };
}

/**
 * Fans one family's BullMQ event stream out to per-job listeners, so a thousand watchers cost one
 * Redis reader, not a thousand. The reader runs only while someone listens (plus `idleMs`), since
 * reading every event of a busy family costs the API CPU per job even when nobody watches.
 *
 * A reader started late must not miss what a new listener expects: it starts at the stream's
 * position read *before* {@link ready} resolves, so a listener that subscribes, awaits `ready()`
 * and then reads the job's state sees every event after that state.
 */
export class JobEventBus {
  private readonly listeners = new Map<string, Set<Listener>>();
  private reader: Promise<{ close(): Promise<void> }> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: EventSource,
    private readonly idleMs = 30_000,
  ) {}

  /** Listens to one job's events; returns the function that stops listening. */
  subscribe(bullId: string, listener: Listener): () => void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    let set = this.listeners.get(bullId);
    if (!set) {
      set = new Set();
      this.listeners.set(bullId, set);
    }
    set.add(listener);
    this.start();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(bullId);
      if (this.listeners.size === 0) this.scheduleStop();
    };
  }

  /** Resolves once the reader's start position is fixed; events after that reach the listeners. */
  ready(): Promise<void> {
    return this.start().then(() => undefined);
  }

  private start(): Promise<{ close(): Promise<void> }> {
    if (!this.reader) {
      const reader = this.source.position().then((position) => {
        const { events, close } = this.source.open(position);
        events.on('error', () => {});
        events.on('progress', ({ jobId, data }) => this.emit(jobId, { type: 'progress', data }));
        events.on('completed', ({ jobId, returnvalue }) => this.emit(jobId, { type: 'completed', returnvalue }));
        events.on('failed', ({ jobId, failedReason }) => this.emit(jobId, { type: 'failed', failedReason }));
        events.on('removed', ({ jobId }) => this.emit(jobId, { type: 'removed' }));
        events.on('active', ({ jobId }) => this.emit(jobId, { type: 'moved', state: 'active' }));
        events.on('delayed', ({ jobId }) => this.emit(jobId, { type: 'moved', state: 'delayed' }));
        events.on('waiting-children', ({ jobId }) => this.emit(jobId, { type: 'moved', state: 'waiting-children' }));
        return { close };
      });
      // A failed start (Redis away) is retried by the next subscriber or `ready()`.
      reader.catch(() => {
        if (this.reader === reader) this.reader = undefined;
      });
      this.reader = reader;
    }
    return this.reader;
  }

  private scheduleStop(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.listeners.size === 0) void this.stop();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private async stop(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.then((r) => r.close()).catch(() => {});
  }

  private emit(jobId: string, event: RawJobEvent): void {
    const set = this.listeners.get(jobId);
    if (set) for (const listener of set) listener(event);
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.listeners.clear();
    await this.stop();
  }
}
