/**
 * Type-level cost: generates a registry of N tasks (default 100, in 10 families), a handler map
 * for each family and a client that touches every task, then type-checks it with tsc and prints
 * the time and the compiler's counters. `npm run typecheck:scale -- 200` for another size.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateScaleProject(dir: string, tasks: number, perFamily = 10): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const families = Math.ceil(tasks / perFamily);
  const lines: string[] = [
    "import { defineFamily, defineRegistry, defineTask } from '@taskwire/shared';",
    "import { z } from 'zod';",
    "import { createClient } from '@taskwire/client';",
    "import { defineHandlers } from '@taskwire/worker';",
  ];
  const familyNames: string[] = [];
  for (let f = 0; f < families; f++) {
    const family = `fam${f}`;
    familyNames.push(family);
    const keys: string[] = [];
    const handlers: string[] = [];
    for (let t = 0; t < perFamily && f * perFamily + t < tasks; t++) {
      const name = `task${t}`;
      keys.push(`${name}: ${family}_${name}`);
      lines.push(
        `export const ${family}_${name} = defineTask({ id: '${family}.${name}', version: 1,`,
        `  input: z.object({ id: z.string(), n${t}: z.number().int(), at: z.date(), tags: z.array(z.string()).optional(), kind: z.enum(['a', 'b', 'c']) }),`,
        `  output: z.object({ ok: z.boolean(), total${t}: z.number(), when: z.date() }),`,
        `  progress: z.object({ pct: z.number().min(0).max(100) }) });`,
      );
      handlers.push(
        `  ${name}: async (input, ctx) => { await ctx.progress({ pct: 50 }); return { ok: true, total${t}: input.n${t}, when: input.at }; },`,
      );
    }
    lines.push(`export const ${family} = defineFamily('${family}', { ${keys.join(', ')} });`);
    lines.push(`export const ${family}Handlers = defineHandlers(${family}, {`, ...handlers, '});');
  }
  lines.push(`export const registry = defineRegistry({ ${familyNames.join(', ')} });`);
  lines.push("const tw = createClient<typeof registry>({ url: 'http://localhost:3000/trpc' });");
  lines.push('export async function useAll() {');
  for (let i = 0; i < tasks; i++) {
    const family = `fam${Math.floor(i / perFamily)}`;
    const t = i % perFamily;
    lines.push(
      `  { const ref = await tw.${family}.task${t}.enqueue({ id: 'x', n${t}: 1, at: new Date(), kind: 'a' }); const out = await tw.${family}.task${t}.run({ id: 'y', n${t}: 2, at: new Date(), kind: 'b' }); const v = await tw.${family}.task${t}.get(ref.id); const total: number = out.total${t} + (v.result?.total${t} ?? 0); void total; }`,
    );
  }
  lines.push('  const any = await tw.jobs.get("x"); if (any.task === "fam0.task0") { const n: number = any.input.n0; void n; }');
  lines.push('}');
  writeFileSync(join(dir, 'registry.ts'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noUnusedLocals: false }, include: ['registry.ts'] }, null, 2),
  );
}

export function typecheckScaleProject(dir: string): { ok: boolean; seconds: number; output: string } {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', join(dir, 'tsconfig.json'), '--noEmit', '--extendedDiagnostics'],
    {
      encoding: 'utf8',
    },
  );
  return { ok: result.status === 0, seconds: (performance.now() - started) / 1000, output: `${result.stdout}${result.stderr}` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tasks = Number(process.argv[2] ?? 100);
  const dir = join('var', 'type-scale');
  generateScaleProject(dir, tasks);
  const { ok, seconds, output } = typecheckScaleProject(dir);
  const pick = (label: string) => output.match(new RegExp(`${label}:\\s+(\\S+)`))?.[1] ?? '?';
  console.log(
    `${tasks} tasks: ${ok ? 'type-checks' : 'FAILS'} in ${seconds.toFixed(1)} s (tsc wall); check time ${pick('Check time')}, types ${pick('Types')}, instantiations ${pick('Instantiations')}, memory ${pick('Memory used')}`,
  );
  if (!ok) {
    console.log(
      output
        .split('\n')
        .filter((l) => l.includes('error'))
        .slice(0, 20)
        .join('\n'),
    );
    process.exit(1);
  }
}
