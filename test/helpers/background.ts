/**
 * A CLI run that keeps going while the test acts on it (a login waiting for its callback):
 * stderr is watched as it arrives, so the test can wait for the consent URL.
 */
import { execa, type ResultPromise } from 'execa';
import { CLI } from './sandbox.js';

export interface BackgroundRun {
  child: ResultPromise;
  stderr(): string;
  stdout(): string;
  /** Resolves with the first match of `pattern` in stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The consent URL the login printed, and the redirect_uri inside it. */
  authUrl(): Promise<{ url: URL; redirectUri: URL; state: string }>;
}

export function startCli(args: string[], env: Record<string, string>, options: { stdin?: 'pipe' | 'ignore' } = {}): BackgroundRun {
  const child = execa(process.execPath, [CLI, ...args], {
    env,
    extendEnv: false,
    reject: false,
    stdin: options.stdin ?? 'pipe',
    timeout: 60_000,
  });
  let err = '';
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const run: BackgroundRun = {
    child,
    stderr: () => err,
    stdout: () => out,
    waitForStderr(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const match = err.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
          return Boolean(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`stderr never matched ${pattern}; it was:\n${err}`));
        }, timeoutMs);
        const onExit = (): void => {
          if (!check()) {
            cleanup();
            reject(new Error(`the CLI exited before stderr matched ${pattern}; it was:\n${err}`));
          }
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stderr?.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stderr?.on('data', check);
        child.once('exit', onExit);
      });
    },
    async authUrl() {
      const [line] = await run.waitForStderr(/^https?:\/\/\S+\/o\/oauth2\/v2\/auth\?\S+$/m);
      const url = new URL(line);
      return { url, redirectUri: new URL(url.searchParams.get('redirect_uri') ?? ''), state: url.searchParams.get('state') ?? '' };
    },
  };
  return run;
}

/** Asks the emulator's (auto-approving) consent endpoint for its redirect, without following it. */
export async function consentRedirect(authUrl: URL): Promise<URL> {
  const response = await fetch(authUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) throw new Error(`consent answered ${response.status}, not a redirect`);
  return new URL(location);
}
