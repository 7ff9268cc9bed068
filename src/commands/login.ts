/** `gmailctl login`: the loopback OAuth flow in the browser (or pasted), into the token store. */
import { Option } from '@commander-js/extra-typings';
import type { IO } from '../basics/io.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount, parsePort, parseTimeout } from './options.js';

function defineLogin() {
  return newCommand('login', 'log in to a Google account in the browser and store the login in the keychain', [
    'gmailctl login',
    'gmailctl login --account you@example.com',
    'gmailctl login --no-browser --port 8765      # over SSH: ssh -L 8765:127.0.0.1:8765 host',
    'gmailctl login --insecure-storage            # headless box without a Secret Service',
  ])
    .option('--credentials <file>', 'OAuth client JSON file (default: $GMAILCTL_CREDENTIALS or <config dir>/credentials.json)')
    .option('--account <email>', 'suggest this account on the consent page (login_hint)', parseAccount)
    .option('--no-browser', 'do not open a browser; paste the redirected URL on stdin instead')
    .addOption(new Option('--port <n>', 'port of the local redirect listener').argParser(parsePort).default(0, 'any free port'))
    .option('--timeout <seconds>', 'give up after this many seconds', parseTimeout, 300)
    .option('--insecure-storage', 'store tokens in a 0600 file instead of the OS keychain');
}

export type LoginFlags = ReturnType<ReturnType<typeof defineLogin>['opts']>;

export function loginCommand(context: ContextSource) {
  return defineLogin().action((flags) => runLogin(context(), flags));
}

export async function runLogin(context: CommandContext, flags: LoginFlags): Promise<void> {
  const refusals = collapsedWarnings(context.io);
  try {
    await loginAndReport(context, flags, refusals.warn);
  } finally {
    refusals.summarize();
  }
}

async function loginAndReport({ io, env, signal, google, workspace: openWorkspace }: CommandContext, flags: LoginFlags, refused: (line: string) => void): Promise<void> {
  const [{ credentialsPath, loadClientCredentials }, { login }, { openInBrowser }] = await Promise.all([
    import('../auth/credentials.js'),
    import('../auth/login-flow.js'),
    import('../auth/browser.js'),
  ]);
  const workspace = await openWorkspace(flags.insecureStorage ? { forceStore: 'file' } : {});
  const credentials = await loadClientCredentials(credentialsPath(flags.credentials, env, workspace.configDir));
  if (credentials.kind === 'web') {
    io.warn('The OAuth client file holds a "web" client; Google only allows loopback redirects for "Desktop app" clients.');
  }

  const { account } = await login({
    workspace,
    credentials,
    google: google(),
    accountHint: flags.account,
    port: flags.port,
    timeoutSeconds: flags.timeout,
    openBrowser: flags.browser ? (url) => openInBrowser(url, env) : undefined,
    pasteFrom: flags.browser ? undefined : io.stdin,
    rememberStore: flags.insecureStorage ? 'file' : undefined,
    signal,
    events: {
      authUrl(url) {
        // Always shown, even with --quiet: it is the way forward when no browser opens.
        io.stderr.write(`Open this URL in a browser to log in:\n\n${url}\n\n`);
      },
      browserFailed(reason) {
        io.warn(
          `Could not open a browser (${reason}). Open the URL above in a browser yourself; gmailctl keeps waiting. ` +
            'No browser on this machine (a server, SSH)? Press Ctrl-C and run: gmailctl login --no-browser',
        );
      },
      rejected(reason, source) {
        if (source === 'paste') io.warn(`Ignored the pasted line: ${reason}`);
        else refused(`Ignored a request to the login listener: ${reason}`);
      },
      waitingForPaste() {
        io.stderr.write('After you allow access, the browser goes to a 127.0.0.1 address that may not load here.\n');
        io.stderr.write('Paste that whole URL from the address bar, then press Enter:\n');
      },
      pasteEnded(redirectUri) {
        io.warn(
          `stdin ended without a redirected URL, so nothing more can be pasted. gmailctl keeps waiting (up to --timeout, ${flags.timeout} s) ` +
            `for the browser to reach ${new URL(redirectUri).origin}/ on this machine; to paste, run it where stdin is your terminal.`,
        );
      },
      secondAnswer() {
        io.warn('A second, different answer carrying this login\'s state reached the listener: someone else has seen the consent URL.');
      },
      listenerFlooded(address) {
        io.warn(
          `Something on this machine is opening many connections to the login listener (${address}) and not finishing its requests; ` +
            'gmailctl drops them and keeps waiting for your browser. If the browser cannot get through, another user of this machine ' +
            'may be interfering: press Ctrl-C and run gmailctl login --no-browser, then paste the address the browser ends up on.',
        );
      },
      keptRefreshToken(address) {
        io.info(`Google sent no new refresh token; keeping the one already stored for ${address}.`);
      },
    },
  });
  io.info(`Logged in as ${account}`);
}

/** How many different refusals are shown before the rest are only counted. */
const SHOWN_REFUSALS = 3;

/**
 * Requests to the listener come from anyone on the machine: a scanner or a hostile process
 * can send thousands. Each different warning is shown once, the first few only, and the rest
 * are counted and summed up when the login ends.
 */
function collapsedWarnings(io: IO): { warn(line: string): void; summarize(): void } {
  const shown = new Set<string>();
  let hidden = 0;
  return {
    warn(line) {
      if (shown.has(line) || shown.size >= SHOWN_REFUSALS) {
        if (hidden === 0) io.warn('More requests are being refused; they are counted, not shown.');
        hidden += 1;
        return;
      }
      shown.add(line);
      io.warn(line);
    },
    summarize() {
      if (hidden > 0) io.warn(`The login listener refused ${hidden} more request${hidden === 1 ? '' : 's'} than shown above.`);
    },
  };
}
