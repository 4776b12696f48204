import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Registry } from '@taskwire/shared';
import { CONFIG_FILES, ConfigError, loadDeployment } from '@taskwire/shared/node';
import { createClient } from '../node.ts';
import { OptionReader, type ParsedArgs, parseCliArgs, positionalsOf } from './args.ts';
import { Catalog } from './catalog.ts';
import { COMMANDS, findCommand, GROUPS } from './commands/index.ts';
import { CliContext, type CliIo } from './context.ts';
import { EXIT } from './exit-codes.ts';
import { commandHelp, DEFAULT_URL, groupHelp, overallHelp } from './help.ts';
import { formatJson } from './json.ts';
import { reportError } from './report-error.ts';
import { UsageError } from './usage-error.ts';

/**
 * Runs one `taskwire` command line and resolves with its exit code; never throws. Everything it
 * prints goes to `io`.
 *
 * @example
 * process.exitCode = await runCli(['stats', '--json'], { stdout: process.stdout, stderr: process.stderr }, process.env);
 */
export async function runCli(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const early = { json: argv.includes('--json'), io, emit: (document: unknown) => io.stdout.write(`${formatJson(document)}\n`) };
  let parsed: ParsedArgs;
  try {
    parsed = parseCliArgs(argv);
    const help = helpFor(parsed);
    if (help !== undefined) {
      io.stdout.write(`${help}\n`);
      return EXIT.ok;
    }
  } catch (error) {
    const command = findCommand(positionalsOf(argv))?.command.name;
    const named = error instanceof UsageError && !error.command && command ? new UsageError(error.message, command) : error;
    return reportError(early, named);
  }
  if (parsed.positionals.length === 0) {
    io.stderr.write(`${overallHelp()}\n`);
    return EXIT.usage;
  }
  let ctx: CliContext | undefined;
  try {
    const { command, args } = commandOf(parsed);
    const url = parsed.url ?? (env.TASKWIRE_URL || DEFAULT_URL);
    if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
    const token = parsed.token ?? (env.TASKWIRE_TOKEN || undefined);
    const catalog = await catalogFor(parsed.config ?? (env.TASKWIRE_CONFIG || undefined));
    ctx = new CliContext(createClient<Registry>({ url, ...(token ? { token } : {}) }), catalog, parsed.json, parsed.human, io);
    return await command.run(ctx, { args, options: new OptionReader(parsed.options, command.name) });
  } catch (error) {
    return reportError(ctx ?? early, error);
  }
}

/** The deployment named by `--config` (or `TASKWIRE_CONFIG`), else the config file here if there is one. */
async function catalogFor(config: string | undefined): Promise<Catalog> {
  if (config === undefined && !CONFIG_FILES.some((name) => existsSync(resolve(name)))) return new Catalog(undefined);
  try {
    const deployment = await loadDeployment(config);
    return new Catalog(deployment.config.registry, deployment.file, deployment.lockFile);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** The help text asked for (`--help`, `help [command]`), if any. */
function helpFor(parsed: ParsedArgs): string | undefined {
  const [first, ...rest] = parsed.positionals;
  const topic = first === 'help' ? rest : parsed.help ? parsed.positionals : undefined;
  if (topic === undefined) return undefined;
  if (topic.length === 0) return overallHelp();
  const found = findCommand(topic);
  if (found) return commandHelp(found.command);
  if (topic.length === 1 && GROUPS.includes(topic[0]!)) return groupHelp(topic[0]!);
  throw unknownCommand(topic);
}

/** The command a command line names, with its arguments checked against it. */
function commandOf(parsed: ParsedArgs) {
  const found = findCommand(parsed.positionals);
  if (!found) throw unknownCommand(parsed.positionals);
  const { command, words } = found;
  const foreign = Object.keys(parsed.options).find((name) => !(command.options as readonly string[]).includes(name));
  if (foreign) throw new UsageError(`'${command.name}' does not take --${foreign}`, command.name);
  const args = parsed.positionals.slice(words);
  if (args.length < command.args.min) throw new UsageError(`missing arguments; usage: taskwire ${command.synopsis}`, command.name);
  if (args.length > command.args.max) throw new UsageError(`unexpected argument '${args[command.args.max]}'`, command.name);
  return { command, args };
}

function unknownCommand(words: readonly string[]): UsageError {
  const [first, second] = words;
  if (first && GROUPS.includes(first)) {
    const subs = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name.slice(first.length + 1));
    return new UsageError(
      second === undefined
        ? `'${first}' needs a sub-command: ${subs.join(', ')}`
        : `unknown sub-command '${first} ${second}'; try: ${subs.join(', ')}`,
      first,
    );
  }
  return new UsageError(`unknown command '${first}'; commands: ${[...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))].join(', ')}`);
}
