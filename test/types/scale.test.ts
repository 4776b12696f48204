import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateScaleProject, typecheckScaleProject } from '../../scripts/type-scale.ts';

describe('type-level cost', () => {
  it('a generated registry of 100 tasks, with handlers and client calls for each, type-checks (no TS2589)', () => {
    const dir = join('var', `type-scale-test-${process.pid}`);
    generateScaleProject(dir, 100);
    try {
      const { ok, seconds, output } = typecheckScaleProject(dir);
      const instantiations = output.match(/Instantiations:\s+(\d+)/)?.[1];
      console.log(`100 tasks type-checked in ${seconds.toFixed(1)} s, ${instantiations} instantiations`);
      expect(output).not.toMatch(/TS2589|excessively deep/);
      expect(ok, output).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
