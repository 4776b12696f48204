/**
 * Invalid HTTP requests for the lab family's tRPC endpoint, generated from a seed: schema
 * mutations, wrong types, missing fields, huge strings, deep nesting, `__proto__`/`constructor`
 * keys, invalid UTF-8, malformed superjson, non-JSON bodies, broken batches and odd paths. The
 * oracle (fuzz-oracle.ts) drops any draft the router would be right to accept, so every case
 * yielded must be rejected.
 */
import { enqueueOptionsSchema } from '@taskwire/shared';
import { invalidValuesFor } from '@taskwire/shared/testing';
import fc from 'fast-check';
import { acceptable, encoder, type FuzzCase, MAX_BODY, sj, TARGET_NAMES, TARGETS, type TargetName, validJson } from './fuzz-oracle.ts';
import { prng } from './support.ts';

export type { FuzzCase } from './fuzz-oracle.ts';

type Rand = () => number;
type Draft = Omit<FuzzCase, 'category' | 'batch' | 'method' | 'contentType' | 'body'> &
  Partial<Pick<FuzzCase, 'batch' | 'method' | 'contentType'>> & { body?: string | Uint8Array<ArrayBuffer> | undefined };

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const int = (rand: Rand, min: number, max: number) => min + Math.floor(rand() * (max - min + 1));

/** The generators, by category, each drafting one request from the random source. */
function generators(seed: number): Record<string, (rand: Rand) => Draft> {
  const mutations = Object.fromEntries(
    TARGET_NAMES.map((name) => [name, invalidValuesFor(TARGETS[name].task.input, TARGETS[name].sample)]),
  ) as Record<TargetName, { label: string; value: unknown }[]>;
  const badOptions = invalidValuesFor(enqueueOptionsSchema, {
    delayMs: 10,
    priority: 1,
    idempotencyKey: 'k',
    attempts: 1,
    timeoutMs: 1_000,
  });
  const junk = fc.sample(fc.jsonValue({ maxDepth: 4 }), { seed, numRuns: 400 });
  const enqueue = (name: TargetName) => `lab.${name}.enqueue`;
  const many = (name: TargetName) => `lab.${name}.enqueueMany`;
  const UTF8_BAD = [
    [0xff],
    [0xfe],
    [0xc3, 0x28],
    [0xa0, 0xa1],
    [0xe2, 0x28, 0xa1],
    [0xf0, 0x28, 0x8c, 0xbc],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0x80],
  ];
  const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
  const POLLUTE = ['{"polluted":"yes"}', '{"prototype":{"polluted":"yes"}}', '{"toString":"pwned","isAdmin":true}'];

  return {
    'schema mutation': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const m = pick(rand, mutations[name]);
      const mode = int(rand, 0, 3);
      if (mode === 0) return { label: m.label, path: enqueue(name), body: sj({ input: m.value }) };
      if (mode === 1) {
        const o = pick(rand, badOptions);
        return { label: `options ${o.label}`, path: enqueue(name), body: sj({ input: TARGETS[name].sample, options: o.value }) };
      }
      if (mode === 2) {
        // All or nothing: one bad item among good ones rejects the whole call.
        const items: { input: unknown }[] = Array.from({ length: int(rand, 1, 5) }, () => ({ input: TARGETS[name].sample }));
        items.splice(int(rand, 0, items.length), 0, { input: m.value });
        return { label: `enqueueMany with ${m.label}`, path: many(name), body: sj({ items }) };
      }
      const other = pick(rand, mutations[name]);
      return {
        label: `batch of ${m.label} + ${other.label}`,
        path: `${enqueue(name)},${enqueue(name)}`,
        batch: true,
        body: `{"0":${sj({ input: m.value })},"1":${sj({ input: other.value })}}`,
      };
    },
    'wrong type': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const x = JSON.stringify(pick(rand, junk));
      const v = validJson(name);
      const field = pick(rand, Object.keys(TARGETS[name].sample));
      const where = int(rand, 0, 4);
      const bodies = [
        `{"json":${x}}`,
        `{"json":{"input":${x}}}`,
        `{"json":{"input":${JSON.stringify(JSON.parse(v.json).input)},"options":${x}}}`,
        `{"json":{"input":${JSON.stringify({ ...JSON.parse(v.json).input, [field]: '__X__' }).replace('"__X__"', x)}}}`,
        `{"json":{"items":${x}}}`,
      ];
      return {
        label: `${['root', 'input', 'options', field, 'items'][where]} = ${x.slice(0, 40)}`,
        path: where === 4 ? many(name) : enqueue(name),
        body: bodies[where],
      };
    },
    'missing fields': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const input = { ...(JSON.parse(validJson(name).json).input as Record<string, unknown>) };
      const dropped = Object.keys(input).filter(() => rand() < 0.5);
      for (const key of dropped) delete input[key];
      const mode = int(rand, 0, 3);
      const bodies = [
        `{"json":{"input":${JSON.stringify(input)}}}`,
        '{"json":{}}',
        '{"json":{"options":{}}}',
        `{"json":{"items":[{}, {"input":${JSON.stringify(input)}}]}}`,
      ];
      return {
        label: `without ${dropped.join(', ') || 'nothing'} (${mode})`,
        path: mode === 3 ? many(name) : enqueue(name),
        body: bodies[mode],
      };
    },
    'huge string': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const overLimit = rand() < 0.15;
      const size = overLimit ? int(rand, MAX_BODY + 1, MAX_BODY + 200_000) : int(rand, 50_000, 600_000);
      const s = JSON.stringify(pick(rand, ['x', 'é', '😀', '"', '\u0000']).repeat(size));
      const v = JSON.stringify(JSON.parse(validJson(name).json).input);
      const spots = [
        [`{"json":{"input":${s}}}`, enqueue(name)],
        [`{"json":{"input":{${s}:1}}}`, enqueue(name)],
        [`{"json":{"input":${v},"options":{"idempotencyKey":${s}}}}`, enqueue(name)],
        [`{"json":{"input":{"count":${s},"delayMs":0}}}`, enqueue('steps')],
        [`{"json":{"input":{"failTimes":${s},"key":"k"}}}`, enqueue('flaky')],
      ] as const;
      const spot = int(rand, 0, spots.length - 1);
      const [body, path] = spots[spot] as readonly [string, string];
      return { label: `${size} chars at spot ${spot}${overLimit ? ' (body over 1 MiB)' : ''}`, path, body };
    },
    'deep nesting': (rand) => {
      const depth = pick(rand, [100, 1_000, 10_000, 50_000]);
      const arrays = rand() < 0.5;
      const deep = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const spot = int(rand, 0, 5);
      const bodies = [
        `{"json":{"input":${deep}}}`,
        `{"json":{"input":{"count":${deep},"delayMs":0}}}`,
        `{"json":{"input":{"count":1,"delayMs":0},"options":${deep}}}`,
        `{"json":${deep}}`,
        `{"json":{"items":${deep}}}`,
        `{"json":{"input":{"count":"x","delayMs":0}},"meta":{"values":{"input.count":${`${'[["map"],{"a":'.repeat(Math.min(depth, 2_000))}["Date"]${'}]'.repeat(Math.min(depth, 2_000))}`}}}}`,
      ];
      return {
        label: `${arrays ? 'arrays' : 'objects'} ${depth} deep at spot ${spot}`,
        path: spot === 4 ? many('steps') : enqueue('steps'),
        body: bodies[spot],
      };
    },
    'prototype keys': (rand) => {
      const key = pick(rand, PROTO_KEYS);
      const payload = pick(rand, POLLUTE);
      const broken = pick(rand, ['"count":"x","delayMs":0', '"delayMs":0', '"count":1,"delayMs":-1', '"count":1.5,"delayMs":0']);
      const spot = int(rand, 0, 9);
      const bodies = [
        `{"json":{"input":{"${key}":${payload},${broken}}}}`,
        `{"json":{"${key}":${payload},"input":{${broken}}}}`,
        `{"${key}":${payload},"json":{"input":{${broken}}}}`,
        `{"json":{"input":{${broken}},"options":{"${key}":${payload}}}}`,
        `{"json":{"items":[{"input":{${broken}},"${key}":${payload}}]}}`,
        `{"json":{"input":{${broken}}},"meta":{"values":{"${key}.polluted":["undefined"]}}}`,
        `{"json":{"input":{${broken}}},"meta":{"values":{"input.${key}.polluted":["Date"]}}}`,
        `{"json":{"input":{${broken}}},"meta":{"referentialEqualities":{"input":["${key}.polluted"]}}}`,
        `{"json":{"input":{"a":{},${broken}}},"meta":{"referentialEqualities":{"input.a":["${key}.prototype.polluted"]}}}`,
        `{"0":{"json":{"input":{${broken}}}},"${key}":${payload}}`,
      ];
      return {
        label: `${key} at spot ${spot}: ${payload}`,
        path: spot === 4 ? many('steps') : enqueue('steps'),
        batch: spot === 9,
        body: bodies[spot],
      };
    },
    'invalid UTF-8': (rand) => {
      const name = pick(rand, ['echo', 'flaky'] as const);
      const text = sj({ input: TARGETS[name].sample });
      const bad = pick(rand, UTF8_BAD);
      // Half inside a string field (the rest of the body is a valid input), half anywhere.
      const anchor = name === 'echo' ? '"note":"h' : '"key":"';
      const at = rand() < 0.5 ? text.indexOf(anchor) + anchor.length : int(rand, 0, text.length);
      const bytes = [...encoder.encode(text.slice(0, at)), ...bad, ...encoder.encode(text.slice(at))];
      return {
        label: `bytes ${bad.map((b) => b.toString(16)).join(' ')} at ${at} of ${name}`,
        path: enqueue(name),
        body: new Uint8Array(bytes),
      };
    },
    'malformed superjson': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const v = validJson(name);
      const field = pick(rand, Object.keys(TARGETS[name].sample));
      const annotation = pick(rand, [
        '["nope"]',
        '["custom","X"]',
        '["class","Y"]',
        '["symbol","z"]',
        '["typed-array","Nope"]',
        '[]',
        '[42]',
        '"map"',
        '{}',
        '["map"]',
        '["set"]',
        '["bigint"]',
        '["Date"]',
        '["regexp"]',
        '["number"]',
        '["Error"]',
        '["URL"]',
        '["undefined"]',
        '[["map"],{"0":["nope"]}]',
      ]);
      const path = pick(rand, [`input.${field}`, 'input', 'input.nope.deeper', `input\\\\.${field}`, '', 'input.0.1.2', field]);
      const meta = pick(rand, [
        `{"values":{"${path}":${annotation}}}`,
        `{"values":{"${path}":${annotation}},"v":1}`,
        `{"values":${annotation}}`,
        // Referential equalities of a bad shape; well-formed ones are dropped unapplied (see below).
        `{"referentialEqualities":["input.${field}"]}`,
        `{"referentialEqualities":{"input":"input"}}`,
        `{"referentialEqualities":{"${path}":[1]}}`,
        `{"referentialEqualities":${annotation === '{}' ? '[]' : annotation}}`,
        '"meta"',
        '42',
        '[]',
      ]);
      const json = rand() < 0.8 ? v.json : '{"input":{"count":"x"}}';
      if (rand() < 0.1) {
        // Well-formed equalities are accepted and dropped, never applied: with an invalid input
        // they must still be rejected for the input, and write nothing anywhere.
        return {
          label: `well-formed equalities on ${field}`,
          path: enqueue(name),
          body: `{"json":{"input":{"count":"x"}},"meta":{"referentialEqualities":{"input.${field}":["input.count","__proto__.polluted"]}}}`,
        };
      }
      return {
        label: `meta ${meta.slice(0, 60)}`,
        path: enqueue(name),
        body: rand() < 0.1 ? `{"meta":${meta}}` : `{"json":${json},"meta":${meta}}`,
      };
    },
    'not JSON': (rand) => {
      const name = pick(rand, TARGET_NAMES);
      const valid = sj({ input: TARGETS[name].sample });
      const kind = int(rand, 0, 8);
      if (kind === 0) {
        const bytes = new Uint8Array(int(rand, 1, 2_000)).map(() => int(rand, 0, 255));
        return { label: `${bytes.length} random bytes`, path: enqueue(name), body: bytes };
      }
      if (kind === 1) {
        const cut = int(rand, 0, valid.length - 1);
        return { label: `truncated at ${cut}`, path: enqueue(name), body: valid.slice(0, cut) };
      }
      if (kind === 2)
        return {
          label: 'trailing garbage',
          path: enqueue(name),
          body: `${valid}${pick(rand, ['x', '}', ',{}', ' {"json":1}', '\u0000'])}`,
        };
      if (kind === 3) {
        const body = pick(rand, [
          'undefined',
          '',
          ' ',
          'null',
          'true',
          '0',
          '"str"',
          '[]',
          '{json:{input:1}}',
          "{'json':{}}",
          '{"json":NaN}',
          '{"json":Infinity}',
          '{"json":{},}',
          '{"json":/*c*/{}}',
        ]);
        return { label: `body ${JSON.stringify(body)}`, path: enqueue(name), body };
      }
      if (kind === 4) return { label: 'text/plain', path: enqueue(name), contentType: 'text/plain', body: valid };
      if (kind === 5) {
        return {
          label: 'broken multipart',
          path: enqueue(name),
          contentType: `multipart/form-data; boundary=${pick(rand, ['x', '', '----'])}`,
          body: pick(rand, ['--x\r\nContent-Disposition: form-data; name="input"\r\n\r\n1\r\n--x--', 'garbage', valid]),
        };
      }
      if (kind === 6)
        return { label: 'octet-stream', path: enqueue(name), contentType: 'application/octet-stream', body: encoder.encode(valid) };
      if (kind === 7) return { label: 'no content type', path: enqueue(name), contentType: undefined, body: encoder.encode(valid) };
      return { label: 'xml', path: enqueue(name), body: '<?xml version="1.0"?><input><count>1</count></input>' };
    },
    'framing and paths': (rand) => {
      const kind = int(rand, 0, 5);
      const bad = '{"json":{"input":{"count":"x"}}}';
      if (kind === 0) {
        const body = pick(rand, ['[]', '"x"', '1', 'null', `[${bad}]`, '{"1":{"json":1}}', `{"5":${bad}}`, `{"-1":${bad},"0":${bad}}`]);
        return { label: `batch body ${body.slice(0, 40)}`, path: 'lab.steps.enqueue,lab.steps.enqueue', batch: true, body };
      }
      if (kind === 1) {
        const n = int(rand, 2, 60);
        const body = `{${Array.from({ length: n }, (_, i) => `"${i}":${bad}`).join(',')}}`;
        return { label: `batch of ${n}`, path: Array.from({ length: n }, () => 'lab.steps.enqueue').join(','), batch: true, body };
      }
      if (kind === 2) {
        const path = pick(rand, [
          'lab',
          'lab.steps',
          'lab.steps.nope',
          '__proto__',
          'constructor',
          'toString',
          'lab.__proto__.enqueue',
          'lab.steps.constructor',
          'lab.constructor.enqueue',
          'lab..steps',
          '.',
          'hasOwnProperty',
          'lab.steps.enqueue.x',
          'jobs.__proto__',
        ]);
        return { label: `path ${path}`, path, body: bad };
      }
      if (kind === 3) {
        const id = pick(rand, [
          'constructor.1',
          '__proto__.1',
          'toString.1',
          'hasOwnProperty.x',
          'lab.',
          '.1',
          'lab.1:2',
          'lab.__proto__',
          'x'.repeat(301),
          'ab',
          `lab.${'9'.repeat(200)}`,
        ]);
        const proc = pick(rand, ['jobs.cancel', 'jobs.retry'] as const);
        return { label: `${proc} ${id.slice(0, 30)}`, path: proc, body: sj({ id }) };
      }
      if (kind === 4) {
        const ids = ['constructor.1', '__proto__.1', 'toString.1', 'lab.x0', 'lab.steps', '{"a":1}', 'x'.repeat(301), ''];
        const inputs = {
          'jobs.get': ids.map((id) => sj({ id })),
          'lab.steps.get': ids.map((id) => sj({ id })),
          'queues.stats': ['nope', '__proto__', 'constructor', 'toString', 42].map((family) => sj({ family })),
          'jobs.list': [
            sj({ state: 'nope' }),
            sj({ limit: 1e9 }),
            sj({ offset: -1 }),
            sj({ family: 'constructor' }),
            sj({ cursor: 'not a cursor' }),
            sj({ cursor: Buffer.from('{"__proto__":{"state":"failed"}}').toString('base64url') }),
            sj({ cursor: Buffer.from('{"state":"failed","positions":{"lab":-1}}').toString('base64url'), offset: 1 }),
            'not json',
            '{"json":',
          ],
        };
        const proc = pick(rand, Object.keys(inputs) as (keyof typeof inputs)[]);
        const input = pick(rand, inputs[proc]);
        return {
          label: `GET ${proc} ${input.slice(0, 40)}`,
          path: proc,
          method: 'GET',
          body: undefined,
          query: `input=${encodeURIComponent(input)}`,
        };
      }
      return {
        label: 'GET on a mutation',
        path: 'lab.steps.enqueue',
        method: 'GET',
        body: undefined,
        query: `input=${encodeURIComponent(bad)}`,
      };
    },
  };
}

/** How many cases of each category, out of 10,000. */
const WEIGHTS: Record<string, number> = {
  'schema mutation': 2_400,
  'wrong type': 1_450,
  'missing fields': 830,
  'huge string': 200,
  'deep nesting': 120,
  'prototype keys': 2_000,
  'invalid UTF-8': 1_000,
  'malformed superjson': 300,
  'not JSON': 1_100,
  'framing and paths': 600,
};

/**
 * `total` invalid requests from `seed`, drawn one at a time (bodies are not kept), categories
 * interleaved by weight. `dropped` counts drafts the oracle found acceptable and skipped.
 */
export function* fuzzCases(seed: number, total: number, stats = { dropped: 0 }): Generator<FuzzCase> {
  const rand = prng(seed);
  const gens = generators(seed);
  const categories = Object.keys(WEIGHTS);
  const sum = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  const left = new Map(categories.map((c) => [c, Math.round(((WEIGHTS[c] as number) / sum) * total)]));
  for (let made = 0; made < total; ) {
    const open = categories.filter((c) => (left.get(c) ?? 0) > 0);
    if (open.length === 0) return;
    const category = pick(rand, open);
    const d = (gens[category] as (rand: Rand) => Draft)(rand);
    const c: FuzzCase = {
      category,
      label: d.label,
      path: d.path,
      batch: d.batch ?? false,
      method: d.method ?? 'POST',
      contentType: 'contentType' in d ? d.contentType : 'application/json',
      body: d.body === undefined ? undefined : typeof d.body === 'string' ? encoder.encode(d.body) : d.body,
      query: d.query,
    };
    if (acceptable(c)) {
      stats.dropped++;
      continue;
    }
    left.set(category, (left.get(category) ?? 0) - 1);
    made++;
    yield c;
  }
}
