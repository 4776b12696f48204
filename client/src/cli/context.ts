import type { Families } from '@taskwire/shared/tasks';
import type { TaskwireClient } from '../runtime/client.ts';
import { formatJson } from './json.ts';

/** Where a stream's output ends up: a terminal (live progress bar) or a pipe/file. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** The streams a command writes to (the process's own, or a test's). */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
}

/** What every command gets: the typed client, the output mode and the streams. */
export class CliContext {
  constructor(
    readonly client: TaskwireClient<Families>,
    /** `--json`: one JSON document per command on stdout (JSON lines for `watch`). */
    readonly json: boolean,
    /** `--human`: human output even when stdout is not a terminal (where `watch` would write JSON lines). */
    readonly human: boolean,
    readonly io: CliIo,
  ) {}

  /** One line on stdout. */
  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** One line on stderr (diagnostics, progress of `enqueue --wait`). */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** One JSON document (one line) on stdout. */
  emit(document: unknown): void {
    this.print(formatJson(document));
  }

  /**
   * A command's result: the document as JSON with `--json`, else its human rendering.
   *
   * @example
   * ctx.output(ref, (r) => renderBlock({ ...r }));
   */
  output<T>(document: T, human: (document: T) => string): void {
    if (this.json) this.emit(document);
    else this.print(human(document));
  }
}
