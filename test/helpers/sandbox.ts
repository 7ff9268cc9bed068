/**
 * A sandbox per test: its own config dir with the emulator's OAuth client file, and the
 * environment that points the built CLI at the emulator. Nothing of the developer's own
 * configuration leaks in.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import type { Emulator } from '../emulator/index.js';
import { fakeTerminal, settle } from '../unit/fake-io.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'gmailctl.js');
export const FOLLOW_REDIRECTS = path.join(ROOT, 'test', 'helpers', 'follow-redirects.mjs');

/** Whether a real Secret Service runs (test/with-keyring.sh sets this). */
export const hasSecretService = process.env.GMAILCTL_TEST_SECRET_SERVICE === '1';

/** What a finished CLI run left: its exit code and both streams as text. */
export interface CliResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  configDir: string;
  credentialsFile: string;
  env: Record<string, string>;
  run(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Logs in through the emulator's auto-approved consent; returns the CLI's result. */
  login(args?: string[], options?: RunOptions): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export interface RunOptions extends Pick<Options, 'input' | 'timeout' | 'stdin'> {
  env?: Record<string, string | undefined>;
  /** Sent at the timeout (default SIGTERM); SIGKILL for a CLI that may not even answer SIGTERM. */
  killSignal?: 'SIGKILL';
  /** Flags for node itself, before the CLI's path. */
  nodeArgs?: string[];
}

/** The parts of the parent's environment a child needs; nothing gmailctl-specific. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'GNOME_KEYRING_CONTROL', 'LANG', 'TMPDIR', 'SYSTEMROOT'];
  const env: Record<string, string> = {};
  for (const name of keep) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export interface SandboxOptions {
  store?: 'file' | 'keychain';
  /**
   * Use the message cache (in <dir>/cache). Off unless asked: most tests are about how
   * `list` fetches, and a warm cache would answer their second run without a request.
   * test/e2e/cache.test.ts covers the cache itself.
   */
  cache?: boolean;
  /**
   * How `run` runs the CLI: 'process' (default) spawns the built binary; 'in-process' calls
   * the program's main() with in-memory streams (see runInProcess), for tests whose
   * assertions need no process: no signal, pipe, TTY, keychain, package or start-up.
   */
  runner?: 'process' | 'in-process';
}

export async function createSandbox(emulator: Emulator, options: SandboxOptions = {}): Promise<Sandbox> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-test-'));
  const configDir = path.join(dir, 'config');
  const credentialsFile = path.join(dir, 'credentials.json');
  await writeFile(credentialsFile, JSON.stringify(emulator.credentials()), { mode: 0o600 });
  const env: Record<string, string> = {
    ...baseEnv(),
    HOME: dir,
    GMAILCTL_CONFIG_DIR: configDir,
    GMAILCTL_CREDENTIALS: credentialsFile,
    GMAILCTL_API_ROOT: emulator.url,
    GMAILCTL_TOKEN_STORE: options.store ?? 'file',
    GMAILCTL_BROWSER: `${process.execPath} ${FOLLOW_REDIRECTS}`,
    NO_COLOR: '1',
    ...(options.cache ? { GMAILCTL_CACHE_DIR: path.join(dir, 'cache') } : { GMAILCTL_NO_CACHE: '1' }),
  };
  const sandbox: Sandbox = {
    dir,
    configDir,
    credentialsFile,
    env,
    run(args, runOptions = {}) {
      const run = options.runner === 'in-process' ? runInProcess : runCli;
      return run(args, { ...runOptions, env: { ...env, ...runOptions.env } });
    },
    login(args = [], runOptions = {}) {
      return sandbox.run(['login', '--timeout', '20', ...args], runOptions);
    },
    async cleanup() {
      // Retries: a process the test started may still be finishing a write (ENOTEMPTY).
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
  return sandbox;
}

/** Runs the built CLI as a user would, with exactly the given environment. */
export async function runCli(args: string[], options: RunOptions & { env: Record<string, string | undefined> }): Promise<CliResult> {
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const result = await execa(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    env,
    extendEnv: false,
    reject: false,
    timeout: options.timeout ?? 60_000,
    ...(options.killSignal ? { killSignal: options.killSignal } : {}),
    ...(options.input !== undefined ? { input: options.input } : { stdin: options.stdin ?? 'ignore' }),
    stripFinalNewline: false,
  });
  return { exitCode: result.exitCode, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * Runs the CLI's main() (src/entry/program.ts) in this process, with in-memory streams that are
 * not terminals and stdin holding `input` (or nothing): the same flag parsing, command and
 * exit-code mapping as the binary, in milliseconds instead of a Node start-up. The
 * environment is exactly the given one (the program reads no other). stdout is also kept as
 * bytes, for output that need not be UTF-8.
 */
export async function runInProcess(args: string[], options: RunOptions & { env: Record<string, string | undefined> }): Promise<CliResult & { stdoutBytes: Buffer }> {
  if (options.stdin !== undefined && options.stdin !== 'ignore') throw new Error(`in-process runs have no stdin ${String(options.stdin)}; spawn the binary`);
  if (options.input !== undefined && typeof options.input !== 'string') throw new Error('in-process runs take a string input');
  if (options.nodeArgs || options.killSignal) throw new Error('node flags and kill signals are for the built CLI: use runCli');
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const [{ main }, { observeRequests }] = await Promise.all([import('../../src/entry/program.js'), import('../../src/gmail/timed-fetch.js')]);
  const terminal = fakeTerminal({ env, ...(options.input !== undefined ? { stdin: options.input } : {}) });
  try {
    const exitCode = await main(args, terminal.io);
    await settle();
    return { exitCode, signal: undefined, stdout: terminal.out(), stdoutBytes: terminal.outBytes(), stderr: terminal.err() };
  } finally {
    observeRequests(undefined); // --debug's observer is process-wide: the next run starts without it
  }
}
