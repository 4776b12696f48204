import { describe, expect, it } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';
import { spawnTs } from '../fixtures/processes.ts';

describe('end to end: client → HTTP → Redis → worker process → result', () => {
  it('a Date, a Map, a Set and a bigint arrive as such in the handler and come back as such', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const worker = spawnTs('test/fixtures/lab-worker.ts', [], { REDIS_URL: stack.redisUrl, TASKWIRE_PREFIX: stack.prefix });
    try {
      const ready = JSON.parse(await worker.waitFor(/"event":"ready"/)) as { pid: number };
      expect(ready.pid).not.toBe(process.pid);

      const input = {
        at: new Date('2030-05-06T07:08:09.123Z'),
        tags: new Map([
          ['alpha', 1],
          ['beta', 2.5],
        ]),
        big: 2n ** 70n + 1n,
        set: new Set(['x', 'y']),
        note: 'rich types',
      };
      const result = await stack.client.lab.echo.run(input, { timeoutMs: 15_000 });
      expect(result.seen).toEqual({ dateIsDate: true, tagsIsMap: true, bigIsBigint: true, pid: ready.pid });
      expect(result.at).toBeInstanceOf(Date);
      expect(result.tags).toBeInstanceOf(Map);
      expect(typeof result.big).toBe('bigint');
      const { seen: _seen, ...echoed } = result;
      expect(echoed).toEqual(input);

      // The stored view carries the same types.
      const [job] = await stack.client.jobs.list({ family: 'lab', state: 'completed' });
      expect(job?.task).toBe('lab.echo');
      if (job?.task === 'lab.echo') {
        expect(job.input.big).toBe(input.big);
        expect(job.result?.tags.get('beta')).toBe(2.5);
      }
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
    }
  });
});
