/**
 * The process entry (bin/gmailctl.js). `gmailctl --version` is answered from here without
 * loading the command line parser or anything else: scripts call it in loops, and it should
 * cost no more than starting Node. Everything else goes to the program (src/program.ts),
 * through src/app.ts.
 */
import { packageVersion } from './version.js';
import { describeWriteFailure, isClosedReader, stdoutClosedAtStart } from './stdout-state.js';

/** Runs the command line, lets stdout drain, and exits with the command's code. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<never> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return printVersion();
  const { main, IO, useCodeCache, saveCodeCaches } = await import('./app.js');
  const io = new IO();
  useCodeCache(io.env);
  const code = await main(argv, io); // main() waits for stdout to drain
  // After the command: what V8 compiled for it goes to the code cache for the next run.
  await saveCodeCaches();
  // Exit explicitly: keep-alive sockets or a paused stdin must not hold the process open.
  process.exit(code);
}

/** `gmailctl --version`: exit 0 once the line is written, 1 with one line if it cannot be. */
function printVersion(): Promise<never> {
  const fail = (error: NodeJS.ErrnoException): never => {
    if (isClosedReader(error)) process.exit(0);
    process.stderr.write(`error: ${describeWriteFailure(error)}\n`);
    process.exit(1);
  };
  if (stdoutClosedAtStart()) fail(Object.assign(new Error('stdout is closed'), { code: 'EBADF' }));
  process.stdout.on('error', fail);
  process.stdout.write(`${packageVersion()}\n`, (error) => (error ? fail(error) : process.exit(0)));
  return new Promise<never>(() => undefined);
}
