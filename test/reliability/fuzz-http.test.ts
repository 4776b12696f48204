import { describe, expect, it } from 'vitest';
import { snapshotKeys, startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';
import { type FuzzCase, fuzzCases } from './fuzz-cases.ts';
import { MAX_BODY } from './fuzz-oracle.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_126);
const CASES = 10_000;
const IN_FLIGHT = 8;

/** Every property of the built-in prototypes, by identity, to detect any pollution. */
function prototypeSnapshot(): Map<string, unknown> {
  const protos = {
    Object: Object.prototype,
    Array: Array.prototype,
    Function: Function.prototype,
    String: String.prototype,
    Number: Number.prototype,
  };
  const out = new Map<string, unknown>();
  for (const [name, proto] of Object.entries(protos)) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      out.set(`${name}.${String(key)}`, d?.value ?? d?.get);
    }
  }
  return out;
}

function pollution(before: Map<string, unknown>): string[] {
  const after = prototypeSnapshot();
  const changed = [...after.keys()].filter((k) => !before.has(k) || before.get(k) !== after.get(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const probe = {} as Record<string, unknown>;
  const inherited = ['polluted', 'isAdmin', 'pwned'].filter((k) => probe[k] !== undefined);
  return [...changed, ...removed.map((k) => `-${k}`), ...inherited.map((k) => `({}).${k}`)];
}

interface Outcome {
  /** The case without its body (not kept: some are over 1 MiB). */
  c: FuzzCase;
  ms: number;
  /** 0 when the connection closed without an answer. */
  status: number;
  rejected: boolean;
  detail: string;
}

/** A batch answered 207 counts as rejected only when every call in it failed with a 4xx. */
function allCallsRejected(text: string): boolean {
  try {
    const items = JSON.parse(text) as { error?: { json?: { data?: { httpStatus?: number } } } }[];
    return (
      Array.isArray(items) &&
      items.every((i) => (i.error?.json?.data?.httpStatus ?? 0) >= 400 && (i.error?.json?.data?.httpStatus ?? 0) < 500)
    );
  } catch {
    return false;
  }
}

describe('fuzzed invalid requests over HTTP', () => {
  it('10,000 invalid inputs: all rejected with a 4xx, nothing written to Redis, no prototype pollution, server healthy after', {
    timeout: 240_000,
  }, async () => {
    const before = prototypeSnapshot();
    await using stack = await startStack({ registry: labRegistry });
    const keysBefore = await snapshotKeys(stack.redisUrl, stack.prefix);

    const stats = { dropped: 0 };
    const cases = fuzzCases(SEED, CASES, stats);
    const outcomes: Outcome[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let next = cases.next(); !next.done; next = cases.next()) {
          const c = next.value;
          const query = [c.batch ? 'batch=1' : '', c.query ?? ''].filter(Boolean).join('&');
          const url = `${stack.api.url}/trpc/${c.path}${query ? `?${query}` : ''}`;
          const sent = performance.now();
          try {
            const res = await fetch(url, {
              method: c.method,
              headers: c.contentType ? { 'content-type': c.contentType } : {},
              body: c.method === 'GET' ? undefined : c.body,
            });
            const text = await res.text();
            outcomes.push({
              c: { ...c, body: undefined },
              ms: performance.now() - sent,
              status: res.status,
              rejected: (res.status >= 400 && res.status < 500) || (res.status === 207 && allCallsRejected(text)),
              detail: text.slice(0, 300),
            });
          } catch (error) {
            outcomes.push({
              c: { ...c, body: undefined },
              ms: performance.now() - sent,
              status: 0,
              // Over 1 MiB the server may answer 413 and close the socket before the upload ends.
              rejected: (c.body?.length ?? 0) > MAX_BODY,
              detail: `${(error as Error).message}: ${String((error as Error).cause ?? '')}`,
            });
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1_000;

    const keysAfter = await snapshotKeys(stack.redisUrl, stack.prefix);
    const polluted = pollution(before);
    const healthz = (await fetch(`${stack.api.url}/healthz`)).status;
    const readyz = (await fetch(`${stack.api.url}/readyz`)).status;
    const valid = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }).catch((e: Error) => e);

    // Input that drives the server into unbounded recursion: a stack overflow per request.
    const recursed = outcomes.filter((o) => o.detail.includes('Maximum call stack size exceeded'));
    const recursedBy = new Map<string, number>();
    for (const o of recursed) recursedBy.set(o.c.category, (recursedBy.get(o.c.category) ?? 0) + 1);
    const cost = async (body: string) => {
      const times: number[] = [];
      for (let i = 0; i < 25; i++) {
        const t = performance.now();
        const res = await fetch(`${stack.api.url}/trpc/lab.steps.enqueue`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.text();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return `median ${times[12]?.toFixed(0)} ms, max ${times[24]?.toFixed(0)} ms`;
    };
    const plainCost = await cost('{"json":{"input":{"count":"x","delayMs":0}}}');
    const recursiveCost = await cost('{"json":{"input":{"count":1,"delayMs":0}},"meta":{"values":{"input.count":["symbol","z"]}}}');
    const slowest = [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 3);

    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const accepted = outcomes.filter((o) => !o.rejected);
    const byCategory = new Map<string, number>();
    for (const o of accepted) byCategory.set(o.c.category, (byCategory.get(o.c.category) ?? 0) + 1);
    const written = Object.keys(keysAfter).filter((k) => keysBefore[k] !== keysAfter[k]);
    const statuses = [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s === 0 ? 'closed' : s}×${n}`)
      .join(' ');

    console.log(
      `fuzz (seed ${SEED}): ${outcomes.length} invalid requests (${stats.dropped} generated drafts were valid and dropped) in ${elapsed.toFixed(1)} s; ` +
        `${outcomes.length - accepted.length} rejected 4xx, ${accepted.length} not (${[...byCategory].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); ` +
        `statuses ${statuses}; ${written.length} keys written; prototype pollution: ${polluted.length ? polluted.join(', ') : 'none'}; ` +
        `after: /healthz ${healthz}, /readyz ${readyz}, valid enqueue ${valid instanceof Error ? `failed: ${valid.message}` : 'ok'}`,
    );
    console.log(
      `fuzz: ${recursed.length} requests answered "Maximum call stack size exceeded" (${[...recursedBy].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); ` +
        `one such request (91 bytes) costs ${recursiveCost} vs ${plainCost} for a plain invalid input; ` +
        `slowest in the run: ${slowest.map((o) => `${o.ms.toFixed(0)} ms (${o.c.category}: ${o.c.label.slice(0, 50)})`).join('; ')}`,
    );
    const examples = [...new Set(accepted.map((o) => o.c.category))].flatMap((c) => accepted.filter((o) => o.c.category === c).slice(0, 3));
    for (const o of examples) {
      console.log(`  ✗ ${o.status} ${o.c.category} / ${o.c.label} → ${o.c.method} /trpc/${o.c.path}: ${o.detail.slice(0, 160)}`);
    }
    expect(outcomes).toHaveLength(CASES);
    expect.soft(accepted.map((o) => `${o.status} ${o.c.category}: ${o.c.label}`).slice(0, 20)).toEqual([]);
    expect.soft(written).toEqual([]);
    expect.soft(polluted).toEqual([]);
    expect
      .soft(recursed.map((o) => `${o.c.category}: ${o.c.label}`).slice(0, 10), 'no input may drive the server into unbounded recursion')
      .toEqual([]);
    expect(healthz).toBe(200);
    expect(readyz).toBe(200);
    expect(valid).not.toBeInstanceOf(Error);
  });
});
