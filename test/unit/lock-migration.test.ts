/**
 * A lock written by an older taskwire, which recorded less (no Date or bigint bounds, Set or Map
 * sizes, URL options, `.catch()` or coercion): `test/fixtures/legacy.lock.json`, written by that
 * version for `legacyRegistry`. It is read as it is, compared in what it recorded, reported out
 * of date where today's lock would record more (never as a change), and rewritten by the next
 * `contracts:update`.
 */
import { readFileSync } from 'node:fs';
import { buildLock, checkContracts, formatLock, parseLock } from '@taskwire/shared/evolution';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { legacyRegistry } from '../fixtures/legacy-registry.ts';

const text = readFileSync('test/fixtures/legacy.lock.json', 'utf8');
const old = () => parseLock(text);

describe('a lock written by an older taskwire', () => {
  it('is read, each version marked with what it recorded', () => {
    expect(JSON.parse(text).lockVersion).toBe(1);
    const lock = old();
    const versions = Object.values(lock.tasks).flatMap((task) => Object.values(task.versions));
    expect(versions.map((v) => v.vocabulary)).toEqual([1, 1, 1]);
  });

  it('reports no change where the contract did not change, and says what it cannot check', () => {
    const report = checkContracts(legacyRegistry(2), old());
    expect(report.problems.filter((p) => p.severity === 'breaking')).toEqual([]);
    expect(report.problems).toHaveLength(1);
    const [problem] = report.problems;
    expect(problem).toMatchObject({ severity: 'stale', task: 'legacy.remind' });
    for (const path of ['expiresAt', 'quota', 'seats', 'limits', 'portal', 'token', 'retries', 'priority', 'tier']) {
      expect(problem?.message).toContain(`input at '${path}'`);
    }
    expect(problem?.message).toContain("output at 'sentAt'");
    expect(problem?.message).toMatch(/older taskwire .* cannot be checked; run npm run contracts:update/);
  });

  it('still catches a change to what it did record', () => {
    const edited = legacyRegistry(2, (shape) => ({ ...shape, title: z.string().max(20) }));
    expect(checkContracts(edited, old()).problems).toContainEqual(
      expect.objectContaining({ severity: 'breaking', part: 'input', path: 'title', message: expect.stringMatching(/maxLength lowered/) }),
    );
  });

  it('checks migrations against old versions in what those recorded', () => {
    // Version 1 was locked before URL protocols were recorded; its migration's input has one.
    const lock = buildLock(legacyRegistry(2), old());
    expect(lock.tasks['legacy.remind']?.versions['1']?.vocabulary).toBe(1);
    expect(checkContracts(legacyRegistry(2), lock).problems).toEqual([]);
  });

  it('is rewritten by the next update, which then sees the constraints it lacked', () => {
    const lock = parseLock(formatLock(buildLock(legacyRegistry(2), old())));
    expect(lock.lockVersion).toBe(2);
    expect(lock.tasks['legacy.remind']?.versions['2']?.vocabulary).toBeUndefined();
    expect(lock.tasks['legacy.plain']?.versions['1']?.vocabulary).toBeUndefined();
    expect(checkContracts(legacyRegistry(2), lock).problems).toEqual([]);
    const tighter = legacyRegistry(2, (shape) => ({ ...shape, expiresAt: z.date().min(new Date('2030-01-01')) }));
    expect(checkContracts(tighter, lock).problems).toEqual([
      expect.objectContaining({ severity: 'breaking', part: 'input', path: 'expiresAt', message: expect.stringMatching(/minimum raised/) }),
    ]);
  });

  it('never passes a constraint it could not record, even one just tightened: out of date until updated', () => {
    const tighter = legacyRegistry(2, (shape) => ({ ...shape, expiresAt: z.date().min(new Date('2030-01-01')) }));
    const problems = checkContracts(tighter, old()).problems;
    expect(problems.map((p) => p.severity)).toEqual(['stale']);
    expect(problems[0]?.message).toContain("input at 'expiresAt': minimum 2030-01-01T00:00:00.000Z added");
  });

  it('refuses a lock from a newer taskwire rather than misread it', () => {
    expect(() => parseLock(JSON.stringify({ lockVersion: 3, tasks: {} }))).toThrow(/newer taskwire/);
    expect(() => parseLock(JSON.stringify({ tasks: {} }))).toThrow(/Not a taskwire contracts lock/);
  });
});
