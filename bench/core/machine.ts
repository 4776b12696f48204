import os from 'node:os';
import type { Redis } from 'ioredis';

/** Where a run happened; absolute figures only mean something next to this. */
export interface MachineInfo {
  cpus: number;
  model: string;
  node: string;
  redis: string;
  /** 1, 5 and 15 minute load averages when the run started, and when it ended (other tenants show here). */
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  platform: string;
  totalMemMB: number;
}

/** Load average first (before the bench itself adds to it), the rest once Redis is up. */
export function loadAverageNow(): number[] {
  return os.loadavg().map((value) => Math.round(value * 100) / 100);
}

export async function machineInfo(redis: Redis, loadAverageAtStart: number[]): Promise<MachineInfo> {
  const info = await redis.info('server');
  const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    redis: version,
    loadAverageAtStart,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemMB: Math.round(os.totalmem() / 1_048_576),
  };
}
