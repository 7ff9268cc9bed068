/**
 * Builds the commander program and is the one place that turns an outcome into an exit
 * status. Command modules are loaded only when their command runs, and they load Google's
 * libraries and the keychain binding lazily too, so `--help` stays fast.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { ExitCode, GmailctlError, InterruptedError, OutputError, exitCodeOf } from './errors.js';
import { describeWriteFailure } from './stdout-state.js';
import { describeRequest, observeRequests } from './timed-fetch.js';
import { packageVersion } from './version.js';
import { IO } from './io.js';
import { toSafeLines } from './output/single-line.js';
import { redact } from './redact.js';
import type { CommandContext } from './commands/context.js';
import { parseAccount, parseMax, parsePort, parseTimeout } from './commands/options.js';

interface GlobalOptions {
  debug?: boolean;
  quiet?: boolean;
}


export function buildProgram(context: () => CommandContext): Command {
  const program = new Command('gmailctl')
    .description('Read your Gmail from the terminal and from shell scripts.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--debug', 'print request details on stderr (secrets are redacted)'))
    .addOption(new Option('--quiet', 'print nothing on stderr but warnings and errors'))
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined }) // errors are printed by main(), once
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl login
  $ gmailctl list -q 'is:unread newer_than:1d'

Recipes for scripts:
  Count unread mail (ids only: fast and cheap on quota)
    $ gmailctl list -q is:unread --format ids | wc -l
  Loop over ids, four at a time
    $ gmailctl list -q 'from:alerts@example.com' --format ids | xargs -P4 -n1 ./handle-message
  jq over JSON
    $ gmailctl list -q 'is:unread newer_than:1d' --json | jq -r '.[].subject'
  Call any Gmail API with curl
    $ curl -sH "Authorization: Bearer $(gmailctl token)" https://gmail.googleapis.com/gmail/v1/users/me/labels
  cron, on a machine without a desktop keychain (log in once with --insecure-storage)
    */15 * * * * GMAILCTL_TOKEN_STORE=file gmailctl list -q is:unread --format ids | wc -l > ~/.unread
  CI, with no store and no files
    $ GMAILCTL_CLIENT_ID=… GMAILCTL_CLIENT_SECRET=… GMAILCTL_REFRESH_TOKEN=… gmailctl list --format ndjson

Exit codes: 0 ok, 1 failure, 2 usage error, 4 login required, 130 interrupted.
Environment: GMAILCTL_ACCOUNT, GMAILCTL_CONFIG_DIR, GMAILCTL_CREDENTIALS, GMAILCTL_TOKEN_STORE,
  GMAILCTL_API_ROOT, GMAILCTL_BROWSER (or BROWSER), GMAILCTL_DEBUG, GMAILCTL_CLIENT_ID,
  GMAILCTL_CLIENT_SECRET, GMAILCTL_REFRESH_TOKEN, GMAILCTL_ACCESS_TOKEN, NO_COLOR, FORCE_COLOR.`,
    );

  const withContext = (): CommandContext => {
    const ctx = context();
    const globals = program.opts<GlobalOptions>();
    if (globals.debug) ctx.io.debugEnabled = true;
    if (globals.quiet) ctx.io.quiet = true;
    if (ctx.io.debugEnabled) observeRequests((request) => ctx.io.debug(describeRequest(request)));
    return ctx;
  };

  program
    .command('login')
    .description('log in to a Google account in the browser and store the login in the keychain')
    .option('--credentials <file>', 'OAuth client JSON file (default: $GMAILCTL_CREDENTIALS or <config dir>/credentials.json)')
    .option('--account <email>', 'suggest this account on the consent page (login_hint)', parseAccount)
    .option('--no-browser', 'do not open a browser; paste the redirected URL on stdin instead')
    .option('--port <n>', 'port of the local redirect listener (default: any free port)', parsePort, 0)
    .option('--timeout <seconds>', 'give up after this many seconds', parseTimeout, 300)
    .option('--insecure-storage', 'store tokens in a 0600 file instead of the OS keychain')
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl login
  $ gmailctl login --account you@example.com
  $ gmailctl login --no-browser --port 8765      # over SSH: ssh -L 8765:127.0.0.1:8765 host
  $ gmailctl login --insecure-storage            # headless box without a Secret Service`,
    )
    .action(async (options) => {
      const { runLogin } = await import('./commands/login.js');
      await runLogin(withContext(), options);
    });

  program
    .command('logout')
    .description('revoke the stored login at Google and delete it')
    .option('--account <email>', 'account to log out of (default: the default account)', parseAccount)
    .addOption(new Option('--all', 'log out of every stored account').conflicts('account'))
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl logout
  $ gmailctl logout --account work@example.com
  $ gmailctl logout --all`,
    )
    .action(async (options) => {
      const { runLogout } = await import('./commands/logout.js');
      await runLogout(withContext(), options);
    });

  program
    .command('status')
    .description('show the stored accounts, the default one, and whether Google still accepts each login')
    .option('--json', 'print the status as JSON on stdout')
    .option('--offline', 'do not ask Google (getProfile, 1 quota unit per login): report the stored facts only')
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl status
  $ gmailctl status --json | jq -r '.accounts[] | select(.ok) | .account'
  $ gmailctl status >/dev/null || gmailctl login
  $ gmailctl status --offline                    # no network: what is stored, not checked`,
    )
    .action(async (options) => {
      const { runStatus } = await import('./commands/status.js');
      await runStatus(withContext(), options);
    });

  program
    .command('token')
    .description('print a valid access token (refreshed if needed)')
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount)
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl token --account work@example.com
  $ curl -sH "Authorization: Bearer $(gmailctl token)" \\
      https://gmail.googleapis.com/gmail/v1/users/me/labels`,
    )
    .action(async (options) => {
      const { runToken } = await import('./commands/token.js');
      await runToken(withContext(), options);
    });

  program
    .command('list')
    .description('list the messages that match a Gmail search')
    .option('-q, --query <query>', 'Gmail search, as in the search box (sent verbatim)')
    .option('--label <id>', 'only messages with this label id (repeatable)', collect, [] as string[])
    .option('-n, --max <n>', 'stop after n messages (default: all)', parseMax)
    .option('--include-spam-trash', 'include messages in SPAM and TRASH')
    .addOption(
      new Option('--format <format>', 'output format (default: table on a terminal, tsv otherwise)').choices([
        'ids',
        'tsv',
        'table',
        'json',
        'ndjson',
      ]),
    )
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount)
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl list -q label:UNREAD
  $ gmailctl list -q 'from:boss@example.com after:2026/01/01' --max 20
  $ gmailctl list -q is:unread --format ids | wc -l
  $ gmailctl list --label INBOX --label IMPORTANT --json | jq -r '.[].subject'
  $ gmailctl list -q 'has:attachment' --format ndjson | jq -c '{id, from}'`,
    )
    .action(async (options) => {
      const { runList } = await import('./commands/list.js');
      await runList(withContext(), options);
    });

  program
    .command('completion')
    .description('print a shell completion script (commands, flags, formats, stored accounts)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl completion bash > ~/.local/share/bash-completion/completions/gmailctl
  $ source <(gmailctl completion zsh)          # in ~/.zshrc
  $ gmailctl completion fish > ~/.config/fish/completions/gmailctl.fish`,
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { completionScript } = await import('./commands/completion.js');
      await withContext().io.write(completionScript(shell, program));
    });

  program
    .command('__accounts', { hidden: true })
    .description('print the stored account addresses (for shell completion)')
    .action(async () => {
      const { runAccounts } = await import('./commands/completion.js');
      await runAccounts(withContext());
    });

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(argv: string[], io: IO = new IO()): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? ExitCode.interrupted : 143);
    interrupt.abort(new InterruptedError(signal === 'SIGINT' ? 'Interrupted.' : 'Terminated.'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const program = buildProgram(() => ({ io, env: io.env, signal: interrupt.signal }));
  try {
    let code: number;
    try {
      await Promise.race([program.parseAsync(argv, { from: 'user' }), windDown(interrupt.signal)]);
      code = ExitCode.ok;
    } catch (error) {
      code = report(error, io, interrupt.signal, argv);
    }
    await io.flush();
    // Data that did not reach stdout (a full disk) is a failure, whatever the command thought.
    if (io.stdoutFailure && code !== ExitCode.interrupted) return report(new OutputError(describeWriteFailure(io.stdoutFailure)), io, interrupt.signal, argv);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** How long a command may take to wind down after Ctrl-C (close a JSON array, free a port). */
const WIND_DOWN_MS = 1500;

/**
 * Rejects a moment after the signal: commands stop on their own when they can, but a call
 * stuck in a library that does not listen (a hung token endpoint) must not keep the user
 * waiting for a second Ctrl-C.
 */
function windDown(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener(
      'abort',
      () => setTimeout(() => reject(signal.reason as Error), WIND_DOWN_MS).unref(),
      { once: true },
    );
  });
}

function report(error: unknown, io: IO, interrupted: AbortSignal, argv: readonly string[]): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // `gmailctl help [command]` asked for it; `gmailctl` alone did not (the help went to stderr).
    if (error.code === 'commander.help') return argv[0] === 'help' ? ExitCode.ok : ExitCode.usage;
    const message = error.message.replace(/^error:\s*/i, '');
    io.stderr.write(`${io.err.red('error:')} ${toSafeLines(message)}\n`);
    io.stderr.write(`Run 'gmailctl --help' for usage.\n`);
    return ExitCode.usage;
  }
  if (interrupted.aborted && !(error instanceof GmailctlError)) error = interrupted.reason;
  if (error instanceof InterruptedError) {
    io.stderr.write('\n');
    return interrupted.reason instanceof InterruptedError && interrupted.reason.message === 'Terminated.'
      ? 143
      : ExitCode.interrupted;
  }
  if (error instanceof GmailctlError) {
    io.stderr.write(`${io.err.red('error:')} ${toSafeLines(redact(error.message))}\n`);
    if (error.hint) io.stderr.write(`${toSafeLines(redact(error.hint))}\n`);
    if (io.debugEnabled && error.cause) io.debug(`cause: ${messageOf(error.cause)}`);
    return exitCodeOf(error);
  }
  // Not an expected failure: a bug. Say so plainly; the stack only with --debug.
  io.stderr.write(`${io.err.red('error:')} ${toSafeLines(redact(messageOf(error)))}\n`);
  if (io.debugEnabled && error instanceof Error && error.stack) io.debug(error.stack);
  else io.stderr.write('This looks like a bug in gmailctl; run again with --debug for details.\n');
  return ExitCode.failure;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
