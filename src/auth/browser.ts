/**
 * Opens the consent page in a browser without putting the consent URL in any process's
 * argv: /proc/PID/cmdline is readable by every local user, and the URL's `state` and PKCE
 * challenge are all another user needs to slip a code for *their* account into this login
 * (login CSRF, RFC 9700 §4.5.4). So the browser is handed the path of a 0600 page, in a
 * 0700 directory of its own, that forwards to the consent URL; the page is removed when the
 * login ends.
 *
 * GMAILCTL_BROWSER, then BROWSER, is a command run by /bin/sh with that path as its last
 * argument; without one, the system's default browser is asked through the `open` package.
 * Either way the child gets an environment built from an allowlist (what a browser needs to
 * find the display, the session and the user's profile), never the parent's secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

function browserCommand(env: NodeJS.ProcessEnv): string | undefined {
  return env.GMAILCTL_BROWSER || env.BROWSER || undefined;
}

/** A browser being opened on the consent page. */
export interface OpenedBrowser {
  /** Rejects, with words for people, when the opener fails (at once or later); never resolves otherwise. */
  readonly failed: Promise<never>;
  /** Removes the forwarding page. */
  dispose(): Promise<void>;
}

export async function openInBrowser(url: string, env: NodeJS.ProcessEnv): Promise<OpenedBrowser> {
  const page = await writeForwardingPage(url);
  try {
    const command = browserCommand(env);
    const child = command ? runBrowserCommand(command, page.file, env) : await runDefaultOpener(page.file, env);
    return { failed: failure(child, command ?? 'the system\'s default browser opener'), dispose: page.dispose };
  } catch (error) {
    await page.dispose();
    throw error;
  }
}

/** The page: a 0600 file in a fresh 0700 directory (mkdtemp), forwarding at once to the URL. */
async function writeForwardingPage(url: string): Promise<{ file: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-login-'));
  const file = path.join(dir, 'consent.html');
  await writeFile(file, forwardingPage(url), { mode: 0o600, flag: 'wx' });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

function forwardingPage(url: string): string {
  const href = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0; url=${href}">
<title>gmailctl login</title>
</head>
<body>
<p>Taking you to Google's consent page… If nothing happens, <a href="${href}" rel="noreferrer">continue here</a>.</p>
</body>
</html>
`;
}

/** The command may carry its own arguments ("firefox --new-window"), so a shell runs it; the path goes in as "$1". */
function runBrowserCommand(command: string, file: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn('/bin/sh', ['-c', `${command} "$1"`, 'gmailctl-browser', file], {
    stdio: 'ignore',
    detached: true,
    env: browserEnvironment(env),
  });
}

/**
 * The `open` package gives its opener (xdg-open, open, PowerShell) our whole environment and
 * no way to choose another, so it runs in a small Node process of its own that receives only
 * the allowlisted environment, and exits with the opener's status.
 */
async function runDefaultOpener(file: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const openModule = import.meta.resolve('open');
  const script =
    'const [target, from] = process.argv.slice(-2);' +
    'const { default: open } = await import(from);' +
    'await open(target, { wait: true }).then(() => process.exit(0), (error) => {' +
    ' process.stderr.write(String(error?.message ?? error)); process.exit(Number(/code (\\d+)/.exec(String(error?.message))?.[1] ?? 1)); });';
  return spawn(process.execPath, ['--input-type=module', '-e', script, '--', file, openModule], {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
    env: browserEnvironment(env),
  });
}

/**
 * Rejects when the child cannot be started or exits with a failure status, whenever that
 * happens: a launcher that fails after a second (xdg-open finding no display) is reported as
 * surely as one that is not found. A child that keeps running (the browser) is left alone.
 */
function failure(child: ChildProcess, what: string): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`${what} could not be started: ${error.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0) return;
      const status = code ?? signal;
      reject(new Error(code === 3 && what.startsWith('the system') ? `${what} found no way to open a browser here (exit status 3)` : `${what} exited with status ${status}`));
    });
  });
  child.unref();
  failed.catch(() => undefined); // told to the caller through the promise; never unhandled
  return failed;
}

/**
 * What a browser (and xdg-open, open or PowerShell) needs: the display and session, the
 * desktop's name, the user's home and profile directories, the path, the language. Nothing
 * else — no token, secret, key or password variable can reach the browser by its name.
 */
const BROWSER_VARIABLES = new Set([
  // display, session bus, desktop (xdg-open picks the desktop's opener from these)
  'DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS',
  'XDG_SESSION_TYPE', 'XDG_CURRENT_DESKTOP', 'XDG_SESSION_DESKTOP', 'DESKTOP_SESSION',
  'KDE_FULL_SESSION', 'KDE_SESSION_VERSION', 'GNOME_DESKTOP_SESSION_ID',
  'XDG_CONFIG_HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_HOME', 'XDG_DATA_DIRS', 'XDG_CACHE_HOME', 'XDG_STATE_HOME',
  // who and where
  'HOME', 'USER', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'TMPDIR', 'TMP', 'TEMP',
  // language and time
  'LANGUAGE', 'TZ',
  // WSL, Windows, macOS
  'WSL_DISTRO_NAME', 'WSL_INTEROP', 'SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT', 'USERPROFILE',
  'APPDATA', 'LOCALAPPDATA', 'PROGRAMFILES', 'PROGRAMFILES(X86)', 'PROGRAMDATA', '__CF_USER_TEXT_ENCODING',
]);

/**
 * LANG and the locale categories of POSIX and glibc, by name: not any LC_* (sshd forwards LC_* by
 * default, which makes LC_GITHUB_TOKEN a way in for secrets), and each only with a value
 * that reads as a locale ("de_DE.UTF-8", "C", "POSIX", "en_GB.ISO-8859-1@euro").
 */
const LOCALE_VARIABLES = new Set([
  'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_COLLATE', 'LC_MESSAGES', 'LC_MONETARY', 'LC_NUMERIC', 'LC_TIME',
  'LC_ADDRESS', 'LC_IDENTIFICATION', 'LC_MEASUREMENT', 'LC_NAME', 'LC_PAPER', 'LC_TELEPHONE',
]);
const LOCALE_VALUE = /^(?:C|POSIX|C\.[A-Za-z0-9-]{1,20}|[a-z]{2,3}(?:_[A-Z]{2}|_[0-9]{3})?(?:\.[A-Za-z0-9-]{1,20})?(?:@[A-Za-z0-9]{1,20})?)$/;

export function browserEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // Windows names are case-insensitive.
  const allowed = (name: string, value: string): boolean =>
    BROWSER_VARIABLES.has(name.toUpperCase()) || (LOCALE_VARIABLES.has(name) && LOCALE_VALUE.test(value));
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && allowed(name, value)));
}
