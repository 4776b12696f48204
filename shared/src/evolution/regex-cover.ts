import { type Atom, charSubset, parsePattern, type Term } from './regex-parse.ts';

/**
 * Whether every string `narrow` matches is proven to match `wide` too (both JSON Schema patterns,
 * searched for anywhere in the string, as zod's `regex.test` does). `true` is a proof; `false`
 * means "not proven", never "proven not".
 *
 * The proof lines the two patterns up term by term and asks each term of `wide` to accept what
 * its counterpart in `narrow` does, which decides the common loosenings: a quantifier's bounds
 * widened (`{0,99}` → `{0,199}`, `+` → `*`), a character or range added to a class, an
 * alternative added, an optional term added, an anchor dropped. Anything else (a rewrite into
 * another shape, a lookaround that changed) is not proven.
 *
 * @example
 * patternCovers('^[a-z]{0,199}$', '^[a-z]{0,99}$'); // true: the new pattern accepts every old value
 * patternCovers('^[a-z]{0,99}$', '^[a-z]{0,199}$'); // false
 */
export function patternCovers(wide: string, narrow: string): boolean {
  if (wide === narrow) return true;
  const w = parsePattern(wide);
  const n = parsePattern(narrow);
  if (!w || !n) return false;
  // Each alternative of `narrow` must fit one of `wide`, where the match may begin and end anywhere.
  return n.every((alternative) => w.some((candidate) => new Prover(candidate, alternative, true).covers()));
}

class Prover {
  private readonly memo = new Map<string, boolean>();

  constructor(
    private readonly wide: Term[],
    private readonly narrow: Term[],
    private readonly search: boolean,
  ) {}

  covers(): boolean {
    // Unanchored, `wide` may match a later part of what `narrow` matched: skip a prefix of `narrow`.
    const first = this.wide[0]?.atom;
    const open = this.search && !(first?.kind === 'assert' && first.text === '^');
    for (let j = 0; j <= (open ? this.narrow.length : 0); j++) if (this.from(0, j)) return true;
    return false;
  }

  private from(i: number, j: number): boolean {
    const key = `${i},${j}`;
    const cached = this.memo.get(key);
    if (cached !== undefined) return cached;
    this.memo.set(key, false);
    const result = this.step(i, j);
    this.memo.set(key, result);
    return result;
  }

  private step(i: number, j: number): boolean {
    const w = this.wide[i];
    const n = this.narrow[j];
    if (!w) return j === this.narrow.length || (this.search && !endsAnchored(this.wide));
    // A term of `wide` that may match nothing can be left out.
    if (nullable(w) && this.from(i + 1, j)) return true;
    if (!n) return false;
    // An anchor in `narrow` only restricts it further.
    if (n.atom.kind === 'assert' && this.from(i, j + 1)) return true;
    if (termCovers(w, n) && this.from(i + 1, j + 1)) return true;
    // A repeated term of `wide` can take several terms of `narrow` (`[a-z]{1,9}` takes `abc`).
    if (w.atom.kind === 'chars' && w.max > 1) {
      let min = 0;
      let max = 0;
      for (let k = j; k < this.narrow.length; k++) {
        const t = this.narrow[k] as Term;
        if (!atomCovers(w.atom, t.atom) || t.atom.kind !== 'chars') break;
        min += t.min;
        max += t.max;
        if (max > w.max) break;
        if (k > j && min >= w.min && this.from(i + 1, k + 1)) return true;
      }
    }
    // A repeated group of `wide` can take several terms of `narrow`, one alternative per round.
    if (w.atom.kind === 'group' && this.rounds(w, i, j, 0)) return true;
    return false;
  }

  private rounds(w: Term, i: number, j: number, done: number): boolean {
    if (w.atom.kind !== 'group' || done >= w.max || done > this.narrow.length) return false;
    const key = `r${i},${j},${done}`;
    if (this.memo.has(key)) return this.memo.get(key) as boolean;
    this.memo.set(key, false);
    const result = this.round(w, i, j, done);
    this.memo.set(key, result);
    return result;
  }

  private round(w: Term, i: number, j: number, done: number): boolean {
    if (w.atom.kind !== 'group') return false;
    for (let k = j + 1; k <= this.narrow.length; k++) {
      const slice = this.narrow.slice(j, k);
      if (!w.atom.alternatives.some((alternative) => new Prover(alternative, slice, false).covers())) continue;
      if (done + 1 >= w.min && this.from(i + 1, k)) return true;
      if (this.rounds(w, i, k, done + 1)) return true;
    }
    return false;
  }
}

function endsAnchored(terms: Term[]): boolean {
  const last = terms[terms.length - 1];
  return last?.atom.kind === 'assert' && last.atom.text === '$';
}

function termCovers(wide: Term, narrow: Term): boolean {
  return wide.min <= narrow.min && narrow.max <= wide.max && atomCovers(wide.atom, narrow.atom);
}

function atomCovers(wide: Atom, narrow: Atom): boolean {
  if (wide.kind === 'chars' && narrow.kind === 'chars') return charSubset(narrow.set, wide.set);
  if ((wide.kind === 'assert' || wide.kind === 'opaque') && narrow.kind === wide.kind) return wide.text === narrow.text;
  const wideAlternatives = wide.kind === 'group' ? wide.alternatives : [[{ atom: wide, min: 1, max: 1 }]];
  const narrowAlternatives = narrow.kind === 'group' ? narrow.alternatives : [[{ atom: narrow, min: 1, max: 1 }]];
  if (wide.kind !== 'group' && narrow.kind !== 'group') return false;
  return narrowAlternatives.every((n) => wideAlternatives.some((w) => new Prover(w, n, false).covers()));
}

function nullable(term: Term): boolean {
  if (term.min === 0) return true;
  return term.atom.kind === 'group' && term.atom.alternatives.some((alternative) => alternative.every(nullable));
}
