/**
 * The run as a picture (bench/results/latest.svg): throughput of (a)–(c) as grouped bars, and the
 * latency distribution of (d) as one CDF panel per rate. Plain SVG strings, no browser needed.
 */
import type { MachineInfo } from './machine.ts';
import { COLUMN_TITLES, COLUMNS, type Column } from './protocol.ts';
import { THROUGHPUT, type ThroughputWorkload } from './report.ts';

/** The figures a bar needs: a median with its range. */
interface Range {
  median: number;
  min: number;
  max: number;
}

/** What the chart reads from a report (`Report` fits; the test builds one by hand). */
export interface ChartSource {
  date: string;
  mode: 'full' | 'quick';
  machine: Pick<MachineInfo, 'cpus' | 'model' | 'node' | 'redis'>;
  columns: Partial<
    Record<
      Column,
      Partial<Record<ThroughputWorkload, Range | null>> & {
        /** Keyed by jobs/s; `cdfMs`: the 0th…100th percentile of enqueue → handler start. */
        latencyByRate?: Record<string, { cdfMs: number[] | null }>;
      }
    >
  >;
}

export const CHART_COLOURS: Record<Column, string> = { raw: '#737373', naive: '#e0761f', taskwire: '#2160c4' };

const WIDTH = 900;
const SIDE = 24;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const INK = '#222222';
const MUTED = '#5f5f5f';
const GRID = '#e3e3e3';
const WORKLOAD_NAMES: Record<ThroughputWorkload, string> = {
  enqueue: '(a) enqueue',
  enqueueMany: '(b) enqueueMany',
  process: '(c) process',
};

/** Text made safe for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

type Attributes = Record<string, string | number | undefined>;

const coordinate = (n: number) => String(Math.round(n * 10) / 10);

/** `<name …>children</name>`, attributes escaped; `children` is markup already. */
function tag(name: string, attributes: Attributes, children?: string): string {
  const attrs = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(typeof value === 'number' ? coordinate(value) : value)}"`)
    .join('');
  return children === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${children}</${name}>`;
}

function text(x: number, y: number, content: string, attributes: Attributes = {}): string {
  return tag('text', { x, y, ...attributes }, escapeXml(content));
}

function line(x1: number, y1: number, x2: number, y2: number, stroke: string, attributes: Attributes = {}): string {
  return tag('line', { x1, y1, x2, y2, stroke, ...attributes });
}

function format(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: value < 10 && !Number.isInteger(value) ? 1 : 0 });
}

/** "1k", "20k" from 1,000 up; the rest as they are. */
function short(value: number): string {
  return value >= 1_000 ? `${format(value / 1_000)}k` : format(value);
}

/** Ticks 0, step, 2·step … up to the first one at or above `max`, with a step of 1, 2 or 5 × 10ⁿ. */
function linearTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const ticks = [0];
  while ((ticks.at(-1) ?? 0) < max) ticks.push(ticks.length * step);
  return ticks;
}

/** 0, 1, 2, 5, 10, 20, 50 … up to the first at or above `max`: ticks of the log scale. */
function logTicks(max: number): number[] {
  const ticks = [0];
  for (let power = 1; (ticks.at(-1) ?? 0) < max; power *= 10) ticks.push(power, 2 * power, 5 * power);
  const end = ticks.findIndex((tick) => tick >= max);
  return ticks.slice(0, Math.max(2, end + 1));
}

/** Keeps a tick's label only if it does not run into the previous one's (`at`: its x). */
function spacedLabels(ticks: number[], at: (tick: number) => number, label: (tick: number) => string): Set<number> {
  const kept = new Set<number>();
  let lastRight = Number.NEGATIVE_INFINITY;
  for (const tick of ticks) {
    const halfWidth = (label(tick).length * 6.5) / 2;
    if (at(tick) - halfWidth < lastRight + 6) continue;
    kept.add(tick);
    lastRight = at(tick) + halfWidth;
  }
  return kept;
}

/** The columns the source has, in table order. */
function columnsOf(source: ChartSource): Column[] {
  return COLUMNS.filter((column) => source.columns[column] !== undefined);
}

interface Panel {
  svg: string;
  height: number;
}

function header(source: ChartSource): Panel {
  const { machine } = source;
  const when = source.date.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  const mode = source.mode === 'quick' ? 'quick mode (a smoke check: not comparable with full runs)' : 'full mode';
  const legend = columnsOf(source)
    .map((column, i) => {
      const x = SIDE + i * 150;
      return tag('rect', { x, y: 66, width: 14, height: 14, rx: 2, fill: CHART_COLOURS[column] }) + text(x + 20, 78, COLUMN_TITLES[column]);
    })
    .join('');
  return {
    svg: [
      text(SIDE, 28, `taskwire bench — ${when}`, { 'font-size': 18, 'font-weight': 'bold' }),
      text(SIDE, 48, `${mode} · ${machine.cpus} × ${machine.model} · node ${machine.node} · redis ${machine.redis}`, { fill: MUTED }),
      tag('g', { 'font-size': 13 }, legend),
    ].join(''),
    height: 88,
  };
}

/** (i): a group of bars per workload, one bar per column at the median, whiskers min–max. */
function throughputPanel(source: ChartSource, top: number): Panel | undefined {
  const columns = columnsOf(source);
  const workloads = THROUGHPUT.filter((w) => columns.some((c) => source.columns[c]?.[w]));
  if (!workloads.length) return undefined;
  const height = 300;
  const plot = { left: 84, right: WIDTH - SIDE, top: top + 56, bottom: top + height - 46 };
  const highest = Math.max(...workloads.flatMap((w) => columns.map((c) => source.columns[c]?.[w]?.max ?? 0)));
  // Room above the highest whisker for its label.
  const ticks = linearTicks(highest * 1.12);
  const yMax = ticks.at(-1) ?? 1;
  const y = (value: number) => plot.bottom - (value / yMax) * (plot.bottom - plot.top);
  const parts: string[] = [
    text(SIDE, top + 20, 'Throughput, jobs/s (higher is better)', { 'font-size': 15, 'font-weight': 'bold' }),
    text(SIDE, top + 38, 'bar: median of the repetitions · whisker: min–max', { fill: MUTED, 'font-size': 11 }),
  ];
  for (const tick of ticks) {
    parts.push(line(plot.left, y(tick), plot.right, y(tick), GRID));
    parts.push(text(plot.left - 8, y(tick) + 4, format(tick), { 'text-anchor': 'end', fill: MUTED }));
  }
  parts.push(
    tag(
      'text',
      { transform: `translate(${SIDE + 4} ${(plot.top + plot.bottom) / 2}) rotate(-90)`, 'text-anchor': 'middle', fill: MUTED },
      'jobs/s',
    ),
  );
  const groupWidth = (plot.right - plot.left) / workloads.length;
  const barWidth = Math.min(64, (groupWidth * 0.7) / columns.length);
  const gap = 10;
  workloads.forEach((w, g) => {
    const centre = plot.left + groupWidth * (g + 0.5);
    columns.forEach((column, i) => {
      const figure = source.columns[column]?.[w];
      if (!figure) return;
      const x = centre + (i - (columns.length - 1) / 2) * (barWidth + gap);
      const tip = `${COLUMN_TITLES[column]}, ${WORKLOAD_NAMES[w]}: median ${format(figure.median)} jobs/s [${format(figure.min)}–${format(figure.max)}]`;
      parts.push(
        tag(
          'rect',
          {
            class: 'bar',
            'data-workload': w,
            'data-column': column,
            x: x - barWidth / 2,
            y: y(figure.median),
            width: barWidth,
            height: plot.bottom - y(figure.median),
            fill: CHART_COLOURS[column],
          },
          tag('title', {}, escapeXml(tip)),
        ),
        line(x, y(figure.min), x, y(figure.max), INK, { 'stroke-width': 1.5 }),
        line(x - barWidth / 5, y(figure.min), x + barWidth / 5, y(figure.min), INK, { 'stroke-width': 1.5 }),
        line(x - barWidth / 5, y(figure.max), x + barWidth / 5, y(figure.max), INK, { 'stroke-width': 1.5 }),
        text(x, y(figure.max) - 6, format(figure.median), { 'text-anchor': 'middle', 'font-size': 11, fill: INK }),
      );
    });
    parts.push(text(centre, plot.bottom + 22, WORKLOAD_NAMES[w], { 'text-anchor': 'middle', 'font-size': 13 }));
  });
  parts.push(line(plot.left, plot.bottom, plot.right, plot.bottom, INK));
  return { svg: tag('g', { class: 'throughput' }, parts.join('')), height };
}

/** The rates with a distribution in some column, ascending. */
function ratesOf(source: ChartSource): string[] {
  const rates = new Set<string>();
  for (const column of columnsOf(source)) {
    for (const [rate, figure] of Object.entries(source.columns[column]?.latencyByRate ?? {})) if (figure.cdfMs?.length) rates.add(rate);
  }
  return [...rates].sort((a, b) => Number(a) - Number(b));
}

/** (ii): one CDF per column at one rate; x on a log scale of 1 + ms, so that 0 ms has a place. */
function cdfPanel(source: ChartSource, rate: string, box: { left: number; right: number; top: number; height: number }): string {
  const plot = { left: box.left + 46, right: box.right, top: box.top + 44, bottom: box.top + box.height - 48 };
  const curves = columnsOf(source).flatMap((column) => {
    const cdf = source.columns[column]?.latencyByRate?.[rate]?.cdfMs;
    return cdf?.length ? [{ column, cdf }] : [];
  });
  const slowest = Math.max(...curves.map(({ cdf }) => cdf.at(-1) ?? 0));
  const ticks = logTicks(slowest);
  const scale = (ms: number) => Math.log10(1 + Math.max(0, ms));
  const x = (ms: number) => plot.left + (scale(ms) / scale(ticks.at(-1) ?? 1)) * (plot.right - plot.left);
  const y = (percent: number) => plot.bottom - (percent / 100) * (plot.bottom - plot.top);
  const parts: string[] = [
    text(box.left, box.top + 20, `(d) enqueue → handler start at ${Number(rate).toLocaleString('en-US')} jobs/s`, {
      'font-size': 15,
      'font-weight': 'bold',
    }),
    text(box.left, box.top + 36, 'share of jobs started within x ms (every job of every repetition)', { fill: MUTED, 'font-size': 11 }),
  ];
  for (const percent of [0, 25, 50, 75, 100]) {
    parts.push(line(plot.left, y(percent), plot.right, y(percent), GRID));
    parts.push(text(plot.left - 6, y(percent) + 4, `${percent} %`, { 'text-anchor': 'end', fill: MUTED, 'font-size': 11 }));
  }
  const labelled = spacedLabels(ticks, x, short);
  for (const tick of ticks) {
    parts.push(line(x(tick), plot.top, x(tick), plot.bottom, GRID));
    if (labelled.has(tick))
      parts.push(text(x(tick), plot.bottom + 16, short(tick), { 'text-anchor': 'middle', fill: MUTED, 'font-size': 11 }));
  }
  parts.push(
    line(plot.left, plot.bottom, plot.right, plot.bottom, INK),
    line(plot.left, plot.top, plot.left, plot.bottom, INK),
    text((plot.left + plot.right) / 2, plot.bottom + 36, 'ms from enqueue to handler start (log scale)', {
      'text-anchor': 'middle',
      fill: MUTED,
      'font-size': 12,
    }),
  );
  for (const { column, cdf } of curves) {
    const d = cdf.map((ms, percent) => `${percent ? 'L' : 'M'}${coordinate(x(ms))} ${coordinate(y(percent))}`).join(' ');
    parts.push(
      tag('path', {
        class: 'cdf',
        'data-rate': rate,
        'data-column': column,
        d,
        fill: 'none',
        stroke: CHART_COLOURS[column],
        'stroke-width': 2.2,
        'stroke-linejoin': 'round',
      }),
    );
  }
  // The legend sits bottom right, where every curve has reached its top; a white box keeps it readable regardless.
  const rowHeight = 17;
  const legendWidth = 206;
  const legendTop = plot.bottom - 10 - rowHeight * curves.length;
  const legendLeft = plot.right - legendWidth - 8;
  parts.push(
    tag('rect', {
      x: legendLeft,
      y: legendTop - 4,
      width: legendWidth,
      height: rowHeight * curves.length + 8,
      fill: 'white',
      'fill-opacity': 0.9,
      stroke: GRID,
    }),
  );
  curves.forEach(({ column, cdf }, i) => {
    const rowY = legendTop + rowHeight * i + 12;
    const ms = (percent: number) => format(cdf[percent] ?? Number.NaN);
    parts.push(
      line(legendLeft + 8, rowY - 4, legendLeft + 24, rowY - 4, CHART_COLOURS[column], { 'stroke-width': 3 }),
      text(legendLeft + 30, rowY, `${COLUMN_TITLES[column]}: p50 ${ms(50)}, p99 ${ms(99)} ms`, { 'font-size': 11 }),
    );
  });
  return tag('g', { class: 'latency', 'data-rate': rate }, parts.join(''));
}

function latencyPanels(source: ChartSource, top: number): Panel | undefined {
  const rates = ratesOf(source);
  if (!rates.length) return undefined;
  const height = 310;
  const gap = 48;
  const width = (WIDTH - 2 * SIDE - gap * (rates.length - 1)) / rates.length;
  const svg = rates
    .map((rate, i) => cdfPanel(source, rate, { left: SIDE + i * (width + gap), right: SIDE + i * (width + gap) + width, top, height }))
    .join('');
  return { svg, height };
}

/** Where the chart of a results file goes: next to it, `.svg` for `.json` (latest.json → latest.svg). */
export function chartPath(resultsPath: string): string {
  return `${resultsPath.replace(/\.json$/, '')}.svg`;
}

/**
 * The SVG document for a run: a header (date, machine, mode, legend), then the throughput bars and
 * the latency CDFs; a part with no data in the run (a `--only` subset) is left out.
 *
 * @example
 * await writeFile('bench/results/latest.svg', renderChart(report));
 */
export function renderChart(source: ChartSource): string {
  const head = header(source);
  const panels = [head.svg];
  let top = head.height;
  for (const build of [throughputPanel, latencyPanels]) {
    const panel = build(source, top);
    if (!panel) continue;
    panels.push(panel.svg);
    top += panel.height;
  }
  const height = Math.max(top + 12, 120);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="${FONT}" font-size="12" fill="${INK}">`,
    tag(
      'title',
      {},
      escapeXml(`taskwire bench, ${source.date}, ${source.mode} mode: throughput per workload and enqueue → handler start latency`),
    ),
    tag('rect', { width: WIDTH, height, fill: 'white' }),
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
