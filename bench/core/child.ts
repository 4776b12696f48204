/**
 * The child side of the IPC channel: answers the orchestrator's commands, and makes sure the
 * child never outlives it.
 */
import type { BaseCommands, ChildMessage, Commands, RequestMessage } from './protocol.ts';

export type Handlers<TCommands extends Commands> = {
  [K in Exclude<keyof TCommands, keyof BaseCommands>]: (args: TCommands[K]['args']) => Promise<TCommands[K]['result']>;
};

export interface ServeOptions {
  /** Sent with the ready message (e.g. a server's URL). */
  info?: Record<string, string>;
  /** Closes every connection the child opened. */
  close(): Promise<void>;
}

// From the first line of every child: Ctrl-C reaches the whole process group, and the
// orchestrator decides the order of shutdown; if the orchestrator goes away, so does the child.
let onParentGone: () => void = () => process.exit(0);
process.on('SIGINT', () => {});
process.once('disconnect', () => onParentGone());

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });
}

/** Reads a `--name value` argument; throws when it is missing. */
export function argument(name: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/**
 * Serves commands until `shutdown`. The child ignores SIGINT (see above) and closes and exits by
 * itself if the orchestrator goes away (the IPC channel closes), so no child is left behind.
 *
 * @example
 * serve<WorkerCommands>({ prepare: async (args) => …, start: async () => …, … }, { close: () => worker.close() });
 */
export function serve<TCommands extends Commands>(handlers: Handlers<TCommands>, options: ServeOptions): void {
  if (!process.send) throw new Error('bench children run under the orchestrator (bench/run.ts), with an IPC channel');
  let closing: Promise<void> | undefined;
  const closeOnce = () => {
    closing ??= options.close();
    return closing;
  };
  const exitAfterClose = (code: number) => {
    const force = setTimeout(() => process.exit(code || 1), 3_000);
    force.unref();
    closeOnce()
      .catch((error: unknown) => console.error(`close failed: ${(error as Error).message}`))
      .finally(() => process.exit(code));
  };

  process.once('SIGTERM', () => exitAfterClose(0));
  onParentGone = () => exitAfterClose(0);
  if (!process.connected) onParentGone();

  const table = handlers as Record<string, (args: unknown) => Promise<unknown>>;
  process.on('message', (raw: RequestMessage) => {
    const { id, cmd, args } = raw;
    const reply = (ok: boolean, payload: { result?: unknown; error?: string }) => send({ type: 'reply', id, ok, ...payload });
    if (cmd === 'usage') {
      // Under --expose-gc (the soak), collect first: RSS is then live memory and what V8 and
      // malloc keep, not garbage that happens to be waiting (it swung the API's RSS by ±25%).
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const cpu = process.cpuUsage();
      void reply(true, { result: { rss: process.memoryUsage.rss(), cpuMicros: cpu.user + cpu.system } });
      return;
    }
    if (cmd === 'shutdown') {
      closeOnce().then(
        async () => {
          // Exit once the reply is written; --cpu-prof writes its file on this exit.
          await reply(true, { result: null });
          process.exit(0);
        },
        async (error: Error) => {
          await reply(false, { error: error.message });
        },
      );
      return;
    }
    const handler = table[cmd];
    if (!handler) {
      void reply(false, { error: `unknown command '${cmd}'` });
      return;
    }
    handler(args).then(
      (result) => void reply(true, { result: result ?? null }),
      (error: unknown) => void reply(false, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
  void send({ type: 'ready', info: options.info ?? {} });
}
