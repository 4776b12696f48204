/**
 * Progress as people read it: a live bar (cli-progress) on a terminal when the progress is
 * measurable (`step`/`of`, or a numeric `pct`/`percentage`/`percent` out of 100), the same bar as
 * one line per update elsewhere, and one `progress: …` line for progress that is not measurable.
 */
import { SingleBar } from 'cli-progress';
import type { OutputStream } from './context.ts';
import { formatValue } from './render.ts';

/** Progress reduced to a position on a bar, plus a label for what it is doing. */
export interface Measure {
  value: number;
  total: number;
  label: string;
}

const BAR_SIZE = 30;
const PERCENT_KEYS = ['pct', 'percentage', 'percent'] as const;

/**
 * How far along a progress report is, if it says.
 *
 * @example
 * measureProgress({ step: 2, of: 5, stage: 'aggregate' }); // { value: 2, total: 5, label: 'aggregate' }
 * measureProgress({ stage: 'render' });                     // undefined
 */
export function measureProgress(progress: unknown): Measure | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const record = progress as Record<string, unknown>;
  const { step, of } = record;
  if (typeof step === 'number' && typeof of === 'number' && of > 0) {
    return { value: Math.min(step, of), total: of, label: describeProgress(record, ['step', 'of']) };
  }
  for (const key of PERCENT_KEYS) {
    const pct = record[key];
    if (typeof pct === 'number' && Number.isFinite(pct)) {
      return { value: Math.max(0, Math.min(pct, 100)), total: 100, label: describeProgress(record, [key]) };
    }
  }
  return undefined;
}

/**
 * `stage — detail`, or `key=value …` of the fields not already shown.
 *
 * @example
 * describeProgress({ stage: 'render', detail: '3 rows' }); // 'render — 3 rows'
 */
export function describeProgress(progress: unknown, shown: readonly string[] = []): string {
  if (typeof progress !== 'object' || progress === null || Array.isArray(progress)) return formatValue(progress);
  const rest = Object.entries(progress).filter(([key, value]) => !shown.includes(key) && value !== undefined);
  const stage = rest.find(([key]) => key === 'stage')?.[1];
  const detail = rest.find(([key]) => key === 'detail')?.[1];
  if (typeof stage === 'string') return typeof detail === 'string' ? `${stage} — ${detail}` : stage;
  return rest.map(([key, value]) => `${key}=${formatValue(value)}`).join(' ');
}

/**
 * `[██████░░░░] 40% | 2/5 | aggregate`: the bar line, for the live bar and for line output alike.
 *
 * @example
 * formatBarLine({ value: 2, total: 5, label: 'aggregate' });
 */
export function formatBarLine(measure: Measure, eta?: number): string {
  const ratio = measure.total > 0 ? measure.value / measure.total : 0;
  const filled = Math.round(ratio * BAR_SIZE);
  const amount = measure.total === 100 ? '' : ` | ${measure.value}/${measure.total}`;
  const left = eta !== undefined && Number.isFinite(eta) && ratio < 1 && ratio > 0 ? ` | ETA ${Math.round(eta)}s` : '';
  const label = measure.label ? ` | ${measure.label}` : '';
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_SIZE - filled)}] ${Math.round(ratio * 100)}%${amount}${label}${left}`;
}

/**
 * Shows the progress of one job on a stream. Call {@link ProgressDisplay.stop} before writing
 * anything else to the same terminal.
 *
 * @example
 * const display = new ProgressDisplay(process.stderr);
 * await task.run(input, { onProgress: (p) => display.update(p) });
 * display.stop();
 */
export class ProgressDisplay {
  #bar: SingleBar | undefined;
  #measure: Measure | undefined;

  constructor(private readonly stream: OutputStream) {}

  /** A live bar redrawn in place needs a terminal; elsewhere every update is a line. */
  get live(): boolean {
    return this.stream.isTTY === true;
  }

  update(progress: unknown): void {
    const measure = measureProgress(progress);
    if (!measure) {
      this.line(`progress: ${describeProgress(progress)}`);
      return;
    }
    this.#measure = measure;
    if (!this.live) {
      this.stream.write(`${formatBarLine(measure)}\n`);
      return;
    }
    if (!this.#bar) {
      this.#bar = new SingleBar({
        stream: this.stream,
        format: (_options, params) => formatBarLine(this.#measure ?? measure, params.eta),
        hideCursor: false,
        gracefulExit: false,
        linewrap: true,
        fps: 10,
      });
      this.#bar.start(measure.total, measure.value);
      return;
    }
    if (this.#bar.getTotal() !== measure.total) this.#bar.setTotal(measure.total);
    this.#bar.update(measure.value);
  }

  /** A line of its own (the live bar, if any, ends first; a later update starts a new one). */
  line(text: string): void {
    this.stop();
    this.stream.write(`${text}\n`);
  }

  /** Ends the live bar, leaving its last state on screen. */
  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}
