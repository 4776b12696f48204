/** Small statistics over repeated measurements. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

/** The value at quantile `q` (0…1) of sorted values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a + (b - a) * (position - lower);
}

/** Median, min and max of repeated measurements (samples kept in run order). */
export function spread(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, samples: [...samples] };
}

/** `a / b`, or NaN when either is missing or `b` is 0. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** `[value, count]` pairs, values ascending: a distribution of many equal values, kept small. */
export type Histogram = readonly (readonly [number, number])[];

/** `quantile` of the values a histogram counts, as if they were listed one by one and sorted. */
export function histogramQuantile(histogram: Histogram, q: number): number {
  const count = histogram.reduce((n, [, c]) => n + c, 0);
  if (count === 0) return Number.NaN;
  const valueAt = (index: number): number => {
    let seen = 0;
    for (const [value, c] of histogram) {
      seen += c;
      if (index < seen) return value;
    }
    return histogram.at(-1)?.[0] ?? Number.NaN;
  };
  const position = (count - 1) * q;
  const lower = Math.floor(position);
  const a = valueAt(lower);
  const b = valueAt(Math.ceil(position));
  return a + (b - a) * (position - lower);
}
