/**
 * A set of UTF-16 code units as sorted, disjoint, inclusive ranges.
 */
export type CharSet = readonly (readonly [number, number])[];

/**
 * One term of a parsed pattern: a set of characters (a literal, a class, `.`, `\d`…), a group of
 * alternatives, an anchor or word boundary, or something compared by its text only (lookarounds).
 * Every term carries its repetition: a bare atom repeats exactly once.
 */
export type Term = { atom: Atom; min: number; max: number };
export type Atom =
  | { kind: 'chars'; set: CharSet }
  | { kind: 'group'; alternatives: Term[][] }
  | { kind: 'assert'; text: string }
  | { kind: 'opaque'; text: string };

const MAX_UNIT = 0xffff;
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: CharSet = normalize(
  [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]
    .map((c): [number, number] => [c, c])
    .concat([[0x2000, 0x200a]]),
);
const LINE_TERMINATORS: CharSet = normalize([0x0a, 0x0d, 0x2028, 0x2029].map((c): [number, number] => [c, c]));

/**
 * Parses a JSON Schema `pattern` (ECMAScript syntax, no flags) into alternatives of terms, or
 * returns `undefined` for what the prover does not model: backreferences, Unicode property
 * escapes (which need the `u` flag the pattern no longer carries) and anything malformed.
 *
 * @example
 * parsePattern('^a{0,9}$'); // [[^, a{0,9}, $]] as terms
 */
export function parsePattern(source: string): Term[][] | undefined {
  if (/\\[pPk]|\\[1-9]|\\u\{/.test(source)) return undefined;
  try {
    new RegExp(source);
  } catch {
    return undefined;
  }
  const parser = new Parser(source);
  try {
    const alternatives = parser.disjunction();
    return parser.done() ? alternatives : undefined;
  } catch {
    return undefined;
  }
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.i === this.s.length;
  }

  disjunction(): Term[][] {
    const alternatives = [this.alternative()];
    while (this.s[this.i] === '|') {
      this.i++;
      alternatives.push(this.alternative());
    }
    return alternatives;
  }

  private alternative(): Term[] {
    const terms: Term[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      const [min, max] = atom.kind === 'assert' ? [1, 1] : this.quantifier();
      // A group of one alternative, repeated once, is just its terms.
      if (atom.kind === 'group' && atom.alternatives.length === 1 && min === 1 && max === 1) terms.push(...(atom.alternatives[0] ?? []));
      else terms.push({ atom, min, max });
    }
    return terms;
  }

  private quantifier(): [number, number] {
    const c = this.s[this.i];
    let range: [number, number] | undefined;
    if (c === '*') range = [0, Number.POSITIVE_INFINITY];
    else if (c === '+') range = [1, Number.POSITIVE_INFINITY];
    else if (c === '?') range = [0, 1];
    if (range) this.i++;
    else {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return [1, 1];
      this.i += m[0].length;
      const min = Number(m[1]);
      range = [min, m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3])];
    }
    // Lazy or greedy, the same strings have a match.
    if (this.s[this.i] === '?') this.i++;
    return range;
  }

  private atom(): Atom {
    const c = this.s[this.i] as string;
    if (c === '^' || c === '$') {
      this.i++;
      return { kind: 'assert', text: c };
    }
    if (c === '(') return this.group();
    if (c === '[') return this.charClass();
    if (c === '.') {
      this.i++;
      return { kind: 'chars', set: complement(LINE_TERMINATORS) };
    }
    if (c === '\\') {
      if (this.s[this.i + 1] === 'b' || this.s[this.i + 1] === 'B') {
        this.i += 2;
        return { kind: 'assert', text: `\\${this.s[this.i - 1]}` };
      }
      return { kind: 'chars', set: this.escape(false) };
    }
    if ('*+?'.includes(c) || (c === '{' && /^\{\d+(,\d*)?\}/.test(this.s.slice(this.i)))) throw new Error('nothing to repeat');
    this.i++;
    return { kind: 'chars', set: single(c.charCodeAt(0)) };
  }

  private group(): Atom {
    const start = this.i;
    const look = /^\(\?(=|!|<=|<!)/.exec(this.s.slice(this.i));
    this.i += look
      ? look[0].length
      : this.s.startsWith('(?:', this.i)
        ? 3
        : this.s.startsWith('(?<', this.i)
          ? this.s.indexOf('>', this.i) + 1 - this.i
          : 1;
    const alternatives = this.disjunction();
    if (this.s[this.i] !== ')') throw new Error('unclosed group');
    this.i++;
    // A lookaround constrains what surrounds it: equal only to the same text at the same place.
    if (look) return { kind: 'opaque', text: this.s.slice(start, this.i) };
    return { kind: 'group', alternatives };
  }

  private charClass(): Atom {
    this.i++;
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    const ranges: (readonly [number, number])[] = [];
    while (this.s[this.i] !== ']') {
      if (this.i >= this.s.length) throw new Error('unclosed class');
      const from = this.classAtom();
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && from.length === 1 && from[0]?.[0] === from[0]?.[1]) {
        this.i++;
        const to = this.classAtom();
        const lo = from[0]?.[0] ?? 0;
        const hi = to.length === 1 && to[0]?.[0] === to[0]?.[1] ? (to[0]?.[0] ?? 0) : undefined;
        if (hi === undefined) ranges.push(...from, [0x2d, 0x2d], ...to);
        else ranges.push([lo, hi]);
      } else ranges.push(...from);
    }
    this.i++;
    const set = normalize(ranges);
    return { kind: 'chars', set: negated ? complement(set) : set };
  }

  private classAtom(): CharSet {
    if (this.s[this.i] === '\\') return this.escape(true);
    return single((this.s[this.i++] as string).charCodeAt(0));
  }

  private escape(inClass: boolean): CharSet {
    const c = this.s[this.i + 1] as string;
    this.i += 2;
    const classes: Record<string, CharSet> = { d: DIGIT, w: WORD, s: SPACE };
    if (classes[c.toLowerCase()]) {
      const set = classes[c.toLowerCase()] as CharSet;
      return c === c.toLowerCase() ? set : complement(set);
    }
    const controls: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
    if (controls[c] !== undefined) return single(controls[c]);
    if (c === 'b' && inClass) return single(8);
    if (c === '0' && !/\d/.test(this.s[this.i] ?? '')) return single(0);
    const hex = c === 'x' ? /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i)) : c === 'u' ? /^[0-9a-fA-F]{4}/.exec(this.s.slice(this.i)) : null;
    if (hex) {
      this.i += hex[0].length;
      return single(Number.parseInt(hex[0], 16));
    }
    if (c === 'c' && /[a-zA-Z]/.test(this.s[this.i] ?? '')) return single((this.s.charCodeAt(this.i++) as number) % 32);
    return single(c.charCodeAt(0));
  }
}

function single(code: number): CharSet {
  return [[code, code]];
}

/**
 * Sorts and merges ranges.
 *
 * @example
 * normalize([[5, 9], [0, 5]]); // [[0, 9]]
 */
export function normalize(ranges: readonly (readonly [number, number])[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

/**
 * Whether every character of `inner` is in `outer`.
 *
 * @example
 * charSubset([[0x61, 0x7a]], [[0x41, 0x5a], [0x61, 0x7a]]); // true
 */
export function charSubset(inner: CharSet, outer: CharSet): boolean {
  return inner.every(([lo, hi]) => outer.some(([olo, ohi]) => olo <= lo && hi <= ohi));
}
