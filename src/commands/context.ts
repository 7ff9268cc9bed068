import type { IO } from '../io.js';

/** What every command receives from the CLI: the terminal, the environment, and Ctrl-C. */
export interface CommandContext {
  io: IO;
  env: NodeJS.ProcessEnv;
  /** Aborted (with an InterruptedError as its reason) on SIGINT or SIGTERM. */
  signal: AbortSignal;
}
