import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from '../command.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { UsageError } from '../usage-error.ts';

type Evolution = typeof import('@taskwire/shared/evolution');
type ContractReport = ReturnType<Evolution['checkContracts']>;

/**
 * The deployment's contracts compared with its lock file (or a usage error saying how to name
 * the deployment): the report, and what `update` needs to write the lock.
 */
async function compare(ctx: CliContext, command: string, lockOption: string | undefined) {
  const { registry, lockFile } = ctx.catalog;
  if (!registry) {
    throw new UsageError(
      `'${command}' compares a deployment's contracts: pass --config <taskwire.config.ts> (env TASKWIRE_CONFIG)`,
      command,
    );
  }
  const path = lockOption ?? lockFile ?? 'contracts.lock.json';
  const evolution: Evolution = await import('@taskwire/shared/evolution');
  const lock = existsSync(path) ? evolution.parseLock(readFileSync(path, 'utf8')) : evolution.EMPTY_LOCK;
  const report = evolution.checkContracts(registry, lock);
  return { evolution, registry, lock, report, path, shown: relative(process.cwd(), path) || path };
}

function print(ctx: CliContext, report: ContractReport): void {
  for (const problem of report.problems) {
    const mark = problem.severity === 'breaking' ? '✗ BREAKING' : '• out of date';
    ctx.print(`${mark}  ${problem.task}: ${problem.message}`);
  }
  for (const note of report.notes) ctx.print(`note  ${note}`);
  // Not failures: places where a change would go unseen, so a reviewer knows to look.
  for (const warning of report.warnings) {
    const where = warning.path ? `${warning.part} at '${warning.path}'` : warning.part;
    ctx.print(`⚠ unchecked  ${warning.task}: ${where}: ${warning.message}`);
  }
}

/**
 * `taskwire contracts check`: compares the deployment's contracts with its lock file and exits 1,
 * naming the task and the path in the schema, on a change that would break jobs already queued
 * (or deployed clients) without a version bump and a migration, or when the lock is out of date.
 * Names what a contract uses that the lock cannot record (`⚠ unchecked`), without failing.
 */
export const contractsCheckCommand: Command = {
  name: 'contracts check',
  synopsis: 'contracts check [--lock FILE]',
  summary: "compare the deployment's contracts with its lock file (exit 1 on a breaking or unrecorded change)",
  details: `  --lock FILE    the lock file (default: contracts.lock.json next to the config file)`,
  options: ['lock'],
  args: { min: 0, max: 0 },
  async run(ctx, { options }) {
    const { report, shown } = await compare(ctx, 'contracts check', options.string('lock'));
    print(ctx, report);
    if (report.problems.length === 0) {
      ctx.print(`contracts: ${report.tasks} tasks match ${shown}`);
      return EXIT.ok;
    }
    const breaking = report.problems.filter((p) => p.severity === 'breaking').length;
    ctx.print(
      `\ncontracts: ${breaking} breaking, ${report.problems.length - breaking} out of date` +
        (breaking ? ' — see "Changing a task safely" in the README' : ` — run taskwire contracts update and commit ${shown}`),
    );
    return EXIT.failed;
  },
};

/**
 * `taskwire contracts update [--accept-breaking]`: rewrites the lock after an accepted change. It
 * refuses breaking changes unless `--accept-breaking` says the queues are known to be empty.
 */
export const contractsUpdateCommand: Command = {
  name: 'contracts update',
  synopsis: 'contracts update [--lock FILE] [--accept-breaking]',
  summary: 'record the contracts in the lock file after an accepted change',
  details: `  --lock FILE         the lock file (default: contracts.lock.json next to the config file)
  --accept-breaking   write it even with breaking changes (only when no job of the old contract can be queued)`,
  options: ['lock', 'accept-breaking'],
  args: { min: 0, max: 0 },
  async run(ctx, { options }) {
    const { evolution, registry, lock, report, path, shown } = await compare(ctx, 'contracts update', options.string('lock'));
    const breaking = report.problems.filter((p) => p.severity === 'breaking');
    if (breaking.length > 0 && !options.flag('accept-breaking')) {
      print(ctx, { ...report, problems: breaking });
      ctx.print(
        `\ncontracts: not updating ${shown}: ${breaking.length} breaking change(s). Bump the version and add a migration, or pass --accept-breaking if no jobs of the old contract can be queued.`,
      );
      return EXIT.failed;
    }
    const next = evolution.buildLock(registry, lock);
    const text = evolution.formatLock(next);
    const changed = !existsSync(path) || readFileSync(path, 'utf8') !== text;
    if (changed) writeFileSync(path, text);
    print(ctx, { ...report, problems: [] });
    ctx.print(`contracts: ${changed ? 'wrote' : 'unchanged'} ${shown} (${Object.keys(next.tasks).length} tasks)`);
    return EXIT.ok;
  },
};
