/**
 * Each command's run function, called in-process with the fake IO against the emulator (a
 * file-store sandbox, or a login from the environment), and report(): the one place that
 * turns what a run threw into stderr lines and an exit code. The built binary keeps what
 * only a process shows (signals, pipes, the TTY, the keychain, start-up): see test/e2e.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CommanderError } from '@commander-js/extra-typings';
import { afterEach, describe, expect, it } from 'vitest';
import { runCacheClear } from '../../src/commands/cache.js';
import { runAccounts, runCompletion } from '../../src/commands/completion.js';
import { createContext, type CommandContext } from '../../src/commands/context.js';
import { runList, type ListFlags } from '../../src/commands/list.js';
import { runLogin, type LoginFlags } from '../../src/commands/login.js';
import { runLogout } from '../../src/commands/logout.js';
import { runShow } from '../../src/commands/show.js';
import { runStatus } from '../../src/commands/status.js';
import { runSwitch } from '../../src/commands/switch.js';
import { runToken } from '../../src/commands/token.js';
import { AuthRequiredError, CredentialsError, GoogleApiError, InterruptedError, UsageError } from '../../src/basics/errors.js';
import { buildProgram, main, report } from '../../src/entry/program.js';
import { registerSecret } from '../../src/basics/redact.js';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { fakeTerminal, settle, type FakeTerminal } from './fake-io.js';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };

let emulator: Emulator;
const sandbox = useEmulator({ accounts: [ADA, GRACE], messages: 12 }, (started) => (emulator = started));
afterEach(() => {
  emulator.clearFaults();
});

interface Ran {
  /** The exit code main() would give: 0, or what report() maps the thrown error to. */
  code: number;
  out: string;
  err: string;
  /** What the run threw, if anything. */
  error: unknown;
}

/** Calls one run function with a fresh fake terminal and maps its outcome as main() does. */
async function ran(env: NodeJS.ProcessEnv, command: (context: CommandContext, terminal: FakeTerminal) => Promise<void>, stdin?: string): Promise<Ran> {
  const terminal = fakeTerminal({ env, ...(stdin !== undefined ? { stdin } : {}) });
  const signal = new AbortController().signal;
  let error: unknown;
  let code = 0;
  try {
    await command(createContext({ io: terminal.io, env, signal }), terminal);
  } catch (thrown) {
    error = thrown;
    code = report(thrown, terminal.io, signal, []);
  }
  await terminal.io.flush();
  await settle();
  return { code, out: terminal.out(), err: terminal.err(), error };
}

const LOGIN: LoginFlags = { browser: true, port: 0, timeout: 20 };
const LIST: ListFlags = { label: [], cache: true, commit: true };

/** A sandbox logged in (through runLogin and the emulator's auto-approved consent) to each account. */
async function loggedIn(...accounts: string[]): Promise<Sandbox> {
  const s = await sandbox();
  for (const account of accounts.length > 0 ? accounts : [ADA]) {
    const login = await ran(s.env, (context) => runLogin(context, { ...LOGIN, account }));
    expect(login.code, login.err).toBe(0);
  }
  return s;
}

/** A login from the environment alone, as in CI: no config dir holds anything. */
async function environmentLogin(): Promise<NodeJS.ProcessEnv> {
  const s = await loggedIn();
  const stored = JSON.parse(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')) as Record<string, { refresh_token: string }>;
  const empty = await sandbox();
  return {
    ...empty.env,
    GMAILCTL_CLIENT_ID: emulator.clientId,
    GMAILCTL_CLIENT_SECRET: emulator.clientSecret,
    GMAILCTL_REFRESH_TOKEN: stored[ADA]!.refresh_token,
    GMAILCTL_TOKEN_URI: new URL('token', emulator.url).toString(),
  };
}

describe('login', () => {
  it('stores the login, makes it the default and says so on stderr, nothing on stdout', async () => {
    const s = await sandbox();
    const login = await ran(s.env, (context) => runLogin(context, LOGIN));
    expect(login.code, login.err).toBe(0);
    expect(login.out).toBe('');
    expect(login.err).toMatch(/Open this URL in a browser to log in:\n\nhttp:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?/);
    expect(login.err).toMatch(/Logged in as ada@example\.com\n$/);
    const config = JSON.parse(await readFile(path.join(s.configDir, 'config.json'), 'utf8')) as { defaultAccount: string };
    expect(config.defaultAccount).toBe(ADA);
  });

  it('a missing OAuth client file is a CredentialsError: exit 1 naming the file', async () => {
    const s = await sandbox();
    const missing = path.join(s.dir, 'nope.json');
    const login = await ran(s.env, (context) => runLogin(context, { ...LOGIN, credentials: missing }));
    expect(login.error).toBeInstanceOf(CredentialsError);
    expect(login.code).toBe(1);
    expect(login.err).toContain(missing);
    expect(login.err.split('\n')[0]).toMatch(/^error: /);
  });
});

describe('token', () => {
  it('prints the access token and a newline on stdout', async () => {
    const s = await loggedIn();
    const token = await ran(s.env, (context) => runToken(context, {}));
    expect(token.code, token.err).toBe(0);
    expect(token.out).toMatch(/^\S+\n$/);
    expect(emulator.tokens().accessTokens).toContain(token.out.trim());
  });

  it('an account with no stored login is AuthRequiredError: exit 4 and the login command as the hint', async () => {
    const s = await loggedIn();
    const token = await ran(s.env, (context) => runToken(context, { account: 'nobody@example.com' }));
    expect(token.error).toBeInstanceOf(AuthRequiredError);
    expect(token.code).toBe(4);
    expect(token.out).toBe('');
    expect(token.err).toMatch(/nobody@example\.com/);
    expect(token.err).toMatch(/gmailctl login/);
  });
});

describe('status', () => {
  it('--json: the default account works → exit 0, the report on stdout', async () => {
    const s = await loggedIn();
    const status = await ran(s.env, (context) => runStatus(context, { json: true }));
    expect(status.code, status.err).toBe(0);
    const report = JSON.parse(status.out) as { accounts: Array<{ account: string; ok: boolean; isDefault: boolean }> };
    expect(report.accounts).toEqual([expect.objectContaining({ account: ADA, ok: true, isDefault: true })]);
  });

  it('no login at all → exit 4, and the text says to log in', async () => {
    const s = await sandbox();
    const status = await ran(s.env, (context) => runStatus(context, {}));
    expect(status.error).toBeInstanceOf(AuthRequiredError);
    expect(status.code).toBe(4);
    expect(status.out).toMatch(/No stored logins\. Run: gmailctl login/);
  });

  it('a login from the environment is reported alone, with no config dir opened', async () => {
    const env = await environmentLogin();
    const status = await ran(env, (context) => runStatus(context, { json: true }));
    expect(status.code, status.err).toBe(0);
    expect((JSON.parse(status.out) as { accounts: Array<{ source: string }> }).accounts).toEqual([expect.objectContaining({ source: 'environment' })]);
  });
});

describe('switch', () => {
  it('with two logins and no argument: the other one becomes the default', async () => {
    const s = await loggedIn(ADA, GRACE); // grace logged in last: the default
    const to = await ran(s.env, (context) => runSwitch(context, undefined));
    expect(to.code, to.err).toBe(0);
    expect(to.err).toBe(`Switched the default account to ${ADA}\n`);
  });

  it('warns when GMAILCTL_ACCOUNT names another account: it wins over the new default while it is set', async () => {
    const s = await loggedIn(ADA, GRACE);
    const overridden = await ran({ ...s.env, GMAILCTL_ACCOUNT: GRACE }, (context) => runSwitch(context, ADA));
    expect(overridden.code, overridden.err).toBe(0);
    expect(overridden.err).toBe(`warning: GMAILCTL_ACCOUNT is set to ${GRACE}: commands use it while it is set.\nSwitched the default account to ${ADA}\n`);
    const same = await ran({ ...s.env, GMAILCTL_ACCOUNT: ADA.toUpperCase() }, (context) => runSwitch(context, GRACE.toUpperCase()));
    expect(same.err).toMatch(/GMAILCTL_ACCOUNT is set to/);
    const agreeing = await ran({ ...s.env, GMAILCTL_ACCOUNT: GRACE.toUpperCase() }, (context) => runSwitch(context, GRACE));
    expect(agreeing.err).toBe(`${GRACE} already is the default account.\n`);
  });

  it('no other login → UsageError (exit 2); an unknown account → AuthRequiredError (exit 4)', async () => {
    const s = await loggedIn();
    const alone = await ran(s.env, (context) => runSwitch(context, undefined));
    expect(alone.error).toBeInstanceOf(UsageError);
    expect(alone.code).toBe(2);
    expect(alone.err).toMatch(/no other stored login/);
    const unknown = await ran(s.env, (context) => runSwitch(context, 'nobody@example.com'));
    expect(unknown.error).toBeInstanceOf(AuthRequiredError);
    expect(unknown.code).toBe(4);
  });

  it('a login from the environment has no default to switch: exit 2', async () => {
    const switched = await ran(await environmentLogin(), (context) => runSwitch(context, GRACE));
    expect(switched.error).toBeInstanceOf(UsageError);
    expect(switched.code).toBe(2);
    expect(switched.err).toMatch(/from the environment \(GMAILCTL_REFRESH_TOKEN\)/);
  });
});

describe('logout', () => {
  it('revokes at Google and forgets the login; a second logout is exit 4', async () => {
    const s = await loggedIn();
    emulator.clearRequests();
    const out = await ran(s.env, (context) => runLogout(context, {}));
    expect(out.code, out.err).toBe(0);
    expect(out.err).toBe(`Logged out of ${ADA}\n`);
    expect(emulator.requests.filter((r) => r.path === '/revoke')).toHaveLength(1);
    const again = await ran(s.env, (context) => runLogout(context, {}));
    expect(again.error).toBeInstanceOf(AuthRequiredError);
    expect(again.code).toBe(4);
  });

  it('a login from the environment is not ours to end: exit 2, nothing touched', async () => {
    const out = await ran(await environmentLogin(), (context) => runLogout(context, { all: true }));
    expect(out.error).toBeInstanceOf(UsageError);
    expect(out.code).toBe(2);
    expect(out.err).toMatch(/logout did nothing/);
  });
});

describe('list', () => {
  it('--format ids: one id a line, in the API order, exit 0', async () => {
    const s = await loggedIn();
    const list = await ran(s.env, (context) => runList(context, { ...LIST, format: 'ids' }));
    expect(list.code, list.err).toBe(0);
    const ids = list.out.split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a 4xx from Google is GoogleApiError: exit 1 with its message, not retried', async () => {
    const s = await loggedIn();
    emulator.enqueue(LIST_ONLY, { type: 'status', status: 400 }, 1);
    emulator.clearRequests();
    const list = await ran(s.env, (context) => runList(context, { ...LIST, format: 'ids' }));
    expect(list.error).toBeInstanceOf(GoogleApiError);
    expect(list.code).toBe(1);
    expect(list.err).toMatch(/^error: .*400/m);
    expect(emulator.requests.filter((r) => LIST_ONLY.path.test(r.path))).toHaveLength(1);
  });
});

describe('show', () => {
  it('prints a message by id as text; ids read from stdin with -', async () => {
    const s = await loggedIn();
    const id = emulator.mailbox(ADA)[0]!.id;
    const shown = await ran(s.env, (context) => runShow(context, ['-'], {}), `${id}\n`);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/^Subject: /m);
  });

  it('something that is not a Gmail id is UsageError (exit 2) before anything is fetched', async () => {
    const s = await loggedIn();
    emulator.clearRequests();
    const shown = await ran(s.env, (context) => runShow(context, ['not-an-id'], {}));
    expect(shown.error).toBeInstanceOf(UsageError);
    expect(shown.code).toBe(2);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('cache clear', () => {
  it('with nothing cached: says so, exit 0; with no account at all: says there is nothing to clear', async () => {
    const s = await loggedIn();
    const cleared = await ran(s.env, (context) => runCacheClear(context, {}));
    expect(cleared.code, cleared.err).toBe(0);
    expect(cleared.err).toMatch(/no cache|no cached mail/i);
    const none = await ran((await sandbox()).env, (context) => runCacheClear(context, {}));
    expect(none.code).toBe(0);
    expect(none.err).toMatch(/no default account: nothing to clear/);
  });
});

describe('completion', () => {
  it('prints a script for the whole program on stdout', async () => {
    const completion = await ran({}, (context) => runCompletion(context, 'bash', buildProgram(() => context)));
    expect(completion.code).toBe(0);
    expect(completion.out).toMatch(/complete -F \S+ gmailctl/);
    for (const command of ['login', 'logout', 'status', 'switch', 'token', 'list', 'show', 'cache', 'completion']) expect(completion.out).toContain(command);
  });
});

describe('__accounts (hidden, for completion)', () => {
  it('prints the stored addresses one a line; nothing, and exit 0, when there are none', async () => {
    const s = await loggedIn(ADA, GRACE);
    const accounts = await ran(s.env, (context) => runAccounts(context));
    expect(accounts.code).toBe(0);
    expect(accounts.out.split('\n').filter(Boolean).sort()).toEqual([ADA, GRACE]);
    const none = await ran((await sandbox()).env, (context) => runAccounts(context));
    expect([none.code, none.out, none.err]).toEqual([0, '', '']);
  });
});

describe('main(): flags parsed before a run function is called', () => {
  it('a shell completion does not know is a usage error (exit 2) naming the choices, nothing on stdout', async () => {
    const terminal = fakeTerminal();
    const code = await main(['completion', 'powershell'], terminal.io);
    await settle();
    expect(code).toBe(2);
    expect(terminal.out()).toBe('');
    expect(terminal.err()).toMatch(/^error: .*powershell.*bash, zsh, fish/);
  });
});

describe('report(): the one mapping from an outcome to stderr and an exit code', () => {
  const reported = (error: unknown, options: { argv?: string[]; debug?: boolean; aborted?: unknown } = {}) => {
    const terminal = fakeTerminal();
    terminal.io.debugEnabled = options.debug ?? false;
    const interrupt = new AbortController();
    if (options.aborted !== undefined) interrupt.abort(options.aborted);
    const code = report(error, terminal.io, interrupt.signal, options.argv ?? []);
    return settle().then(() => ({ code, err: terminal.err(), out: terminal.out() }));
  };

  it('each error class gives its code: one error line, then its hint if it has one', async () => {
    for (const [error, code] of [
      [new UsageError('bad flag', { hint: 'try --help' }), 2],
      [new AuthRequiredError('no login', 'ada@example.com'), 4],
      [new GoogleApiError('Google said no', 500), 1],
      [new CredentialsError('no client file'), 1],
    ] as const) {
      const r = await reported(error);
      expect(r.code, error.message).toBe(code);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines[0]).toBe(`error: ${error.message}`);
      expect(lines.slice(1)).toEqual(error.hint === undefined ? [] : [error.hint]);
    }
    expect((await reported(new AuthRequiredError('no login', 'ada@example.com'))).err).toMatch(/Run: gmailctl login --account ada@example\.com/);
  });

  it("commander's outcomes: help and version are 0, `help` asked for is 0, a bare program's help is 2, a usage error is 2 with a pointer to --help", async () => {
    expect((await reported(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).code).toBe(0);
    expect((await reported(new CommanderError(0, 'commander.version', '0.1.0'))).code).toBe(0);
    expect((await reported(new CommanderError(1, 'commander.help', '(outputHelp)'), { argv: ['help'] })).code).toBe(0);
    expect((await reported(new CommanderError(1, 'commander.help', '(outputHelp)'))).code).toBe(2);
    const unknown = await reported(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--frobnicate'"));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toBe("error: unknown option '--frobnicate'\nRun 'gmailctl --help' for usage.\n");
  });

  it('Ctrl-C is 130 and SIGTERM 143, whatever the command threw while it wound down', async () => {
    expect((await reported(new InterruptedError())).code).toBe(130);
    expect((await reported(new Error('socket hang up'), { aborted: new InterruptedError() })).code).toBe(130);
    expect((await reported(new Error('socket hang up'), { aborted: new InterruptedError('Terminated.') })).code).toBe(143);
  });

  it('an unexpected error is a bug: exit 1, its message, and --debug for details; with --debug the stack, not the plea', async () => {
    const bug = await reported(new TypeError('x is undefined'));
    expect(bug.code).toBe(1);
    expect(bug.err).toBe('error: x is undefined\nThis looks like a bug in gmailctl; run again with --debug for details.\n');
    const debugged = await reported(new TypeError('x is undefined'), { debug: true });
    expect(debugged.code).toBe(1);
    expect(debugged.err).toMatch(/^debug: TypeError: x is undefined\n\s+at /m);
    expect(debugged.err).not.toMatch(/looks like a bug/);
  });

  it('secrets are redacted and control characters cleaned, in the message and the hint', async () => {
    const secret = 'refresh-secret-123456';
    registerSecret(secret);
    const r = await reported(new GoogleApiError(`Google quoted ${secret} and ya29.a0AfH6SMB\x1b[31m red`, 400, { hint: `\x07bell ${secret}` }));
    expect(r.err).not.toContain(secret);
    expect(r.err).not.toContain('ya29.a0AfH6SMB');
    expect(r.err).not.toMatch(/[\x07\x1b]/);
    expect(r.err).toMatch(/\[REDACTED\]/);
  });
});
