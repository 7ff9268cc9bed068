import type { IO } from '../basics/io.js';

/**
 * What a command says when a locked keychain shows its unlock prompt: the person may be
 * looking elsewhere (an SSH session, while the prompt opens on the desktop).
 */
export function unlockPromptNotice(io: IO): (waitMs: number) => void {
  return (waitMs) =>
    io.warn(`The keychain is locked: unlock it in the prompt on your desktop (gmailctl waits up to ${Math.round(waitMs / 100) / 10} s; Ctrl-C stops it).`);
}

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
