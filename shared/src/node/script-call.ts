import { Command } from 'ioredis';
import { type RedisConnection, writeTogether } from './redis-client.ts';

/** One argument of a script call: a value the same for every call, or `SLOT`, filled per call. */
export const SLOT = Symbol('slot');
export type ScriptArgument = string | Buffer | typeof SLOT;
/** What fills a slot: what ioredis accepts for an argument (numbers are written as decimal text). */
export type SlotValue = string | Buffer | number | undefined;

const CRLF = Buffer.from('\r\n');

/**
 * A Lua script call (EVALSHA) whose Redis protocol bytes are written once except for the
 * arguments that change per call. ioredis builds every command from scratch — a string or buffer
 * per argument, each measured twice, then copied into a new buffer — which for BullMQ's scripts
 * (nine to fourteen keys, mostly the same every call) costs more of a busy process's CPU than
 * anything taskwire does per job. Here the fixed part is bytes already, and a call measures and
 * copies only its own values into one buffer.
 *
 * The bytes are those ioredis writes for `evalsha sha numberOfKeys ...arguments` (checked in
 * test/integration/bullmq-parity.test.ts and completion-parity.test.ts).
 *
 * @example
 * const call = new ScriptCall(script.sha, 2, ['bull:q:wait', SLOT, 'x'], script.lua);
 * const reply = await call.send(redis, ['bull:q:42'], fallback);
 */
export class ScriptCall {
  /** The fixed bytes before each slot, then after the last one. */
  private readonly segments: Buffer[];
  private readonly fixedLength: number;
  readonly slots: number;

  /** @param lua The script's text: {@link sendAll} loads it after Redis lost it, to send the refused calls again in their order. */
  constructor(
    readonly sha: string,
    readonly numberOfKeys: number,
    layout: readonly ScriptArgument[],
    private readonly lua: string,
  ) {
    const head = [`*${layout.length + 3}\r\n`, bulk('evalsha'), bulk(sha), bulk(String(numberOfKeys))].map((part) => Buffer.from(part));
    const segments: Buffer[] = [];
    let pending: Buffer[] = head;
    for (const argument of layout) {
      if (argument === SLOT) {
        segments.push(Buffer.concat(pending));
        pending = [];
      } else {
        const bytes = typeof argument === 'string' ? Buffer.from(argument) : argument;
        pending.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
      }
    }
    segments.push(Buffer.concat(pending));
    this.segments = segments;
    this.slots = segments.length - 1;
    this.fixedLength = segments.reduce((sum, segment) => sum + segment.length, 0);
  }

  /** The whole command, its slots filled with `values` in order. */
  encode(values: readonly SlotValue[]): Buffer {
    if (values.length !== this.slots) throw new Error(`a script call with ${this.slots} slots got ${values.length} values`);
    const parts: (string | Buffer)[] = new Array(values.length);
    const lengths: number[] = new Array(values.length);
    let length = this.fixedLength;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const part = typeof value === 'string' || Buffer.isBuffer(value) ? value : toArgument(value);
      const bytes = typeof part === 'string' ? Buffer.byteLength(part) : part.length;
      parts[i] = part;
      lengths[i] = bytes;
      length += digits(bytes) + bytes + 5; // $<digits>\r\n<bytes>\r\n
    }
    const out = Buffer.allocUnsafe(length);
    let at = this.segments[0]!.copy(out, 0);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const bytes = lengths[i]!;
      out[at++] = 0x24; // $
      at += out.write(String(bytes), at, 'latin1');
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      at += typeof part === 'string' ? out.write(part, at, bytes, 'utf8') : part.copy(out, at);
      out[at++] = 0x0d;
      out[at++] = 0x0a;
      at += this.segments[i + 1]!.copy(out, at);
    }
    return out;
  }

  /**
   * Sends the call on a single-node connection and resolves to the script's reply. When Redis
   * does not know the script (it restarted and lost its script cache, or no one ran it on this
   * server yet), `fallback` runs the call the usual way — ioredis then loads the script — and its
   * answer is the answer.
   */
  async send(redis: RedisConnection, values: readonly SlotValue[], fallback: () => Promise<unknown>): Promise<unknown> {
    const reply = await this.sendOnce(redis, values);
    return reply === NOT_RUN ? fallback() : reply;
  }

  /**
   * Sends several calls in one write and settles to each one's outcome, in order. When Redis did
   * not know the script, the calls it refused are sent again once every reply of the batch is in:
   * the script loaded (`SCRIPT LOAD`) and the refused calls behind it, in one write, in their
   * order. Not one by one as each refusal arrives (what `fallback` alone would do): the refusals
   * of a batch can reach the client in several reads, and the calls refused in a later read would
   * then meet the script already loaded by an earlier retry, and run before calls that came before
   * them. A call refused again (the script lost once more meanwhile) goes `fallback`'s way.
   *
   * @example
   * const outcomes = await call.sendAll(redis, jobs.map(valuesOf), (values) => bullMqWay(values));
   */
  async sendAll(
    redis: RedisConnection,
    batch: readonly (readonly SlotValue[])[],
    fallback: (values: readonly SlotValue[]) => Promise<unknown>,
  ): Promise<PromiseSettledResult<unknown>[]> {
    const outcomes = await Promise.allSettled(writeTogether(redis, () => batch.map((values) => this.sendOnce(redis, values))));
    const refused = outcomes.flatMap((outcome, i) => (outcome.status === 'fulfilled' && outcome.value === NOT_RUN ? [i] : []));
    if (refused.length === 0) return outcomes;
    const again = await Promise.allSettled(
      writeTogether(redis, () => {
        redis.script('LOAD', this.lua).catch(() => {}); // a failed load shows as NOSCRIPT below
        return refused.map((i) => this.sendOnce(redis, batch[i] as SlotValue[]));
      }),
    );
    // Refused again (the script lost once more): BullMQ's way, each call started in batch order.
    await Promise.all(
      refused.map(async (i, j) => {
        const outcome = again[j] as PromiseSettledResult<unknown>;
        const refusedAgain = outcome.status === 'fulfilled' && outcome.value === NOT_RUN;
        outcomes[i] = refusedAgain
          ? ((await Promise.allSettled([fallback(batch[i] as SlotValue[])]))[0] as PromiseSettledResult<unknown>)
          : outcome;
      }),
    );
    return outcomes;
  }

  /** One call; {@link NOT_RUN} when Redis did not know the script (it ran nothing). */
  private async sendOnce(redis: RedisConnection, values: readonly SlotValue[]): Promise<unknown> {
    const command = new EncodedCommand(this.encode(values));
    redis.sendCommand(command);
    try {
      return await command.promise;
    } catch (error) {
      if ((error as Error).message?.startsWith('NOSCRIPT')) return NOT_RUN;
      throw error;
    }
  }
}

/** What a call answers when Redis did not know the script: nothing ran. */
const NOT_RUN = Symbol('not run');

/** A command whose bytes are ready: ioredis writes them as they are. */
class EncodedCommand extends Command {
  constructor(private readonly bytes: Buffer) {
    super('evalsha', [], { replyEncoding: 'utf8' });
  }

  override toWritable(): Buffer {
    return this.bytes;
  }
}

/**
 * The call of one of BullMQ's scripts on a connection, `layout` being its keys and arguments with
 * `SLOT` where they change per call. BullMQ defines its scripts on the connection it is given, as
 * `<name>:<version>` (`backend` is the queue's or worker's BullMQ backend). Null when the call
 * cannot be written by hand — on a cluster, whose commands must carry their keys for routing, or
 * when the script takes another number of keys than the layout says or its text is not at hand
 * (another BullMQ or ioredis) — and the
 * caller keeps BullMQ's own call; undefined while the script is not defined yet (ask again).
 *
 * @example
 * this.call ??= bullScriptCall(redis, queue.getBackend(), 'addStandardJob', 9, [...keys, SLOT, SLOT, SLOT]);
 */
export function bullScriptCall(
  redis: RedisConnection,
  backend: object,
  name: string,
  numberOfKeys: number,
  layout: readonly ScriptArgument[],
): ScriptCall | null | undefined {
  if (redis.isCluster) return null;
  const version = (backend as { version?: string }).version;
  const scripts = (redis as unknown as { scriptsSet?: Record<string, { sha: string; numberOfKeys: number | null; lua?: unknown }> })
    .scriptsSet;
  const script = scripts?.[`${name}:${version}`];
  if (!script) return undefined;
  return script.numberOfKeys === numberOfKeys && typeof script.lua === 'string'
    ? new ScriptCall(script.sha, numberOfKeys, layout, script.lua)
    : null;
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1_000 ? 3 : n < 10_000 ? 4 : n < 100_000 ? 5 : String(n).length;
}

/** ioredis's text for a non-string argument: nothing for undefined, integers beyond 2^53 in full. */
function toArgument(value: number | undefined): string {
  if (value === undefined) return '';
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value).toString();
  return String(value);
}
