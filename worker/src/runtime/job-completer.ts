import { bullScriptCall, type RedisConnection, type ScriptCall, SLOT, type SlotValue } from '@taskwire/shared/node';
import { type Job, type JobJson, type JobsOptions, type KeepJobs, optsDecodeMap, type RedisQueueBackend, type Worker } from 'bullmq';
import { Packr } from 'msgpackr';

/** The packer BullMQ's Redis backend uses for script arguments (same options, same bytes). */
const packer = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
/** msgpack headers: a str of up to 31 bytes, a str8. */
const FIXSTR = 0xa0;
const STR8 = 0xd9;

/** What BullMQ's `moveToFinished` answers a worker that asked for its next job: its stored hash, its id, and the delays. */
export type NextJob = [job: JobJson | null, jobId: string, rateLimitDelay: number, delayUntil: number];

/**
 * Most entries of each cache: distinct stored option strings (a job with a custom id or a delay
 * has its own) and option shapes. A full cache starts again empty, so the common ones come back.
 */
const MAX_CACHED = 256;

/**
 * Completes a worker's jobs with BullMQ's own `moveToFinished` script, as `Job.moveToCompleted`
 * does, and decodes the next job the script hands back, as BullMQ's backend does, at a fraction
 * of the cost per job. BullMQ packs the finishing options with msgpack for every job, stringifies
 * the result twice and decodes the next job's stored options with `JSON.parse` each time, though
 * for one worker and one kind of job all of it is the same but the lock token: here the options
 * after the token are packed once per option shape and the stored options decoded once per
 * distinct string (frozen, shared by the jobs that carry it; BullMQ copies them per job).
 *
 * The argument layout is BullMQ 6.7's (`moveToFinishedArgs`, `raw2NextJobData`);
 * test/integration/bullmq-parity.test.ts checks both against BullMQ's, so an upgrade that
 * changes them fails there. Anything unusual (a failure, telemetry) stays on BullMQ's path.
 *
 * @example
 * const completer = new JobCompleter(worker, connection);
 * const next = await completer.complete(job, { n: 1 }, token, true);
 */
export class JobCompleter {
  private readonly backend: RedisQueueBackend;
  /** The key list up to the target's: the same for every job. */
  private readonly fixedKeys: string[];
  private readonly completedKey: string;
  private readonly metricsKey: string;
  private readonly markerKey: string;
  private readonly prefix: string;
  /** Per option shape (attempts, keep rule, parent flags): the packed options after the token. */
  private readonly tails = new Map<string, Buffer>();
  /** Keys of the keep rules seen, by object (a job's decoded options share their nested objects). */
  private readonly keepKeys = new WeakMap<object, string>();
  private readonly decodedOptions = new Map<string, JobsOptions>();
  /** The script call with its fixed bytes written once; null where it cannot be used (a cluster). */
  private call: ScriptCall | null | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly connection: RedisConnection,
  ) {
    this.backend = worker.backend as RedisQueueBackend;
    const keys = worker.keys;
    this.fixedKeys = this.backend.moveToFinishedKeys.slice(0, 10) as string[];
    this.completedKey = keys.completed as string;
    this.metricsKey = worker.toKey('metrics:completed');
    this.markerKey = keys.marker as string;
    this.prefix = keys[''] as string;
  }

  /**
   * Moves an active job to completed with its result, as `job.moveToCompleted` does (and updates
   * the job object as it does); resolves to the next job (or `[]`, none) as BullMQ's backend does.
   */
  async complete(job: Job, result: unknown, token: string, fetchNext: boolean): Promise<NextJob | [] | undefined> {
    const value = JSON.stringify(result);
    const timestamp = Date.now();
    const values = this.slotValues(job, value, token, fetchNext, timestamp);
    const viaBackend = async () => this.backend.execCommand(await this.backend.client, 'moveToFinished', this.argsOf(values));
    const call = this.scriptCall();
    const reply = call ? await call.send(this.connection, values, viaBackend) : await viaBackend();
    if (typeof reply === 'number' && reply < 0) {
      throw this.backend.finishedErrors({ code: reply, jobId: job.id as string, command: 'moveToFinished', state: 'active' });
    }
    job.returnvalue = result || undefined;
    job.finishedOn = timestamp;
    job.attemptsMade += 1;
    if (reply === undefined) return undefined;
    return reply ? this.nextJob(reply) : [];
  }

  /** The script's keys and arguments for completing `job`: BullMQ's `moveToCompletedArgs`, byte for byte. */
  args(job: Job, value: string | undefined, token: string, fetchNext: boolean, timestamp: number): unknown[] {
    return this.argsOf(this.slotValues(job, value, token, fetchNext, timestamp));
  }

  /** The whole argument list around the per-job values (in {@link scriptCall}'s layout). */
  private argsOf([jobKey, id, timestamp, value, fetch, packed]: SlotValue[]): unknown[] {
    return [
      ...this.fixedKeys,
      this.completedKey,
      jobKey,
      this.metricsKey,
      this.markerKey,
      id,
      timestamp,
      'returnvalue',
      value,
      'completed',
      fetch,
      this.prefix,
      packed,
      undefined,
    ];
  }

  /** `moveToFinished` as a {@link ScriptCall}: the arguments of {@link args}, the per-job ones as slots. */
  scriptCall(): ScriptCall | undefined {
    if (this.call === undefined) {
      this.call = bullScriptCall(this.connection, this.backend, 'moveToFinished', 14, [
        ...this.fixedKeys,
        this.completedKey,
        SLOT, // the job's key
        this.metricsKey,
        this.markerKey,
        SLOT, // id
        SLOT, // timestamp
        'returnvalue',
        SLOT, // the result
        'completed',
        SLOT, // fetch the next job
        this.prefix,
        SLOT, // the packed options
        '',
      ]);
    }
    return this.call ?? undefined;
  }

  /** The per-job values of {@link scriptCall}, in its slots' order. */
  slotValues(job: Job, value: string | undefined, token: string, fetchNext: boolean, timestamp: number): SlotValue[] {
    const id = job.id as string;
    const fetch = !fetchNext || this.worker.closing ? 0 : 1;
    return [this.worker.toKey(id), id, timestamp, value === undefined ? 'null' : value, fetch, this.packedOptions(job, token)];
  }

  /** The next job's stored hash (a flat field/value list) as BullMQ's backend decodes it. */
  nextJob(reply: ArrayLike<unknown>): NextJob {
    const raw = reply[0] as string[] | 0 | null | undefined;
    const job = raw ? this.jobJson(raw) : null;
    return [job, reply[1] as string, reply[2] as number, reply[3] as number];
  }

  private jobJson(fields: string[]): JobJson {
    const raw: Record<string, string | undefined> = {};
    for (let i = 0; i < fields.length; i += 2) raw[fields[i] as string] = fields[i + 1];
    return {
      id: raw.id as string,
      name: raw.name as string,
      data: raw.data || '{}',
      opts: this.decodeOptions(raw.opts),
      progress: JSON.parse(raw.progress || '0'),
      delay: Number.parseInt(raw.delay as string, 10),
      priority: Number.parseInt(raw.priority as string, 10),
      timestamp: Number.parseInt(raw.timestamp as string, 10),
      attemptsStarted: Number.parseInt(raw.ats || '0', 10),
      attemptsMade: Number.parseInt(raw.attemptsMade || raw.atm || '0', 10),
      stalledCounter: Number.parseInt(raw.stc || '0', 10),
      finishedOn: raw.finishedOn ? Number.parseInt(raw.finishedOn, 10) : undefined,
      processedOn: raw.processedOn ? Number.parseInt(raw.processedOn, 10) : undefined,
      repeatJobKey: raw.rjk,
      debounceId: raw.deid,
      deduplicationId: raw.deid,
      failedReason: raw.failedReason as string,
      deferredFailure: raw.defa,
      stacktrace: raw.stacktrace as string,
      returnvalue: raw.returnvalue as string,
      parentKey: raw.parentKey,
      parent: raw.parent ? JSON.parse(raw.parent) : undefined,
      processedBy: raw.pb,
    } as JobJson;
  }

  /** Stored options (short names) in their public form, decoded once per distinct string. */
  private decodeOptions(stored: string | undefined): JobsOptions {
    const text = stored || '{}';
    let options = this.decodedOptions.get(text);
    if (!options) {
      options = deepFreeze(decodeOptions(text));
      remember(this.decodedOptions, text, options);
    }
    return options;
  }

  /** BullMQ's finishing options, packed: the token, then what is the same for jobs of one shape. */
  private packedOptions(job: Job, token: string): Buffer {
    const opts = job.opts;
    const keep = opts.removeOnComplete;
    const key = `${opts.attempts}|${this.keepKey(keep)}|${+!!opts.failParentOnFailure}${+!!opts.continueParentOnFailure}${+!!opts.ignoreDependencyOnFailure}${+!!opts.removeDependencyOnFailure}`;
    let tail = this.tails.get(key);
    if (!tail) {
      tail = this.packTail(job);
      remember(this.tails, key, tail);
    }
    const length = token.length;
    if (length > 255 || !isAscii(token)) return packer.pack(this.finishingOptions(job, token));
    const at = TOKEN_KEY.length + (length < 32 ? 1 : 2);
    const packed = Buffer.allocUnsafe(at + length + tail.length);
    TOKEN_KEY.copy(packed, 0);
    if (length < 32) packed[TOKEN_KEY.length] = FIXSTR | length;
    else {
      packed[TOKEN_KEY.length] = STR8;
      packed[TOKEN_KEY.length + 1] = length;
    }
    packed.write(token, at, length, 'latin1');
    tail.copy(packed, at + length);
    return packed;
  }

  private keepKey(keep: JobsOptions['removeOnComplete']): string {
    if (keep === null || typeof keep !== 'object') return String(keep);
    let key = this.keepKeys.get(keep);
    if (key === undefined) {
      key = JSON.stringify(keep);
      this.keepKeys.set(keep, key);
    }
    return key;
  }

  /** The packed options with an empty token, from the token's value on (the map header and the key `token` come per job). */
  private packTail(job: Job): Buffer {
    const packed = packer.pack(this.finishingOptions(job, ''));
    const at = TOKEN_KEY.length;
    if (!packed.subarray(0, at).equals(TOKEN_KEY) || packed[at] !== FIXSTR)
      throw new Error('unexpected layout of BullMQ finishing options');
    return Buffer.from(packed.subarray(at + 1));
  }

  /** What BullMQ's `moveToFinishedArgs` packs for a completion, in its order. */
  private finishingOptions(job: Job, token: string): Record<string, unknown> {
    const opts = this.worker.opts;
    const jobOpts = job.opts;
    return {
      token,
      name: opts.name,
      keepJobs: keepJobs(jobOpts.removeOnComplete, opts.removeOnComplete),
      limiter: opts.limiter,
      lockDuration: opts.lockDuration,
      attempts: jobOpts.attempts,
      maxMetricsSize: opts.metrics?.maxDataPoints ? opts.metrics.maxDataPoints : '',
      fpof: !!jobOpts.failParentOnFailure,
      cpof: !!jobOpts.continueParentOnFailure,
      idof: !!jobOpts.ignoreDependencyOnFailure,
      rdof: !!jobOpts.removeDependencyOnFailure,
    };
  }
}

/** How the packed options begin: a map of 11 entries (msgpackr writes a map16), then the key `token`. */
const TOKEN_KEY = Buffer.from([0xde, 0x00, 0x0b, 0xa5, ...Buffer.from('token')]);

/** Which finished jobs BullMQ keeps: the job's own rule, else the worker's, else all. */
function keepJobs(own: JobsOptions['removeOnComplete'], workers: KeepJobs | undefined): KeepJobs {
  if (own === undefined) return workers || { count: -1 };
  if (typeof own === 'object') return own;
  if (typeof own === 'number') return { count: own };
  return { count: own ? 0 : -1 };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** BullMQ's decoding of stored job options: short names to public ones, telemetry fields folded. */
function decodeOptions(text: string): JobsOptions {
  const stored = JSON.parse(text) as Record<string, unknown>;
  const decoded: Record<string, unknown> = {};
  const names = optsDecodeMap as Record<string, string>;
  for (const [name, value] of Object.entries(stored)) {
    const publicName = names[name];
    if (publicName) decoded[publicName] = value;
    else if (name === 'tm') decoded.telemetry = { ...(decoded.telemetry as object), metadata: value };
    else if (name === 'omc') decoded.telemetry = { ...(decoded.telemetry as object), omitContext: value };
    else decoded[name] = value;
  }
  return decoded as JobsOptions;
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
