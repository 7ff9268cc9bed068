/**
 * Opens the consent URL: GMAILCTL_BROWSER, then BROWSER (a command given the URL as its
 * last argument), else the system's default browser through the `open` package.
 * The URL holds no secret (state and the PKCE challenge are single-use and useless alone),
 * and the child's environment is stripped of every variable that might hold one.
 */
import { spawn } from 'node:child_process';

export function browserCommand(env: NodeJS.ProcessEnv): string | undefined {
  return env.GMAILCTL_BROWSER || env.BROWSER || undefined;
}

export async function openInBrowser(url: string, env: NodeJS.ProcessEnv): Promise<void> {
  const command = browserCommand(env);
  const childEnv = environmentWithoutSecrets(env);
  if (!command) {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve());
      // `open` may hand back a child that has already spawned.
      if (child.pid !== undefined) resolve();
    });
    child.unref();
    return;
  }
  // The command may carry its own arguments ("firefox --new-window"), so a shell splits
  // it; the URL goes in as "$1", never spliced into the command text.
  const child = spawn('/bin/sh', ['-c', `${command} "$1"`, 'gmailctl-browser', url], {
    stdio: 'ignore',
    detached: true,
    env: childEnv,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  // A launcher that fails at once (command not found) is worth reporting; one that keeps
  // running (the browser itself) is left alone.
  const early = await Promise.race([
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 300).unref()),
  ]);
  child.unref();
  if (early !== 'running' && early !== 0) {
    throw new Error(`the browser command "${command}" exited with status ${early}`);
  }
}

const SECRET_VARIABLES = /^(GMAILCTL_(REFRESH_TOKEN|ACCESS_TOKEN|CLIENT_SECRET|CLIENT_ID)|.*(_TOKEN|_SECRET|_PASSWORD))$/i;

export function environmentWithoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SECRET_VARIABLES.test(name)));
}
