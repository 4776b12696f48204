/**
 * `taskwire <command> …`: the command line of taskwire, built on the typed client. Run it as
 * `npm run cli -- <command>`, `node client/bin/taskwire.js <command>` or, installed, `taskwire`.
 * `taskwire --help` lists the commands, the global options and the exit codes.
 */
import { EXIT } from './exit-codes.ts';
import { runCli } from './run-cli.ts';

// Ctrl-C stops waiting or watching; the job itself keeps running.
process.once('SIGINT', () => {
  process.stderr.write('\n');
  process.exit(EXIT.interrupted);
});
// `taskwire list | head -1`: a reader that went away is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, process.env);
// Exit once the output is flushed: an idle keep-alive socket must not keep the command alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
