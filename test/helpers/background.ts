/**
 * A CLI run that keeps going while the test acts on it (a login waiting for its callback):
 * stderr is watched as it arrives, so the test can wait for the consent URL.
 */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { CLI, ROOT } from './sandbox.js';

const FLOODER = path.join(ROOT, 'test', 'helpers', 'listener-flooder.mjs');

export interface BackgroundRun {
  child: ResultPromise;
  stderr(): string;
  stdout(): string;
  /** Resolves with the first match of `pattern` in stderr. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves once stdout holds `text` (checked every 20 ms); rejects if the CLI exits or `timeoutMs` passes first. */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
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
    waitForStdout(text, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let exited = false;
      child.finally(() => (exited = true)).catch(() => undefined);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (out.includes(text)) resolve();
          else if (exited || Date.now() > deadline) reject(new Error(`stdout never held ${JSON.stringify(text)}; it was:\n${out}`));
          else setTimeout(check, 20);
        };
        check();
      });
    },
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

/** Another local user who keeps `count` connections to the listener open, each with a partial request (test/helpers/listener-flooder.mjs). */
export async function startFlooder(port: string, count: number, partialRequest: string): Promise<{ stop(): Promise<string> }> {
  const flooder = execa(process.execPath, [FLOODER, port, String(count), partialRequest], { reject: false });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    flooder.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('holding')) resolve();
    });
    void flooder.then((result) => reject(new Error(`the flooder ended first: ${result.stderr}`)));
  });
  return {
    async stop() {
      flooder.kill('SIGTERM');
      return String((await flooder).stdout);
    },
  };
}
