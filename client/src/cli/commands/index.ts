import type { Command } from '../command.ts';
import { contractsCheckCommand, contractsUpdateCommand } from './contracts.ts';
import { deadLetterListCommand, deadLetterReplayCommand } from './dead-letter.ts';
import { enqueueCommand } from './enqueue.ts';
import { getCommand } from './get.ts';
import { healthCommand } from './health.ts';
import { cancelCommand, removeCommand, retryCommand } from './job-actions.ts';
import { listCommand } from './list.ts';
import { pauseCommand, resumeCommand, statsCommand } from './queues.ts';
import { schedulesListCommand, schedulesRemoveCommand, schedulesUpsertCommand } from './schedules.ts';
import { watchCommand } from './watch.ts';

/** Every command, in the order `taskwire --help` lists them. */
export const COMMANDS: readonly Command[] = [
  enqueueCommand,
  getCommand,
  watchCommand,
  listCommand,
  retryCommand,
  cancelCommand,
  removeCommand,
  statsCommand,
  pauseCommand,
  resumeCommand,
  deadLetterListCommand,
  deadLetterReplayCommand,
  schedulesListCommand,
  schedulesUpsertCommand,
  schedulesRemoveCommand,
  healthCommand,
  contractsCheckCommand,
  contractsUpdateCommand,
];

/** Command words that only group sub-commands: `dead-letter`, `schedules`. */
export const GROUPS: readonly string[] = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];

/**
 * The command named by the first positional arguments, and how many words its name took.
 *
 * @example
 * findCommand(['schedules', 'list', 'email.send']); // { command: schedulesListCommand, words: 2 }
 */
export function findCommand(positionals: readonly string[]): { command: Command; words: number } | undefined {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(' ');
    const command = positionals.length >= words ? COMMANDS.find((c) => c.name === name) : undefined;
    if (command) return { command, words };
  }
  return undefined;
}
