import type { FlowSettings, GateKeys, GateStats } from '../contract/flow.ts';
import type { Keys } from '../contract/keys.ts';
import type { AnyTask } from '../contract/task.ts';
import { pipelineReplies, type RedisConnection } from './redis-client.ts';

/** Keys of a gate, after its base (`<prefix>:{family}:flow:gate:<task>:`), all in the family's slot:
 * `ring` (LIST, keys with jobs waiting, served round-robin), `ringset` (SET, the same keys),
 * `q:<key>` (LIST, waiting job ids, oldest first), `held` (ZSET, running ids, all keys),
 * `run:<key>` (ZSET, running ids of a key), `rate:<key>` (ZSET, start times in the window),
 * `mg` / `mr` (HASH, each waiting or running id's key and rate key). */
const DISPATCH = `
local base, jobs = ARGV[1], ARGV[2]
local now, perKey, total = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local rateMax, rateMs, most = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local ring, held = base .. 'ring', base .. 'held'

local function room(id, g)
  if total > 0 and redis.call('ZCARD', held) >= total then return false, 0 end
  if perKey > 0 and redis.call('ZCARD', base .. 'run:' .. g) >= perKey then return false, 0 end
  if rateMax > 0 then
    local rkey = base .. 'rate:' .. (redis.call('HGET', base .. 'mr', id) or g)
    redis.call('ZREMRANGEBYSCORE', rkey, '-inf', now - rateMs)
    if redis.call('ZCARD', rkey) >= rateMax then
      local oldest = redis.call('ZRANGE', rkey, 0, 0, 'WITHSCORES')[2]
      return false, tonumber(oldest) + rateMs
    end
  end
  return true, 0
end

local function admit(id, g)
  redis.call('ZADD', held, now, id)
  redis.call('ZADD', base .. 'run:' .. g, now, id)
  if rateMax > 0 then
    local rkey = base .. 'rate:' .. (redis.call('HGET', base .. 'mr', id) or g)
    redis.call('ZADD', rkey, now, id)
    redis.call('PEXPIRE', rkey, rateMs)
  end
end

local function gone(id)
  return redis.call('EXISTS', jobs .. id) == 0 or redis.call('HEXISTS', jobs .. id, 'finishedOn') == 1
end

local function forget(id)
  redis.call('HDEL', base .. 'mg', id)
  redis.call('HDEL', base .. 'mr', id)
end

local function enqueueWaiting(id, g, r)
  if redis.call('HSETNX', base .. 'mg', id, g) == 0 then return end
  redis.call('HSET', base .. 'mr', id, r)
  redis.call('RPUSH', base .. 'q:' .. g, id)
  if redis.call('SADD', base .. 'ringset', g) == 1 then redis.call('RPUSH', ring, g) end
end

local function leave(id)
  local g = redis.call('HGET', base .. 'mg', id)
  redis.call('ZREM', held, id)
  if g then redis.call('ZREM', base .. 'run:' .. g, id) end
  forget(id)
end

-- Admits waiting jobs while there is room: one per key per turn of the ring, so keys are served
-- round-robin; a key whose next job has no room waits its next turn. Returns the wake-up time
-- of the earliest rate window that held a job back (0: none), then the admitted ids.
local function dispatch()
  local admitted, wake, idle, steps = {}, 0, 0, 0
  while #admitted < most and steps < 1000 do
    local size = redis.call('LLEN', ring)
    if size == 0 or idle >= size then break end
    if total > 0 and redis.call('ZCARD', held) >= total then break end
    steps = steps + 1
    local g = redis.call('LMOVE', ring, ring, 'LEFT', 'RIGHT')
    local queue = base .. 'q:' .. g
    local id = redis.call('LINDEX', queue, 0)
    if not id then
      redis.call('LREM', ring, 0, g)
      redis.call('SREM', base .. 'ringset', g)
    elseif redis.call('ZSCORE', held, id) or gone(id) then
      redis.call('LPOP', queue)
      if not redis.call('ZSCORE', held, id) then forget(id) end
      idle = 0
    else
      local ok, at = room(id, g)
      if ok then
        redis.call('LPOP', queue)
        admit(id, g)
        admitted[#admitted + 1] = id
        idle = 0
      else
        if at > 0 and (wake == 0 or at < wake) then wake = at end
        idle = idle + 1
      end
    end
  end
  table.insert(admitted, 1, wake)
  return admitted
end
`;

/** Queues jobs to wait on the gate (ARGV[9..]: id, key, rate key, …), then dispatches. */
const PARK = `${DISPATCH}
for i = 9, #ARGV, 3 do enqueueWaiting(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return dispatch()`;

/**
 * A job a worker took: runs if it holds a slot; else takes one if there is room and no earlier
 * job of its key waits; else waits in line (queued if it was not). Then dispatches.
 * ARGV[9..11]: id, key, rate key. Returns 1 or 0 (run or not), the wake-up time, admitted ids.
 */
const ENTER = `${DISPATCH}
local id, g, r = ARGV[9], ARGV[10], ARGV[11]
-- A job in line already keeps the keys it was queued under (an enqueue's flowKey, an older key function).
g = redis.call('HGET', base .. 'mg', id) or g
r = redis.call('HGET', base .. 'mr', id) or r
local runs = 0
if redis.call('ZSCORE', held, id) then
  runs = 1
else
  local queue = base .. 'q:' .. g
  local head = redis.call('LINDEX', queue, 0)
  if head == false or head == id then
    redis.call('HSET', base .. 'mr', id, r)
    if room(id, g) then
      if head == id then redis.call('LPOP', queue) end
      redis.call('HSET', base .. 'mg', id, g)
      admit(id, g)
      runs = 1
    end
  end
  if runs == 0 then enqueueWaiting(id, g, r) end
end
local answer = dispatch()
-- Its own turn may have come in this dispatch.
if runs == 0 and redis.call('ZSCORE', held, id) then runs = 1 end
table.insert(answer, 1, runs)
return answer`;

/** A job done for good gives back its slot (ARGV[9]: id), then dispatches. */
const LEAVE = `${DISPATCH}
leave(ARGV[9])
return dispatch()`;

/** Gives back the slots of running jobs that finished or went away without leaving (a crash, a removal), then dispatches. */
const SWEEP = `${DISPATCH}
for _, id in ipairs(redis.call('ZRANGE', held, 0, 999)) do
  if gone(id) then leave(id) end
end
return dispatch()`;

/** What a gate call answers: jobs admitted now (to promote), and when a rate window frees next (0: none). */
export interface GateAnswer {
  admitted: string[];
  wakeAt: number;
}

/**
 * A task's concurrency and rate limits (`flow.concurrency`, `flow.rateLimit`) across every
 * process, kept in Redis by atomic scripts: jobs waiting on a limit are held in line per key and
 * admitted round-robin by key as slots free; a running job holds its slot until it is done for
 * good (retries included), and a slot whose job finished or vanished without giving it back is
 * recovered by `sweep`. Admitted jobs are promoted by the caller (they wait as delayed jobs).
 *
 * @example
 * const gate = new FlowGate(redis, keys, generateReport);
 * const { admitted } = await gate.park([{ id: '15', keys: { group: 'org-1', rate: '' } }]);
 */
export class FlowGate {
  private readonly settings: FlowSettings;
  private readonly base: string;
  private readonly jobs: string;

  constructor(
    private readonly redis: RedisConnection,
    keys: Keys,
    readonly task: AnyTask,
    /** Jobs admitted per call at most. */
    private readonly most = 200,
  ) {
    if (task.flowSettings?.kind !== 'gate') throw new Error(`${task.id} has no concurrency or rate limit`);
    this.settings = task.flowSettings;
    this.base = keys.flowGate(task.family, task.name);
    this.jobs = keys.jobHash(task.family, '');
  }

  /** Queues jobs (BullMQ ids with their keys) to wait on the gate, and admits what fits. */
  async park(jobs: readonly { id: string; keys: GateKeys }[], now = Date.now()): Promise<GateAnswer> {
    const args = jobs.flatMap(({ id, keys }) => [id, keys.group, keys.rate]);
    return this.answer(await this.run(PARK, now, args));
  }

  /** A worker took job `id`: whether it may run now (else it waits in line), and what was admitted meanwhile. */
  async enter(id: string, keys: GateKeys, now = Date.now()): Promise<GateAnswer & { runs: boolean }> {
    const [runs, ...rest] = await this.run(ENTER, now, [id, keys.group, keys.rate]);
    return { runs: Number(runs) === 1, ...this.answer(rest) };
  }

  /** Whether job `id` holds a slot. */
  async holds(id: string): Promise<boolean> {
    return (await this.redis.zscore(`${this.base}held`, id)) !== null;
  }

  /** Job `id` is done for good: its slot goes to the next in line. */
  async leave(id: string, now = Date.now()): Promise<GateAnswer> {
    return this.answer(await this.run(LEAVE, now, [id]));
  }

  /** Recovers slots of jobs gone without giving them back, and admits what fits. */
  async sweep(now = Date.now()): Promise<GateAnswer> {
    return this.answer(await this.run(SWEEP, now, []));
  }

  /** Jobs running and waiting, in total and for the `top` keys with the most waiting. */
  async stats(top = 10): Promise<GateStats> {
    const ring = (await this.redis.lrange(`${this.base}ring`, 0, 999)) as string[];
    const pipeline = this.redis.pipeline();
    pipeline.zcard(`${this.base}held`);
    pipeline.hlen(`${this.base}mg`);
    for (const key of ring) pipeline.llen(`${this.base}q:${key}`).zcard(`${this.base}run:${key}`);
    const answers = (await pipelineReplies(pipeline)).map(Number);
    const [running = 0, known = 0] = answers;
    const keys = ring.map((key, i) => ({ key, waiting: answers[2 + 2 * i] ?? 0, running: answers[3 + 2 * i] ?? 0 }));
    keys.sort((a, b) => b.waiting - a.waiting || b.running - a.running || a.key.localeCompare(b.key));
    return { task: this.task.id, running, waiting: Math.max(0, known - running), keys: keys.slice(0, top) };
  }

  private async run(script: string, now: number, args: (string | number)[]): Promise<unknown[]> {
    const { perKey = 0, total = 0, rateMax = 0, rateDurationMs = 0 } = this.settings;
    return (await this.redis.eval(
      script,
      1,
      `${this.base}ring`,
      this.base,
      this.jobs,
      now,
      perKey,
      total,
      rateMax,
      rateDurationMs,
      this.most,
      ...args,
    )) as unknown[];
  }

  private answer([wake, ...admitted]: unknown[]): GateAnswer {
    return { wakeAt: Number(wake) || 0, admitted: admitted.map(String) };
  }
}

/** What promoting needs of a BullMQ queue (its backend's `promote`). */
export interface PromotingQueue {
  getBackend(): { promote(jobId: string): Promise<unknown> };
}

/**
 * Moves the jobs a gate admitted from delayed to waiting. One that is not delayed any more (a
 * worker took it meanwhile) is left as it is: it holds its slot, and runs with it.
 *
 * @example
 * await promoteAdmitted(queue, (await gate.leave(id)).admitted);
 */
export async function promoteAdmitted(queue: PromotingQueue, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const backend = queue.getBackend();
  await Promise.all(ids.map((id) => backend.promote(id).catch(() => {})));
}
