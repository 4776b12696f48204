/**
 * The command line: global options, every command's options, and readers for option values
 * that turn bad ones into usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  config: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  human: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Options of particular commands; each command lists the ones it accepts. */
export const COMMAND_OPTIONS = {
  'delay-ms': { type: 'string' },
  'run-at': { type: 'string' },
  priority: { type: 'string' },
  'idempotency-key': { type: 'string' },
  attempts: { type: 'string' },
  'timeout-ms': { type: 'string' },
  wait: { type: 'boolean' },
  family: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  cursor: { type: 'string' },
  all: { type: 'boolean' },
  cron: { type: 'string' },
  tz: { type: 'string' },
  'every-ms': { type: 'string' },
  lock: { type: 'string' },
  'accept-breaking': { type: 'boolean' },
} as const;

/** The name of a command option, without its dashes: `delay-ms`, `family`… */
export type CommandOption = keyof typeof COMMAND_OPTIONS;

/** A command line, parsed: the command words and arguments, the global options, the command options. */
export interface ParsedArgs {
  positionals: string[];
  /** The deployment's config file (its registry). */
  config: string | undefined;
  url: string | undefined;
  token: string | undefined;
  json: boolean;
  human: boolean;
  help: boolean;
  /** Command options as given (strings, or `true` for flags). */
  options: Partial<Record<CommandOption, string | boolean>>;
}

/**
 * Parses argv (without `node` and the script). Options may come before or after the command.
 *
 * @example
 * parseCliArgs(['--json', 'list', '--state', 'failed']);
 */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw parseFailure(error as Error);
  }
  const { values, positionals } = parsed;
  const options: ParsedArgs['options'] = {};
  for (const name of Object.keys(COMMAND_OPTIONS) as CommandOption[]) {
    if (values[name] !== undefined) options[name] = values[name];
  }
  return {
    positionals,
    config: values.config,
    url: values.url,
    token: values.token,
    json: values.json === true,
    human: values.human === true,
    help: values.help === true,
    options,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS }, allowPositionals: true, strict: true });
}

/** A parse error in a few words. */
function parseFailure(error: Error): UsageError {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  return new UsageError(unknown ? `unknown option '${unknown[1]}'` : (error.message.split('\n')[0] ?? 'bad arguments'));
}

/** The positional arguments of a command line that may not parse (to name the command in an error). */
export function positionalsOf(argv: readonly string[]): string[] {
  return parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS }, allowPositionals: true, strict: false })
    .positionals;
}

/** Reads the options of one command, naming the command in every usage error. */
export class OptionReader {
  constructor(
    private readonly options: ParsedArgs['options'],
    private readonly command: string,
  ) {}

  usage(message: string): UsageError {
    return new UsageError(message, this.command);
  }

  has(name: CommandOption): boolean {
    return this.options[name] !== undefined;
  }

  flag(name: CommandOption): boolean {
    return this.options[name] === true;
  }

  string(name: CommandOption): string | undefined {
    const value = this.options[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** An integer option, at least `min`; bounds beyond that are the API's to check. */
  integer(name: CommandOption, min: number): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) throw this.usage(`--${name} must be an integer, got '${raw}'`);
    if (value < min) throw this.usage(`--${name} must be at least ${min}, got ${value}`);
    return value;
  }

  /** An ISO 8601 instant. */
  date(name: CommandOption): Date | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const date = new Date(raw);
    if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(date.getTime())) {
      throw this.usage(`--${name} must be an ISO 8601 date-time (e.g. 2030-01-01T09:00:00Z), got '${raw}'`);
    }
    return date;
  }

  /** One of a closed set of values. */
  choice<const T extends string>(name: CommandOption, choices: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!(choices as readonly string[]).includes(raw)) throw this.usage(`--${name} must be one of ${choices.join(', ')}; got '${raw}'`);
    return raw as T;
  }
}

/**
 * A JSON argument: inline JSON, `@file` (read from a file) or `-` (read from stdin).
 *
 * @example
 * readJsonArgument('{"nonce":"n","sentAt":"2030-01-01T00:00:00Z"}', 'enqueue');
 */
export function readJsonArgument(raw: string, command: string): unknown {
  let text = raw;
  try {
    if (raw === '-') text = readFileSync(0, 'utf8');
    else if (raw.startsWith('@')) text = readFileSync(raw.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the input ${raw === '-' ? 'from stdin' : `file '${raw.slice(1)}'`}: ${(error as Error).message}`,
      command,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the input is not valid JSON: ${(error as Error).message}`, command);
  }
}
