/**
 * The pattern prover: `patternCovers(wide, narrow)` is a proof that every string `narrow` matches,
 * `wide` matches too; `false` only means "not proven". Each proof is checked against samples.
 */
import { describe, expect, it } from 'vitest';
import { patternCovers } from '../../shared/src/evolution/regex-cover.ts';

const proven: [name: string, wide: string, narrow: string, sample: string][] = [
  ['a bound widened', '^[a-z][a-z0-9._-]{0,199}$', '^[a-z][a-z0-9._-]{0,99}$', 'backup-1'],
  ['a lower bound lowered', '^\\d{2,}$', '^\\d{4,}$', '2024'],
  ['+ became *', '^a*$', '^a+$', 'aaa'],
  ['a character added to a class', '^[a-z_]+$', '^[a-z]+$', 'abc'],
  ['a range added to a class', '^[A-Fa-f0-9]{64}$', '^[a-f0-9]{64}$', 'a'.repeat(64)],
  ['a negated class that excludes less', '^[^/]+$', '^[a-z]+$', 'name'],
  ['an alternative added', '^(?:http|https|ftp)$', '^(?:http|https)$', 'https'],
  ['an optional character added', '^https?$', '^https$', 'https'],
  ['an optional sign added', '^-?\\d+$', '^\\d+$', '42'],
  ['an anchor dropped', 'abc', '^abc$', 'abc'],
  ['a prefix the search skips', 'b', '^ab', 'ab'],
  ['literals taken by a class repeat', '^[a-z]{1,9}$', '^abc$', 'abc'],
  ['a group repeated', '^(?:ab)+$', '^(?:ab)$', 'ab'],
  ['the same lookahead before a wider class', '^(?=a)[a-z]', '^(?=a)a', 'ab'],
];

const unproven: [name: string, wide: string, narrow: string][] = [
  ['a bound narrowed', '^[a-z]{0,99}$', '^[a-z]{0,199}$'],
  ['a class narrowed', '^[a-z]+$', '^[a-z_]+$'],
  ['an alternative removed', '^(?:http|https)$', '^(?:http|https|ftp)$'],
  ['an anchor added', '^abc$', 'abc'],
  ['a different literal', '^[A-Z]{3}-\\d+$', '^[A-Z]{2}-\\d+$'],
  ['a different lookahead', '^(?=x)a', '^(?=y)a'],
  ['a backreference', '^(a)\\1$', '^(a)\\1$x'],
  ['a Unicode property escape (needs the u flag the lock dropped)', '^\\p{L}+$', '^a+$'],
];

describe('patternCovers', () => {
  it.each(proven)('proves %s', (_name, wide, narrow, sample) => {
    expect(patternCovers(wide, narrow)).toBe(true);
    expect(new RegExp(narrow).test(sample) && new RegExp(wide).test(sample)).toBe(true);
  });

  it.each(unproven)('does not prove %s', (_name, wide, narrow) => {
    expect(patternCovers(wide, narrow)).toBe(false);
  });

  it('holds on every string of a small alphabet for the proven pairs', () => {
    const alphabet = ['a', 'b', 'x', '1', '-', '/', '_', 'A'];
    const strings = [''];
    for (let length = 1; length <= 4; length++) {
      for (const prefix of strings.filter((s) => s.length === length - 1)) for (const c of alphabet) strings.push(prefix + c);
    }
    for (const [name, wide, narrow] of proven) {
      const w = new RegExp(wide);
      const n = new RegExp(narrow);
      const counterexample = strings.find((s) => n.test(s) && !w.test(s));
      expect(counterexample, name).toBeUndefined();
    }
  });
});
