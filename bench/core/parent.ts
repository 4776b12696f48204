/**
 * The orchestrator side of the IPC channel: spawns a TypeScript entry point under tsx, sends it
 * typed commands and stops it (politely, then by force).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildMessage, Commands, ReadyMessage, RequestMessage } from './protocol.ts';

export interface SpawnOptions {
  /** Extra `--name value` arguments for the entry point. */
  args?: Record<string, string>;
  /** Write a V8 CPU profile of the whole child to this directory (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** Print the child's output as it comes (otherwise only its last lines, when it fails). */
  verbose?: boolean;
  /** How long start-up may take (ms). */
  readyTimeoutMs?: number;
  /**
   * Run the child with `--expose-gc`, so that it collects garbage before it answers `usage`
   * (bench/core/child.ts): RSS readings that are not noise from uncollected garbage.
   */
  gcBeforeUsage?: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const TAIL_LINES = 40;

/** Every child spawned and not yet gone, from the moment it is spawned (not only once ready). */
const live = new Set<{ stop(timeoutMs?: number): Promise<void>; kill(): void }>();

/** Stops every child still running: asks first, kills after `timeoutMs`. */
export async function stopAllChildren(timeoutMs = 5_000): Promise<void> {
  await Promise.allSettled([...live].map((child) => child.stop(timeoutMs)));
}

/** SIGKILLs every child still running (last resort: a second Ctrl-C, or process exit). */
export function killAllChildren(): void {
  for (const child of live) child.kill();
}

/**
 * A child process speaking the bench protocol.
 *
 * @example
 * const worker = await BenchChild.spawn<WorkerCommands>('taskwire worker', 'bench/procs/worker.ts', { args: { column: 'taskwire' } });
 * await worker.request('prepare', { concurrency: 16, target: 20_000 });
 */
export class BenchChild<TCommands extends Commands> {
  private readonly pending = new Map<number, Pending>();
  private readonly tail: string[] = [];
  private nextId = 1;
  private exitReason: string | undefined;
  readonly exited: Promise<void>;
  info: Record<string, string> = {};

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    verbose: boolean,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        if (verbose) console.error(`[${label}] ${line}`);
      });
    }
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'reply') return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`${label}: ${message.error ?? 'failed'}`));
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitReason = signal ? `killed by ${signal}` : `exited with code ${code}`;
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.reject(new Error(`${label} ${this.exitReason} while a command was running${this.output()}`));
          this.pending.delete(id);
        }
        resolve();
      });
    });
    child.once('error', () => {});
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  /** Spawns `node --import tsx <file>` and waits for its ready message. */
  static async spawn<TCommands extends Commands>(label: string, file: string, options: SpawnOptions = {}): Promise<BenchChild<TCommands>> {
    const nodeArgs = ['--conditions=taskwire-source', '--import', 'tsx'];
    if (options.cpuProfDir) {
      // One directory per child: tsx's module loader runs on its own thread, which writes a
      // profile of its own (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is main).
      const dir = join(options.cpuProfDir, label.replace(/[^a-z0-9]+/gi, '-'));
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    if (options.gcBeforeUsage) nodeArgs.push('--expose-gc');
    const args = Object.entries(options.args ?? {}).flatMap(([name, value]) => [`--${name}`, value]);
    const child = spawn(process.execPath, [...nodeArgs, file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    const handle = new BenchChild<TCommands>(label, child, options.verbose ?? false);
    const ready = new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${label} not ready within ${options.readyTimeoutMs ?? 60_000} ms${handle.output()}`)),
        options.readyTimeoutMs ?? 60_000,
      );
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        }
      });
      void handle.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${label} ${handle.exitReason} before it was ready${handle.output()}`));
      });
    });
    try {
      handle.info = (await ready).info;
    } catch (error) {
      handle.kill();
      throw error;
    }
    return handle;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a command and resolves with its typed result. */
  request<K extends keyof TCommands & string>(cmd: K, args: TCommands[K]['args'], timeoutMs = 300_000): Promise<TCommands[K]['result']> {
    if (!this.alive) return Promise.reject(new Error(`${this.label} is not running (${this.exitReason ?? 'gone'})${this.output()}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: '${cmd}' took longer than ${timeoutMs} ms${this.output()}`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      const message: RequestMessage = { id, cmd, args };
      this.child.send(message);
    });
  }

  /** Resident set size of the child now (MB) and the CPU time it has used so far (ms). */
  async usage(): Promise<{ rssMB: number; cpuMs: number }> {
    const { rss, cpuMicros } = (await this.request('usage', null, 10_000)) as { rss: number; cpuMicros: number };
    return { rssMB: rss / 1_048_576, cpuMs: cpuMicros / 1_000 };
  }

  /** Asks the child to close its connections and exit; kills it if it has not within `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (!this.alive) return;
    const timer = setTimeout(() => this.kill(), timeoutMs);
    try {
      await this.request('shutdown', null, timeoutMs).catch(() => {});
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL, at once. */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** The child's last output lines, for error messages. */
  output(): string {
    return this.tail.length ? `; last output:\n  ${this.tail.join('\n  ')}` : '';
  }
}
