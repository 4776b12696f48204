import type { Command } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { EXIT_CODES_HELP } from './exit-codes.ts';

/** Where the CLI finds the API when neither --url nor TASKWIRE_URL says. */
export const DEFAULT_URL = 'http://127.0.0.1:3000/trpc';

const GLOBAL_HELP = `Global options:
  --config FILE  the deployment's taskwire.config.{ts,mjs,js} (env TASKWIRE_CONFIG; default: the one here)
  --url URL      the API's tRPC endpoint (env TASKWIRE_URL; default ${DEFAULT_URL})
  --token T      bearer token (env TASKWIRE_TOKEN; prefer the variable: argv is visible to others)
  --json         machine output: one JSON document on stdout (watch: one JSON line per event);
                 Dates as ISO 8601 strings, bigints as decimal strings, Maps as [[key, value], …],
                 Sets as arrays — the forms enqueue accepts back. Errors: {"error":{code,message,issues}}
  --human        human output even when stdout is not a terminal (watch)
  -h, --help     help (also: taskwire help <command>)`;

const ERRORS_HELP = `Errors go to stderr as 'taskwire: <CODE>: <message>', then '  <path>: <message>' per invalid
field; CODE is from the taskwire error table, or USAGE for a bad command line.`;

/** `taskwire --help`: every command, the global options, the exit codes. */
export function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `taskwire: typed background jobs from the command line

Usage: taskwire <command> [arguments] [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Tasks are named <family>.<task>, e.g. reports.generate; job ids are as enqueue prints them.
'taskwire <command> --help' shows a command's arguments and options.

${GLOBAL_HELP}

${ERRORS_HELP}

${EXIT_CODES_HELP}`;
}

/** `taskwire <command> --help`. */
export function commandHelp(command: Command): string {
  return `Usage: taskwire ${command.synopsis}

${command.summary}.${command.details ? `\n\n${command.details}` : ''}

${GLOBAL_HELP}

${EXIT_CODES_HELP}`;
}

/** `taskwire schedules --help`: the sub-commands of a group. */
export function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return `Usage:
${commands.map((c) => `  taskwire ${c.synopsis}\n      ${c.summary}`).join('\n')}

'taskwire ${group} <sub-command> --help' for more; 'taskwire --help' for the global options and exit codes.`;
}
