/**
 * What a command is given: the terminal, the environment's settings, Ctrl-C, and getters that
 * build — once, on first use — what commands need: the settings from the environment, the
 * login the environment makes, config.json, the workspace (with the token store), the account,
 * the session for it, and the mailbox. As gh's cmdutil.Factory: a command asks for what it
 * needs and nothing more is loaded (each getter imports its modules itself, so `--help` loads
 * none of them), and a test hands a command a context whose getters answer with fakes.
 */
import type { Mailbox } from '../auth/mailbox.js';
import type { EnvironmentLogin, Session } from '../auth/session.js';
import type { Settings } from '../basics/config.js';
import { googleSettings, type GoogleSettings } from '../basics/environment.js';
import type { IO } from '../basics/io.js';
import type { Workspace, WorkspaceOptions } from '../store/workspace.js';

export interface CommandContext {
  readonly io: IO;
  /**
   * The environment, for the lower layers that read their own variables (paths, the browser
   * command, the cache switch). A command reads no variable itself: it asks a getter below.
   */
  readonly env: NodeJS.ProcessEnv;
  /** Aborted (with an InterruptedError as its reason) on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Settings for Google and the keychain from GMAILCTL_* variables, parsed once. */
  google(): GoogleSettings;
  /** The login that GMAILCTL_REFRESH_TOKEN or GMAILCTL_ACCESS_TOKEN make, if set: it is the only one used then. */
  environmentLogin(): Promise<EnvironmentLogin | undefined>;
  /**
   * For what acts on the stored logins only (logout, switch): refuses a login from the
   * environment, saying what was not done (`consequence`) and, given the variables' names, what to do.
   */
  refuseEnvironmentLogin(consequence: string, hint: (variables: string) => string): Promise<void>;
  /** The config dir and config.json, read once. */
  config(): Promise<{ configDir: string; settings: Settings }>;
  /** The account a command acts on: --account, then GMAILCTL_ACCOUNT, then the default; spelled as stored. */
  account(flag: string | undefined): Promise<string | undefined>;
  /** GMAILCTL_ACCOUNT, if set: it overrides the default account while it is. */
  accountFromEnvironment(): Promise<string | undefined>;
  /** config.json and the token store it chooses (login's --insecure-storage forces the file store). */
  workspace(options?: Pick<WorkspaceOptions, 'forceStore'>): Promise<Workspace>;
  /** The authorized session for --account (or the default), from the environment or the store. */
  session(account: string | undefined): Promise<Session>;
  /**
   * The mailbox of that session: the Gmail client, the quota pacer, batching. Its requests
   * stop on Ctrl-C and when the reader of stdout goes away.
   */
  mailbox(account: string | undefined): Promise<Mailbox>;
}

/**
 * Gives a command its context when it runs (after the global flags are parsed). Each
 * command module exports `<name>Command(context)`, which builds its commander command.
 */
export type ContextSource = () => CommandContext;

/** What the CLI starts from; the getters are built on it. */
interface ContextBase {
  io: IO;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * The context of one run. `overrides` replace getters (a test's in-memory mailbox); the
 * others still build on first use and answer the same thing every time after.
 */
export function createContext(base: ContextBase, overrides: Partial<Omit<CommandContext, 'io' | 'env' | 'signal'>> = {}): CommandContext {
  const { io, env, signal } = base;
  const once = <T>(build: () => T): (() => T) => {
    let built: { value: T } | undefined;
    return () => (built ??= { value: build() }).value;
  };
  const perKey = <T>(build: (key: string | undefined) => Promise<T>): ((key: string | undefined) => Promise<T>) => {
    const built = new Map<string, Promise<T>>();
    return (key) => {
      const id = key ?? '';
      let value = built.get(id);
      if (!value) built.set(id, (value = build(key)));
      return value;
    };
  };
  const onUnlockPrompt = unlockPromptNotice(io);

  const context: CommandContext = {
    io,
    env,
    signal,
    google: once(() => googleSettings(env)),
    environmentLogin: once(async () => {
      const { environmentLogin } = await import('../auth/session.js');
      return environmentLogin(env, context.google());
    }),
    async refuseEnvironmentLogin(consequence, hint) {
      const login = await context.environmentLogin();
      if (!login) return;
      const { UsageError } = await import('../basics/errors.js');
      throw new UsageError(`The login comes from the environment (${login.variables}): ${consequence}`, { hint: hint(login.variables) });
    },
    config: once(async () => {
      const { loadSettings, resolveConfigDir } = await import('../basics/config.js');
      const configDir = resolveConfigDir(env);
      return { configDir, settings: await loadSettings(configDir) };
    }),
    async account(flag) {
      const [{ chooseAccount }, { settings }] = await Promise.all([import('../basics/config.js'), context.config()]);
      return chooseAccount(flag, env, settings);
    },
    async accountFromEnvironment() {
      const { accountFromEnvironment } = await import('../basics/config.js');
      return accountFromEnvironment(env);
    },
    workspace: perKeyWorkspace(),
    session: perKey(async (account) => {
      const [{ openSession }, fromEnvironment] = await Promise.all([import('../auth/session.js'), context.environmentLogin()]);
      return openSession({ env, google: context.google(), account, fromEnvironment, workspace: () => context.workspace() });
    }),
    mailbox: perKey(async (account) => {
      const [{ openMailbox }, { preloadGoogleLibraries }] = await Promise.all([import('../auth/mailbox.js'), import('../libraries/load.js')]);
      // Compiling Google's libraries overlaps with reading config.json and the stored login.
      preloadGoogleLibraries();
      const session = await context.session(account);
      return openMailbox({ session, env, signal: AbortSignal.any([signal, io.stdoutClosed]), debug: (line) => io.debug(line) });
    }),
    ...overrides,
  };

  function perKeyWorkspace(): CommandContext['workspace'] {
    const open = perKey(async (forceStore) => {
      const [{ openWorkspace }, config] = await Promise.all([import('../store/workspace.js'), context.config()]);
      return openWorkspace(config, env, context.google(), { ...(forceStore === 'file' ? { forceStore: 'file' as const } : {}), onUnlockPrompt });
    });
    return (options) => open(options?.forceStore);
  }
  return context;
}

/**
 * What a command says when a locked keychain shows its unlock prompt: the person may be
 * looking elsewhere (an SSH session, while the prompt opens on the desktop).
 */
function unlockPromptNotice(io: IO): (waitMs: number) => void {
  return (waitMs) =>
    io.warn(`The keychain is locked: unlock it in the prompt on your desktop (gmailctl waits up to ${Math.round(waitMs / 100) / 10} s; Ctrl-C stops it).`);
}
