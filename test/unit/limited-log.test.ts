import { afterEach, describe, expect, it, vi } from 'vitest';
import { limitedLog } from '../../router/src/runtime/limited-log.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('limitedLog', () => {
  it('writes at most `max` lines per interval, then one line saying how many it left out', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const lines: string[] = [];
    const log = limitedLog('[api]', { max: 20, intervalMs: 10_000, write: (line) => lines.push(line) });
    for (let i = 0; i < 5_000; i++) log(`ws ?: failure ${i}`);
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('[api] ws ?: failure 0');
    vi.setSystemTime(new Date('2030-01-01T00:00:10Z'));
    log('later');
    expect(lines.slice(20)).toEqual(['[api] … 4980 more error line(s) left out in the last 10 s', '[api] later']);
  });
});
