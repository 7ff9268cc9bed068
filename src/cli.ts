/**
 * The process entry (bin/gmailctl.js). `gmailctl --version` is answered from here without
 * loading the command line parser or anything else: scripts call it in loops, and it should
 * cost no more than starting Node. Everything else goes to the program (src/program.ts).
 */
import { packageVersion } from './version.js';

/** Runs the command line, lets stdout drain, and exits with the command's code. */
export async function run(argv: string[] = process.argv.slice(2)): Promise<never> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${packageVersion()}\n`);
    process.exit(0);
  }
  const [{ main }, { IO }] = await Promise.all([import('./program.js'), import('./io.js')]);
  const io = new IO();
  const code = await main(argv, io);
  if (!io.stdoutClosed.aborted) {
    await new Promise<void>((resolve) => {
      io.stdout.write('', () => resolve());
    });
  }
  // Exit explicitly: keep-alive sockets or a paused stdin must not hold the process open.
  process.exit(code);
}
