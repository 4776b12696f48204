import { bullScriptCall, type RedisConnection, type ScriptCall, SLOT } from '@taskwire/shared/node';
import { type JobJson, type JobsOptions, optsEncodeMap, type Queue } from 'bullmq';
import { Packr } from 'msgpackr';

/** The packer BullMQ's Redis backend uses for script arguments (same options, same bytes). */
const packer = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
/** msgpack `nil`, and the header of a 10-element array. */
const NIL = 0xc0;
const ARRAY_OF_10 = 0x9a;
const FLOAT_64 = 0xcb;

/**
 * Adds jobs to one queue through its BullMQ backend. A plain job — no delay, priority, custom
 * id, parent, deduplication or repeat, which is what almost every enqueue is — goes to BullMQ's
 * own `addStandardJob` script with the arguments the backend would build, except that the parts
 * that never change are encoded once: the job options once per options object, the argument list
 * once per job name, with only the timestamp written per job. BullMQ packs both with msgpack for
 * every job: about a tenth of the API's CPU per single enqueue (see bench/README.md). Every other
 * job goes through the backend's `addJobToTransaction`, as `Queue.add` does.
 *
 * The argument layout is BullMQ 6.7's (`addStandardJobArgs`); test/integration/bullmq-parity.test.ts
 * checks that each kind of enqueue stores exactly what `Queue.add` stores, so an upgrade that
 * changes it fails there.
 */
export class JobWriter {
  private readonly backend;
  private readonly keys: string[];
  /** The queue's key prefix (`bull:<queue>:`), the first packed argument. */
  private readonly prefix: string;
  /** Per job name: the packed argument list up to the timestamp. */
  private readonly heads = new Map<string, Buffer>();
  private readonly packedOptions = new WeakMap<JobsOptions, Buffer>();
  /** `addStandardJob` with its keys written once (see ScriptCall); null where it cannot be used (a cluster). */
  private call: ScriptCall | null | undefined;

  /** `connection`: the queue's own ioredis connection, for the script calls written by hand. */
  constructor(
    queue: Queue,
    private readonly connection?: RedisConnection,
  ) {
    this.backend = queue.getBackend();
    const k = queue.keys;
    this.prefix = k[''] as string;
    this.keys = [k.wait, k.paused, k.meta, k.id, k.completed, k.delayed, k.active, k.events, k.marker] as string[];
  }

  /** Adds one job; resolves to its BullMQ id. */
  async add(job: JobJson): Promise<string> {
    const values = this.standardValues(job);
    if (!values) return this.backend.addJobToTransaction(await this.backend.client, job, job.id);
    const call = this.scriptCall();
    return checked(
      call && this.connection ? await call.send(this.connection, values, this.viaBackend(values)) : await this.viaBackend(values)(),
    );
  }

  /** BullMQ's own `addStandardJob` call (ioredis loads the script if Redis lost it). */
  private viaBackend(values: StandardValues): () => Promise<unknown> {
    return async () => this.backend.execCommand(await this.backend.client, 'addStandardJob', this.withKeys(values));
  }

  /** The whole `addStandardJob` argument list: the queue's keys, then a plain job's values. */
  private withKeys(values: StandardValues): (string | Buffer)[] {
    return [...this.keys, ...values];
  }

  /** `addStandardJob` as a {@link ScriptCall}: the queue's keys fixed, the three arguments per job. */
  scriptCall(): ScriptCall | undefined {
    if (this.call === undefined && this.connection) {
      this.call = bullScriptCall(this.connection, this.backend, 'addStandardJob', this.keys.length, [...this.keys, SLOT, SLOT, SLOT]);
    }
    return this.call ?? undefined;
  }

  /**
   * Adds jobs in one write to Redis; resolves to each job's BullMQ id or error, in order. Plain
   * jobs go as script calls written by hand (see {@link add}), sent together; a batch with any
   * other job goes in one BullMQ pipeline. Neither is a transaction: one job can fail (a script
   * error, Redis out of memory) while the others are stored, and the caller must know which.
   */
  async addMany(jobs: readonly JobJson[]): Promise<AddResult[]> {
    const values = jobs.map((job) => this.standardValues(job));
    const call = this.scriptCall();
    const connection = this.connection;
    if (call && connection && values.every((v) => v !== undefined)) {
      const outcomes = await call.sendAll(connection, values as StandardValues[], (v) => this.viaBackend(v as StandardValues)());
      return outcomes.map((outcome) => (outcome.status === 'fulfilled' ? added(outcome.value) : failed(outcome.reason)));
    }
    const client = await this.backend.client;
    const pipeline = client.pipeline();
    jobs.forEach((job, i) => {
      const v = values[i];
      if (v) this.backend.execCommand(pipeline, 'addStandardJob', this.withKeys(v));
      else void this.backend.addJobToTransaction(pipeline, job, job.id);
    });
    const results = (await pipeline.exec()) as [Error | null, unknown][];
    return results.map(([error, id]) => (error ? { error } : added(id)));
  }

  /** The `addStandardJob` arguments of a plain job, or undefined for any other job. */
  standardArgs(job: JobJson): (string | Buffer)[] | undefined {
    const values = this.standardValues(job);
    return values && this.withKeys(values);
  }

  /** The arguments after the keys (packed argument list, data, packed options) of a plain job; undefined for any other job. */
  private standardValues(job: JobJson): StandardValues | undefined {
    const { opts } = job;
    if (
      (opts.delay ?? 0) > 0 ||
      opts.priority ||
      opts.jobId !== undefined ||
      opts.parent ||
      opts.deduplication ||
      opts.telemetry ||
      job.parent ||
      job.repeatJobKey
    ) {
      return undefined;
    }
    let packedOptions = this.packedOptions.get(opts);
    if (!packedOptions) {
      packedOptions = packer.pack(encodeOptions(opts));
      this.packedOptions.set(opts, packedOptions);
    }
    return [this.packedArgs(job.name, job.timestamp), job.data, packedOptions];
  }

  /**
   * BullMQ's argument list for a plain job, packed: `[prefix, '', name, timestamp, then six nils
   * (parent key, parent dependencies key, parent, repeat job key, deduplication key, deferred
   * parent release)]`. msgpackr writes the timestamp as a float64.
   */
  private packedArgs(name: string, timestamp: number): Buffer {
    let head = this.heads.get(name);
    if (!head) {
      head = Buffer.concat([Buffer.of(ARRAY_OF_10), packer.pack(this.prefix), packer.pack(''), packer.pack(name)]);
      this.heads.set(name, head);
    }
    const packed = Buffer.allocUnsafe(head.length + 9 + 6);
    head.copy(packed, 0);
    packed[head.length] = FLOAT_64;
    packed.writeDoubleBE(timestamp, head.length + 1);
    packed.fill(NIL, head.length + 9);
    return packed;
  }
}

/** One job of {@link JobWriter.addMany}: its BullMQ id, or why it was not added. */
export type AddResult = { id: string } | { error: Error };

/** A plain job's `addStandardJob` arguments after the keys: packed argument list, data, packed options. */
type StandardValues = [Buffer, string, Buffer];

function added(reply: unknown): AddResult {
  try {
    return { id: checked(reply) };
  } catch (refused) {
    return { error: refused as Error };
  }
}

const failed = (error: unknown): AddResult => ({ error: error as Error });

/** Job options in their stored form, as BullMQ's backend encodes them (short names, no undefined). */
function encodeOptions(opts: JobsOptions): Record<string, unknown> {
  const encoded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(opts)) {
    if (value !== undefined) encoded[(optsEncodeMap as Record<string, string>)[name] ?? name] = value;
  }
  return encoded;
}

/** A script's answer: the job id, or a negative error code (only parents and deduplication produce those). */
function checked(result: unknown): string {
  if (typeof result === 'number' && result < 0) throw new Error(`BullMQ could not add the job (code ${result})`);
  return String(result);
}
