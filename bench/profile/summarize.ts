/**
 * Summarizes a V8 `.cpuprofile` (from `npm run bench -- --cpu-prof DIR`): where the CPU went, by
 * package and by function, self and inclusive.
 *
 *   npx tsx bench/profile/summarize.ts FILE.cpuprofile [--after FUNCTION] [--callers FUNCTION] [--top N]
 *
 * `--after` drops the samples before the first one whose stack holds FUNCTION (e.g. start-up and
 * module loading before `closedLoop` in a client, or `enqueueItems` in a server). `--callers`
 * lists the frames that call FUNCTION (and the time spent inside it under each).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** The package (or area) a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  if (SPECIAL.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (!url) return '(native)';
  if (url.startsWith('node:'))
    return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 14).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  const project = /\/(shared|router|worker|client|bench)\/(src\/)?([^/]+)/.exec(url);
  if (project) return `taskwire ${project[1]}/${project[2] ?? ''}${project[3]}`;
  return url;
}

function frameKey(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/main\//, '');
  return `${frame.functionName || '(anonymous)'}  ${file}:${frame.lineNumber + 1}`;
}

export interface Summary {
  /** Samples × sampling interval: the thread's time, idle included. */
  totalMs: number;
  /** The same, without idle samples: CPU time. */
  busyMs: number;
  selfByArea: [string, number][];
  inclusiveByArea: [string, number][];
  selfByFunction: [string, number][];
  inclusiveByFunction: [string, number][];
  /** Callers of the `callers` function: time inside it, by calling frame. */
  callersOf: [string, number][];
}

export function summarize(profile: CpuProfile, after?: string, callers?: string): Summary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stackOf = (id: number): ProfileNode[] => {
    const stack: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node) stack.push(node);
    }
    return stack;
  };

  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const selfByArea = new Map<string, number>();
  const inclusiveByArea = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  const callersOf = new Map<string, number>();
  let totalMs = 0;
  let busyMs = 0;
  let started = after === undefined;

  // Every sample stands for one sampling interval of CPU. (The time deltas would also count the
  // time the thread waited for a core: on a busy machine that inflates whatever was running.)
  const sortedDeltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const ms = (sortedDeltas[sortedDeltas.length >> 1] ?? 1_000) / 1_000;
  profile.samples.forEach((id) => {
    const stack = stackOf(id);
    if (!started) {
      if (!stack.some((node) => node.callFrame.functionName === after)) return;
      started = true;
    }
    const leaf = stack[0];
    if (!leaf) return;
    totalMs += ms;
    if (leaf.callFrame.functionName === '(idle)') return;
    busyMs += ms;
    add(selfByArea, areaOf(leaf.callFrame), ms);
    add(selfByFunction, frameKey(leaf.callFrame), ms);
    const areas = new Set(stack.map((node) => areaOf(node.callFrame)));
    for (const area of areas) add(inclusiveByArea, area, ms);
    const functions = new Set(stack.filter((node) => !SPECIAL.has(node.callFrame.functionName)).map((node) => frameKey(node.callFrame)));
    for (const fn of functions) add(inclusiveByFunction, fn, ms);
    if (callers !== undefined) {
      // The outermost frame of the function on this stack, and its caller.
      const index = stack.findLastIndex((node) => node.callFrame.functionName === callers);
      const caller = index >= 0 ? stack[index + 1] : undefined;
      if (caller) add(callersOf, frameKey(caller.callFrame), ms);
    }
  });

  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    totalMs,
    busyMs,
    selfByArea: sorted(selfByArea),
    inclusiveByArea: sorted(inclusiveByArea),
    selfByFunction: sorted(selfByFunction),
    inclusiveByFunction: sorted(inclusiveByFunction),
    callersOf: sorted(callersOf),
  };
}

function print(title: string, rows: [string, number][], busyMs: number, top: number): void {
  console.log(`\n${title}`);
  for (const [key, ms] of rows.slice(0, top)) {
    console.log(`  ${((ms / busyMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${key}`);
  }
}

const isMain = process.argv[1]?.endsWith('summarize.ts');
if (isMain) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { after: { type: 'string' }, callers: { type: 'string' }, top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    const s = summarize(profile, values.after, values.callers);
    console.log(`\n=== ${file}${values.after ? ` (after the first ${values.after})` : ''}`);
    console.log(
      `sampled ${s.totalMs.toFixed(0)} ms, busy ${s.busyMs.toFixed(0)} ms (${((s.busyMs / s.totalMs) * 100).toFixed(0)}%); percentages are of busy time`,
    );
    print('self time by package/area', s.selfByArea, s.busyMs, top);
    print('inclusive time by package/area (stack contains it)', s.inclusiveByArea, s.busyMs, top);
    print('self time by function', s.selfByFunction, s.busyMs, top);
    print('inclusive time by function', s.inclusiveByFunction, s.busyMs, top);
    if (values.callers) print(`callers of ${values.callers} (time inside it)`, s.callersOf, s.busyMs, top);
  }
}
