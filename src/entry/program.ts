/**
 * Builds the commander program from the command modules and is the one place that turns an
 * outcome into an exit status. Each command does its heavy work behind import() (Google's
 * libraries and the keychain binding load lazily too), so `--help` stays fast.
 */
import { Command, CommanderError, Option } from '@commander-js/extra-typings';
import { cacheCommand } from '../commands/cache.js';
import { completionCommand, accountsCommand, labelNamesCommand } from '../commands/completion.js';
import { createContext, type CommandContext, type ContextSource } from '../commands/context.js';
import { labelsCommand } from '../commands/labels.js';
import { cursorCommand } from '../commands/cursor.js';
import { listCommand } from '../commands/list.js';
import { loginCommand } from '../commands/login.js';
import { mcpCommand } from '../commands/mcp.js';
import { schemaCommand } from '../commands/schema.js';
import { showCommand } from '../commands/show.js';
import { threadCommand } from '../commands/thread.js';
import { logoutCommand } from '../commands/logout.js';
import { statusCommand } from '../commands/status.js';
import { switchCommand } from '../commands/switch.js';
import { tokenCommand } from '../commands/token.js';
import { environmentHelp } from '../basics/environment.js';
import { ExitCode, GmailctlError, InterruptedError, OutputError, UsageError, exitCodeOf } from '../basics/errors.js';
import { describeRequest, observeRequests } from '../gmail/timed-fetch.js';
import { IO } from '../basics/io.js';
import { toSafeLines } from '../basics/single-line.js';
import { redact } from '../basics/redact.js';
import { describeWriteFailure } from '../basics/stdout-state.js';
import { packageVersion } from '../basics/version.js';

/** In `gmailctl --help`'s order. */
const COMMANDS = [loginCommand, logoutCommand, statusCommand, switchCommand, tokenCommand, listCommand, showCommand, threadCommand, labelsCommand, cursorCommand, schemaCommand, mcpCommand, cacheCommand, completionCommand];
/** Registered but not shown in help or completion. */
const HIDDEN_COMMANDS = [accountsCommand, labelNamesCommand];

export function buildProgram(context: ContextSource) {
  const program = new Command('gmailctl')
    .description('Read your Gmail from the terminal and from shell scripts.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--debug', 'print request details on stderr (secrets are redacted)'))
    .addOption(new Option('--quiet', 'print nothing on stderr but warnings and errors'))
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .exitOverride()
    .configureOutput({
      // Help and the version go to the command's streams, as everything else does.
      writeOut: (text) => void context().io.stdout.write(text),
      writeErr: (text) => void context().io.stderr.write(text),
      outputError: () => undefined, // errors are printed by main(), once
    })
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
${environmentHelp()}`,
    );

  /** The context with the global flags applied: they are parsed before any command runs. */
  const withContext = (): CommandContext => {
    const ctx = context();
    const globals = program.opts();
    if (globals.debug) ctx.io.debugEnabled = true;
    if (globals.quiet) ctx.io.quiet = true;
    if (ctx.io.debugEnabled) observeRequests((request) => ctx.io.debug(describeRequest(request)));
    return ctx;
  };
  // A prepared command inherits nothing by itself: help flag, exit override, output routing.
  // A usage error remembers the command it arose in, so that its hint names that command's help.
  const adopt = <C extends Command<any, any, any>>(command: C): C => {
    for (const each of [command, ...command.commands]) {
      each.copyInheritedSettings(program); // `cache clear` too
      const name = [command.name(), ...(each === command ? [] : [each.name()])].join(' ');
      each.exitOverride((error) => {
        usageErrorIn.set(error, name);
        throw error;
      });
    }
    return command;
  };
  for (const command of COMMANDS) program.addCommand(adopt(command(withContext)));
  for (const command of HIDDEN_COMMANDS) program.addCommand(adopt(command(withContext)), { hidden: true });
  return program;
}

/** The command a commander error arose in ("list", "cache clear"); absent: the program itself. */
const usageErrorIn = new WeakMap<Error, string>();

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(argv: string[], io: IO = new IO()): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? ExitCode.interrupted : 143);
    interrupt.abort(new InterruptedError(signal === 'SIGINT' ? 'Interrupted.' : 'Terminated.'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const context = createContext({ io, env: io.env, signal: interrupt.signal });
  const program = buildProgram(() => context);
  try {
    let code: number;
    try {
      refuseHelpForUnknownCommand(program, argv);
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

/** `gmailctl help nosuch` is a usage error, as `gmailctl nosuch` is, not the main help with exit 0. */
function refuseHelpForUnknownCommand(program: Command, argv: readonly string[]): void {
  const [first, name] = argv;
  if (first !== 'help' || name === undefined || name.startsWith('-')) return;
  if (program.commands.some((c) => c.name() === name || c.aliases().includes(name))) return;
  throw new UsageError(`unknown command '${name}'`, { hint: "Run 'gmailctl --help' for the commands." });
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

/**
 * The one place that turns an outcome into stderr lines and an exit status (exported for
 * its tests): commander's own outcomes, our errors with their codes and hints, Ctrl-C, bugs.
 */
export function report(error: unknown, io: IO, interrupted: AbortSignal, argv: readonly string[]): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // `gmailctl help [command]` asked for it; `gmailctl` alone did not (the help went to stderr).
    if (error.code === 'commander.help') return argv[0] === 'help' ? ExitCode.ok : ExitCode.usage;
    const message = error.message.replace(/^error:\s*/i, '');
    io.stderr.write(`${io.err.red('error:')} ${toSafeLines(message)}\n`);
    const command = usageErrorIn.get(error);
    io.stderr.write(`Run 'gmailctl ${command ? `${command} ` : ''}--help' for usage.\n`);
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
