import type { IO } from '../io.js';

/** What every command receives from the CLI: the terminal, the environment, and Ctrl-C. */
export interface CommandContext {
  io: IO;
  env: NodeJS.ProcessEnv;
  /** Aborted (with an InterruptedError as its reason) on SIGINT or SIGTERM. */
  signal: AbortSignal;
}

/**
 * Gives a command its context when it runs (after the global flags are parsed). Each
 * command module exports `<name>Command(context)`, which builds its commander command.
 */
export type ContextSource = () => CommandContext;
