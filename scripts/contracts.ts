/**
 * `npm run contracts:check`: compares the task contracts with `contracts.lock.json` and exits 1,
 * naming the task and the path in the schema, on a change that would break jobs already queued
 * (or deployed clients) without a version bump and a migration, or when the lock is out of date.
 *
 * `npm run contracts:update [-- --accept-breaking]`: rewrites the lock after an accepted change.
 * It refuses breaking changes unless `--accept-breaking` says the queues are known to be empty.
 *
 * Both name what a contract uses that the lock cannot record (`⚠ unchecked`), without failing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildLock, type ContractReport, checkContracts, EMPTY_LOCK, formatLock, parseLock } from '@taskwire/shared/evolution';
import { families } from '@taskwire/shared/tasks';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { lock: { type: 'string', default: 'contracts.lock.json' }, 'accept-breaking': { type: 'boolean', default: false } },
});
const command = positionals[0];
const path = values.lock;

function print(report: ContractReport): void {
  for (const problem of report.problems) {
    const mark = problem.severity === 'breaking' ? '✗ BREAKING' : '• out of date';
    console.log(`${mark}  ${problem.task}: ${problem.message}`);
  }
  for (const note of report.notes) console.log(`note  ${note}`);
  // Not failures: places where a change would go unseen, so a reviewer knows to look.
  for (const warning of report.warnings) {
    const where = warning.path ? `${warning.part} at '${warning.path}'` : warning.part;
    console.log(`⚠ unchecked  ${warning.task}: ${where}: ${warning.message}`);
  }
}

const lock = existsSync(path) ? parseLock(readFileSync(path, 'utf8')) : EMPTY_LOCK;
const report = checkContracts(families, lock);
const breaking = report.problems.filter((p) => p.severity === 'breaking');

if (command === 'check') {
  print(report);
  if (report.problems.length === 0) {
    console.log(`contracts: ${report.tasks} tasks match ${path}`);
    process.exit(0);
  }
  console.log(
    `\ncontracts: ${breaking.length} breaking, ${report.problems.length - breaking.length} out of date` +
      (breaking.length ? ' — see "Changing a task safely" in the README' : ` — run npm run contracts:update and commit ${path}`),
  );
  process.exit(1);
} else if (command === 'update') {
  if (breaking.length > 0 && !values['accept-breaking']) {
    print({ ...report, problems: breaking });
    console.log(
      `\ncontracts: not updating ${path}: ${breaking.length} breaking change(s). Bump the version and add a migration, or pass --accept-breaking if no jobs of the old contract can be queued.`,
    );
    process.exit(1);
  }
  const next = buildLock(families, lock);
  const text = formatLock(next);
  const changed = !existsSync(path) || readFileSync(path, 'utf8') !== text;
  if (changed) writeFileSync(path, text);
  print({ ...report, problems: [] });
  console.log(`contracts: ${changed ? 'wrote' : 'unchanged'} ${path} (${Object.keys(next.tasks).length} tasks)`);
} else {
  console.error('usage: contracts check | update [--accept-breaking] [--lock <path>]');
  process.exit(2);
}
