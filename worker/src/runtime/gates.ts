import { type AnyFamily, type AnyTask, type GateKeys, type Keys, taskOf } from '@taskwire/shared';
import { FlowGate, type GateAnswer, promoteAdmitted, type RedisConnection } from '@taskwire/shared/node';
import type { Job, Queue, Worker } from 'bullmq';

/** How often a worker recovers slots of jobs gone without giving them back, and admits waiting jobs (ms). */
export const GATE_SWEEP_MS = 1_000;

/**
 * The worker side of a family's flow gates (tasks with `flow.concurrency` / `flow.rateLimit`):
 * a job may run only with a slot (`enter`); a job done for good gives its slot back (on BullMQ's
 * `completed`/`failed` events); and a periodic sweep recovers the slots of jobs that finished or
 * vanished without giving them back (a worker killed between a job's end and its `leave`, a job
 * removed while it held one) and admits waiting jobs, also when a rate window frees. Jobs admitted
 * by any of these are promoted from delayed to waiting.
 */
export class WorkerGates {
  private readonly gates = new Map<string, FlowGate>();
  private sweeper: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private wakeAt = 0;

  constructor(
    private readonly family: AnyFamily,
    redis: RedisConnection,
    keys: Keys,
    private readonly queue: () => Queue,
  ) {
    for (const task of Object.values(family.tasks)) {
      if (task.flowSettings?.kind === 'gate') this.gates.set(task.name, new FlowGate(redis, keys, task));
    }
  }

  get size(): number {
    return this.gates.size;
  }

  /** The gate of a task, if it has one. */
  of(task: AnyTask): FlowGate | undefined {
    return this.gates.get(task.name);
  }

  /** Whether job `bullId` may run now; when not, it waits in line for a slot. */
  async enter(task: AnyTask, bullId: string, keys: GateKeys): Promise<boolean> {
    const gate = this.of(task);
    if (!gate) return true;
    const answer = await gate.enter(bullId, keys);
    this.follow(answer);
    return answer.runs;
  }

  /** Promotes job `bullId` if it holds a slot (after it was put back in line). */
  async promoteIfHeld(task: AnyTask, bullId: string): Promise<void> {
    const gate = this.of(task);
    if (gate && (await gate.holds(bullId).catch(() => false))) await this.follow({ admitted: [bullId], wakeAt: 0 });
  }

  /** Gives slots back as jobs end for good, and sweeps every {@link GATE_SWEEP_MS}. */
  attach(worker: Worker): void {
    if (this.gates.size === 0) return;
    const leave = (job: Job | undefined) => {
      if (!job?.finishedOn || !job.id) return;
      const task = taskOf(this.family, job.name);
      const gate = task && this.of(task);
      // If Redis is away now, the sweep gives the slot back later.
      if (gate)
        gate.leave(job.id).then(
          (answer) => this.follow(answer),
          () => {},
        );
    };
    worker.on('completed', leave);
    worker.on('failed', leave);
    this.sweeper = setInterval(() => void this.sweep(), GATE_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Sweeps every gate now. */
  async sweep(): Promise<void> {
    await Promise.all(
      [...this.gates.values()].map((gate) =>
        gate.sweep().then(
          (answer) => this.follow(answer),
          () => {},
        ),
      ),
    );
  }

  stop(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.wake);
  }

  /** Promotes what a gate admitted, and sweeps again when the earliest rate window frees. */
  private follow(answer: GateAnswer): void {
    void promoteAdmitted(this.queue(), answer.admitted);
    if (answer.wakeAt > 0 && (this.wakeAt === 0 || answer.wakeAt < this.wakeAt)) {
      clearTimeout(this.wake);
      this.wakeAt = answer.wakeAt;
      this.wake = setTimeout(
        () => {
          this.wakeAt = 0;
          void this.sweep();
        },
        Math.max(0, answer.wakeAt - Date.now()),
      );
      this.wake.unref();
    }
  }
}
