import { describe, expect, it } from 'vitest';
import { CHART_COLOURS, type ChartSource, chartPath, escapeXml, renderChart } from '../../bench/core/chart.ts';
import { histogramQuantile } from '../../bench/core/stats.ts';

/** 0th…100th percentile of a run whose jobs started `base` ms after enqueue, with a tail. */
const cdf = (base: number, tail: number) => Array.from({ length: 101 }, (_, p) => base + (p >= 99 ? tail * (p - 98) : p / 50));

const source: ChartSource = {
  date: '2026-12-03T10:20:30.456Z',
  mode: 'full',
  machine: { cpus: 2, model: 'Test <CPU> & "co"', node: 'v22.0.0', redis: '7.2.4' },
  columns: {
    raw: {
      enqueue: { median: 20_000, min: 19_000, max: 21_000 },
      process: { median: 10_000, min: 9_000, max: 11_000 },
      latencyByRate: { '500': { cdfMs: cdf(1, 2) }, '2000': { cdfMs: cdf(1, 3) } },
    },
    taskwire: {
      enqueue: { median: 15_000, min: 14_000, max: 16_000 },
      process: { median: 9_500, min: 9_000, max: 9_900 },
      latencyByRate: { '500': { cdfMs: cdf(2, 4) }, '2000': { cdfMs: cdf(2, 30) } },
    },
  },
};

/** The attributes of every `<tag …>` of a kind in the SVG. */
function elements(svg: string, tag: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))].map((m) =>
    Object.fromEntries([...(m[1] ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])),
  ) as Record<string, string>[];
}

describe('bench chart', () => {
  it('draws a bar per column and workload, as tall as its median, in the column’s colour', () => {
    const svg = renderChart(source);
    const bars = elements(svg, 'rect').filter((r) => r.class === 'bar');
    expect(bars.map((b) => `${b['data-workload']}/${b['data-column']}`).sort()).toEqual([
      'enqueue/raw',
      'enqueue/taskwire',
      'process/raw',
      'process/taskwire',
    ]);
    const bar = (w: string, c: string) => bars.find((b) => b['data-workload'] === w && b['data-column'] === c) as Record<string, string>;
    // One axis for every bar: heights keep the medians' ratios.
    expect(Number(bar('enqueue', 'taskwire').height) / Number(bar('enqueue', 'raw').height)).toBeCloseTo(0.75, 2);
    expect(Number(bar('process', 'taskwire').height) / Number(bar('enqueue', 'raw').height)).toBeCloseTo(0.475, 2);
    expect(bar('process', 'taskwire').fill).toBe(CHART_COLOURS.taskwire);
    // A workload nobody measured gets no group.
    expect(svg).not.toContain('(b) enqueueMany');
  });

  it('draws one latency CDF per rate with a curve per column, the p50 and p99 in its legend', () => {
    const svg = renderChart(source);
    const panels = elements(svg, 'g').filter((g) => g.class === 'latency');
    expect(panels.map((g) => g['data-rate'])).toEqual(['500', '2000']);
    const curves = elements(svg, 'path').filter((p) => p.class === 'cdf');
    expect(curves).toHaveLength(4);
    for (const curve of curves) expect(curve.d?.split(/[ML]/).filter(Boolean)).toHaveLength(101);
    expect(svg).toContain('taskwire: p50 3, p99 32 ms');
    expect(svg).toContain('2,000 jobs/s');
  });

  it('escapes text, names the mode, leaves out parts with no data, and sits next to its JSON', () => {
    const svg = renderChart(source);
    expect(svg).toContain('Test &lt;CPU&gt; &amp; &quot;co&quot;');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toMatch(/<svg [^>]*role="img"[^>]*>\n<title>taskwire bench, 2026-12-03T10:20:30.456Z, full mode: /);
    expect(svg).toMatch(/<svg [^>]*viewBox="0 0 900 \d+"/);
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    const quick = renderChart({ ...source, mode: 'quick', columns: { raw: { enqueue: { median: 1, min: 1, max: 1 } } } });
    expect(quick).toContain('quick mode');
    expect(quick).not.toContain('class="latency"');
    expect(chartPath('bench/results/latest.json')).toBe('bench/results/latest.svg');
  });

  it('reads quantiles of a histogram as of the listed values', () => {
    const histogram = [
      [1, 50],
      [2, 49],
      [40, 1],
    ] as const;
    const listed = histogram.flatMap(([v, c]) => Array.from({ length: c }, () => v));
    expect(histogramQuantile(histogram, 0)).toBe(1);
    const [at49 = Number.NaN, at50 = Number.NaN] = listed.slice(49, 51);
    expect(histogramQuantile(histogram, 0.5)).toBe(at49 + (at50 - at49) * 0.5);
    expect(histogramQuantile(histogram, 1)).toBe(40);
    expect(histogramQuantile([], 0.5)).toBeNaN();
  });
});
