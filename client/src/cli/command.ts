import type { CommandOption, OptionReader } from './args.ts';
import type { CliContext } from './context.ts';

/** What a command is given: its positional arguments (after the command words) and its options. */
export interface CommandInput {
  args: string[];
  options: OptionReader;
}

/**
 * One `taskwire` command. `run` resolves with the exit code, or throws (a UsageError or a
 * TaskwireError) for the caller to report.
 *
 * @example
 * export const healthCommand: Command = {
 *   name: 'health', synopsis: 'health', summary: 'API and Redis status', options: [],
 *   args: { min: 0, max: 0 },
 *   run: async (ctx) => { ctx.output(await ctx.client.health(), renderHealth); return 0; },
 * };
 */
export interface Command {
  /** The command words, e.g. `dead-letter replay`. */
  name: string;
  /** The arguments after the name, as `--help` shows them. */
  synopsis: string;
  /** One line for the overall help. */
  summary: string;
  /** The rest of the command's help: what its options mean, an example. */
  details?: string;
  /** The command options (beyond the global ones) it accepts. */
  options: readonly CommandOption[];
  /** How many positional arguments it takes. */
  args: { min: number; max: number };
  run(ctx: CliContext, input: CommandInput): Promise<number>;
}
