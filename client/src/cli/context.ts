import type { Registry } from '@taskwire/shared';
import type { TaskwireClient } from '../runtime/client.ts';
import type { Catalog } from './catalog.ts';
import { formatJson } from './json.ts';

/** Where a stream's output ends up: a terminal (live progress bar) or a pipe/file. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean };

/** The streams a command writes to (the process's own, or a test's). */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
}

/** What every command gets: the client, the deployment's catalog, the output mode and the streams. */
export class CliContext {
  constructor(
    readonly client: TaskwireClient<Registry>,
    /** The deployment's tasks and families, when a config was found (see Catalog). */
    readonly catalog: Catalog,
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
