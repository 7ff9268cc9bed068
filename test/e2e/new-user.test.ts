/**
 * What a new user and a script author ran into on their first day (issue #12), each kept
 * true end to end against the emulator: the program in-process, the built CLI for time-outs
 * under a busy garbage collector, shell redirections, pipes and the current directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Emulator } from '../emulator/index.js';
import { CLI, ROOT, runCli, type CliResult, type Sandbox } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };
const GC_OFTEN = path.join(ROOT, 'test', 'helpers', 'gc-often.cjs');

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: [ADA, GRACE], messages: 30 }, (started) => (emulator = started));
afterEach(() => {
  emulator.clearFaults();
});

async function sandbox(): Promise<Sandbox> {
  return newSandbox({ runner: 'in-process' });
}

async function loggedIn(...accounts: string[]): Promise<Sandbox> {
  const s = await sandbox();
  for (const account of accounts.length > 0 ? accounts : [ADA]) {
    const result = await s.login(['--account', account]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  return s;
}

/** The CLI with extra node flags (a garbage collection every 100 ms), killed at the deadline. */
async function runNode(s: Sandbox, nodeArgs: string[], args: string[], env: Record<string, string>, deadlineMs: number): Promise<CliResult> {
  return runCli(args, { env: { ...s.env, ...env }, nodeArgs, timeout: deadlineMs, killSignal: 'SIGKILL' });
}

function expectOneCleanError(result: CliResult): void {
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:')), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/looks like a bug|report it/);
}

describe('1. every request ends by its timeout', () => {
  // Node 20 collects an AbortSignal.timeout() held only inside AbortSignal.any()
  // (nodejs/node#57736); V8 collects on its own after ~10 s idle, here every 100 ms.
  it('a Gmail endpoint that never answers: list gives up after the bounded retries, saying it timed out', async () => {
    const s = await loggedIn();
    emulator.enqueue(LIST_ONLY, { type: 'delay', ms: 600_000 }, 20);
    emulator.clearRequests();
    const result = await runNode(s, ['--expose-gc', '-r', GC_OFTEN], ['list', '--format', 'ids'], { GMAILCTL_HTTP_TIMEOUT_MS: '1000' }, 40_000);
    emulator.clearFaults();
    expect(result.signal, 'still running at the deadline: a hang').toBeUndefined();
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/timed out|did not answer within/i);
    expect(result.stderr).toMatch(/5 attempts|attempts/);
    expectOneCleanError(result);
    expect(emulator.requests.filter((r) => LIST_ONLY.path.test(r.path)).length).toBeLessThanOrEqual(5);
  }, 60_000);

  it('a request that times out once is retried, and the listing succeeds', async () => {
    const s = await loggedIn();
    const unhurried = await s.run(['list', '--format', 'ids']);
    emulator.enqueue(LIST_ONLY, { type: 'delay', ms: 600_000 }, 1);
    const result = await runNode(s, ['--expose-gc', '-r', GC_OFTEN], ['list', '--format', 'ids'], { GMAILCTL_HTTP_TIMEOUT_MS: '1000' }, 30_000);
    emulator.clearFaults();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(unhurried.stdout);
    expect(result.stdout).not.toBe('');
  }, 40_000);
});

const tokensFile = (s: Sandbox): string => path.join(s.configDir, 'tokens.json');

async function editLogin(s: Sandbox, account: string, change: (login: Record<string, unknown>) => void): Promise<void> {
  const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, Record<string, unknown>>;
  change(logins[account]!);
  await writeFile(tokensFile(s), JSON.stringify(logins, null, 2), { mode: 0o600 });
}

describe('2. status asks Google', () => {
  it('a login revoked at Google: status says it does not work and exits 4, though the cached access token has not expired', async () => {
    const s = await loggedIn();
    expect((await s.run(['list', '--format', 'ids'])).exitCode).toBe(0);
    emulator.clearRequests();
    emulator.revokeAll();
    const result = await s.run(['status']);
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stdout).toMatch(/✗ ada@example\.com/);
    expect(result.stdout).not.toMatch(/✓/);
    expect(result.stderr).toMatch(/gmailctl login --account ada@example\.com/);
    expect(emulator.requests.some((r) => r.path === '/gmail/v1/users/me/profile')).toBe(true);
    // So the README's own recipe logs in again.
    const recipe = await execa('sh', ['-c', `node ${CLI} status >/dev/null || echo would-log-in`], { env: s.env, extendEnv: false, reject: false });
    expect(recipe.stdout).toBe('would-log-in');
  });

  it('a working login: status asked Google with getProfile (1 unit) and exits 0', async () => {
    const s = await loggedIn();
    emulator.clearRequests();
    const result = await s.run(['status', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.requests.filter((r) => r.path === '/gmail/v1/users/me/profile')).toHaveLength(1);
    expect(JSON.parse(result.stdout).accounts[0]).toMatchObject({ account: ADA, ok: true });
  });

  it('an expired access token is refreshed first, then getProfile', async () => {
    const s = await loggedIn();
    await editLogin(s, ADA, (login) => {
      login.expiry_date = Date.now() - 1000;
    });
    emulator.clearRequests();
    const result = await s.run(['status', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.requests.map((r) => r.path)).toEqual(['/token', '/gmail/v1/users/me/profile']);
    expect(JSON.parse(result.stdout).accounts[0]).toMatchObject({ account: ADA, ok: true, state: 'refreshed' });
  });

  it('a login past its Testing-mode expiry does not work: ✗ and exit 4', async () => {
    const s = await loggedIn();
    await editLogin(s, ADA, (login) => {
      login.refresh_expiry_date = Date.now() - 3_600_000;
    });
    const result = await s.run(['status']);
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stdout).toMatch(/✗ ada@example\.com/);
    expect(result.stdout).toMatch(/expired/);
  });

  it('--offline asks nobody, reports the stored facts, and says so', async () => {
    const s = await loggedIn();
    emulator.revokeAll();
    emulator.clearRequests();
    const result = await s.run(['status', '--offline']);
    expect(emulator.requests).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/offline/i);
    expect(result.stdout).toMatch(/not checked with Google/);
    const json = JSON.parse((await s.run(['status', '--offline', '--json'])).stdout);
    expect(json.offline).toBe(true);
  });
});

describe('3. a login from the environment is the only one used', () => {
  /** ada's login as CI secrets, beside stored logins for ada and grace (grace the default). */
  async function storedAndEnvironment(): Promise<{ s: Sandbox; env: Record<string, string> }> {
    const donor = await loggedIn(ADA);
    const refreshToken = (JSON.parse(await readFile(tokensFile(donor), 'utf8')) as Record<string, { refresh_token: string }>)[ADA]!.refresh_token;
    const s = await loggedIn(ADA, GRACE);
    const client = (emulator.credentials() as { installed: { client_id: string; client_secret: string; token_uri: string } }).installed;
    return {
      s,
      env: {
        GMAILCTL_CLIENT_ID: client.client_id,
        GMAILCTL_CLIENT_SECRET: client.client_secret,
        GMAILCTL_TOKEN_URI: client.token_uri,
        GMAILCTL_REFRESH_TOKEN: refreshToken,
      },
    };
  }

  it('--account naming another mailbox is a usage error (exit 2), not a silent listing of the wrong one', async () => {
    const { s, env } = await storedAndEnvironment();
    const result = await s.run(['list', '--format', 'ids', '--account', GRACE], { env });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/grace@example\.com/);
    expect(result.stderr).toMatch(/ada@example\.com/);
    const same = await s.run(['list', '--format', 'ids', '--account', 'ADA@example.com'], { env });
    expect(same.exitCode, same.stderr).toBe(0);
  }, 60_000);

  it('logout touches no stored login and says what it did', async () => {
    const { s, env } = await storedAndEnvironment();
    const before = [await readFile(tokensFile(s), 'utf8'), await readFile(path.join(s.configDir, 'config.json'), 'utf8')];
    emulator.clearRequests();
    const result = await s.run(['logout'], { env });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/environment/);
    expect(result.stderr).toMatch(/nothing|not/i);
    expect([await readFile(tokensFile(s), 'utf8'), await readFile(path.join(s.configDir, 'config.json'), 'utf8')]).toEqual(before);
    expect(emulator.requests.filter((r) => r.path === '/revoke')).toEqual([]);
    expect((await s.run(['status', '--json'])).exitCode).toBe(0);
  }, 60_000);

  it('status reports the environment login alone, by the address Google gives for it', async () => {
    const { s, env } = await storedAndEnvironment();
    const result = await s.run(['status', '--json'], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { defaultAccount: string; accounts: Array<{ account: string; source: string }> };
    expect(report.accounts).toEqual([expect.objectContaining({ account: ADA, source: 'environment' })]);
    expect(report.defaultAccount).toBe(ADA);
    const text = await s.run(['status'], { env });
    expect(text.stdout).not.toMatch(/grace/);
  }, 60_000);
});

describe('6. a failed write to stdout is exit 1 with one line on stderr', () => {
  const cases: Array<[string, string]> = [
    ['list --format ids', '> /dev/full'],
    ['list --format json', '> /dev/full'],
    ['token', '> /dev/full'],
    ['--help', '> /dev/full'],
    ['--version', '> /dev/full'],
  ];
  for (const [args, redirect] of cases) {
    it(`gmailctl ${args} ${redirect}`, async () => {
      const s = await loggedIn();
      const result = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" ${args} ${redirect}`], { env: s.env, extendEnv: false, reject: false });
      expect(result.exitCode, result.stderr).toBe(1);
      const lines = String(result.stderr).split('\n').filter(Boolean);
      expect(lines, String(result.stderr)).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: .*(stdout|standard output)/);
      expect(String(result.stderr)).not.toMatch(/\n\s+at |looks like a bug/);
    });
  }

  // Node reopens a closed fd 1 on /dev/null read-write, as `1<>/dev/null` and Node's or
  // Python's "ignore the output" open it: gmailctl cannot tell them apart, and output thrown
  // away on purpose must succeed (test/e2e/stdout-devnull.test.ts). So `>&-` succeeds too.
  it.each(['list --format ids', '--version', '--help'])('gmailctl %s >&- is treated as output sent to /dev/null: exit 0', async (args) => {
    const s = await loggedIn();
    const result = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" ${args} >&-`], { env: s.env, extendEnv: false, reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toBe('');
  });

  it('a reader that goes away early is still a quiet exit 0 (list | head -1)', async () => {
    const s = await loggedIn();
    const result = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" list --format ids | head -1`], { env: s.env, extendEnv: false, reject: false });
    expect(result.exitCode).toBe(0);
    expect(String(result.stderr)).toBe('');
  });
});

describe('4. logout past dangling entries', () => {
  /** ada and grace logged in; grace's secret then removed by another tool (config.json still lists her). */
  async function withDangling(): Promise<Sandbox> {
    const s = await loggedIn(ADA, GRACE);
    const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, unknown>;
    delete logins[GRACE];
    await writeFile(tokensFile(s), JSON.stringify(logins, null, 2), { mode: 0o600 });
    return s;
  }
  const config = async (s: Sandbox): Promise<{ defaultAccount?: string; accounts?: string[] }> =>
    JSON.parse(await readFile(path.join(s.configDir, 'config.json'), 'utf8'));

  it('logout --all logs out of everything it can, cleans the dangling entry, and reports each', async () => {
    const s = await withDangling();
    emulator.clearRequests();
    const result = await s.run(['logout', '--all']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.requests.filter((r) => r.path === '/revoke')).toHaveLength(1);
    expect(result.stderr).toMatch(/Logged out of ada@example\.com/);
    expect(result.stderr).toMatch(/grace@example\.com/);
    expect((await config(s)).accounts ?? []).toEqual([]);
    expect(JSON.parse(await readFile(tokensFile(s), 'utf8'))).toEqual({});
  });

  it('logout --account of a dangling entry removes it, and the default moves to a login that exists', async () => {
    const s = await withDangling();
    expect((await config(s)).defaultAccount).toBe(GRACE);
    const result = await s.run(['logout', '--account', GRACE]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/grace@example\.com/);
    expect(await config(s)).toMatchObject({ defaultAccount: ADA, accounts: [ADA] });
    expect((await s.run(['status'])).exitCode).toBe(0);
  });

  it('an account never stored is still exit 4', async () => {
    const s = await loggedIn(ADA);
    const result = await s.run(['logout', '--account', 'nobody@example.com']);
    expect(result.exitCode).toBe(4);
  });
});

describe('5. no usable home: never a config dir under the current directory', () => {
  async function runIn(cwd: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
    const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const result = await execa(process.execPath, [CLI, ...args], { cwd, env: clean, extendEnv: false, reject: false, stdin: 'ignore' });
    return { exitCode: result.exitCode, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  it('HOME empty: login fails with a clear message and writes nothing in the current directory', async () => {
    const s = await sandbox();
    const cwd = path.join(s.dir, 'cwd');
    await mkdir(cwd);
    const result = await runIn(cwd, ['login', '--insecure-storage', '--timeout', '20'], { ...s.env, HOME: '', GMAILCTL_CONFIG_DIR: undefined, XDG_CONFIG_HOME: undefined });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/HOME/);
    expect(result.stderr).toMatch(/GMAILCTL_CONFIG_DIR/);
    expect(await readdir(cwd)).toEqual([]);
  });

  it('HOME empty with a config dir given: list works and leaves no cache under the current directory', async () => {
    const s = await loggedIn();
    const cwd = path.join(s.dir, 'cwd');
    await mkdir(cwd);
    for (const run of [1, 2]) {
      const result = await runIn(cwd, ['list', '-n', '2'], { ...s.env, HOME: '', XDG_CACHE_HOME: undefined });
      expect(result.exitCode, `run ${run}: ${result.stderr}`).toBe(0);
    }
    expect(await readdir(cwd)).toEqual([]);
   }, 90_000);

  it('a relative XDG_CONFIG_HOME is ignored, as the XDG spec says: the config goes under $HOME/.config', async () => {
    const s = await sandbox();
    const cwd = path.join(s.dir, 'cwd');
    await mkdir(cwd);
    const env = { ...s.env, GMAILCTL_CONFIG_DIR: undefined, XDG_CONFIG_HOME: 'rel' };
    const result = await runIn(cwd, ['login', '--insecure-storage', '--timeout', '20'], env);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readdir(cwd)).toEqual([]);
    expect(await readdir(path.join(s.dir, '.config', 'gmailctl'))).toContain('tokens.json');
  });
});

describe('8. --debug shows each request', () => {
  it('method, path, status and time of every request on stderr; no secret, no query value', async () => {
    const s = await loggedIn();
    await editLogin(s, ADA, (login) => {
      login.expiry_date = Date.now() - 1000; // a refresh too
    });
    const result = await s.run(['--debug', 'list', '-q', 'from:someone-private@example.org', '-n', '3']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/debug: POST \/token → 200 \(\d+ ms\)/);
    expect(result.stderr).toMatch(/debug: GET \/gmail\/v1\/users\/me\/messages → 200 \(\d+ ms\)/);
    const metadata = await s.run(['--debug', 'list', '-n', '3']);
    expect(metadata.stderr).toMatch(/debug: (GET \/gmail\/v1\/users\/me\/messages\/\w+|POST \/batch\/gmail\/v1) → 200/);
    expect(result.stderr).not.toMatch(/someone-private|labelIds=|maxResults=/);
    const issued = emulator.tokens();
    for (const secret of [...issued.refreshTokens, ...issued.accessTokens, emulator.clientSecret]) {
      expect(result.stderr).not.toContain(secret);
      expect(metadata.stderr).not.toContain(secret);
    }
  });

  it('a request that fails without an answer is shown too', async () => {
    const s = await loggedIn();
    emulator.enqueue(LIST_ONLY, { type: 'reset' }, 1);
    const result = await s.run(['list', '--format', 'ids'], { env: { GMAILCTL_DEBUG: '1' } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/debug: GET \/gmail\/v1\/users\/me\/messages → failed/);
  });
});

describe('10. the smaller ones', () => {
  it('`gmailctl help nosuch` is a usage error (exit 2) naming the command; `help list` still works', async () => {
    const s = await sandbox();
    const result = await s.run(['help', 'nosuch']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/nosuch/);
    expect(result.stdout).toBe('');
    const list = await s.run(['help', 'list']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/Usage: gmailctl list/);
  });
});

describe('10. gmailctl switch', () => {
  const config = async (s: Sandbox): Promise<{ defaultAccount?: string }> => JSON.parse(await readFile(path.join(s.configDir, 'config.json'), 'utf8'));

  it('switch ACCOUNT makes a stored login the default (addresses case-insensitive); status then names it the default', async () => {
    const s = await loggedIn(ADA, GRACE);
    expect((await config(s)).defaultAccount).toBe(GRACE);
    const result = await s.run(['switch', 'ADA@example.com']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/ada@example\.com/);
    expect(result.stdout).toBe('');
    expect((await config(s)).defaultAccount).toBe(ADA);
    const status = JSON.parse((await s.run(['status', '--offline', '--json'])).stdout) as { defaultAccount: string };
    expect(status.defaultAccount).toBe(ADA);
  }, 60_000);

  it('with two logins and no argument, switches to the other one, as gh auth switch does', async () => {
    const s = await loggedIn(ADA, GRACE);
    const result = await s.run(['switch']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await config(s)).defaultAccount).toBe(ADA);
  }, 60_000);

  it('an account with no stored login: exit 4, the default unchanged', async () => {
    const s = await loggedIn(ADA);
    const result = await s.run(['switch', 'nobody@example.com']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/nobody@example\.com/);
    expect((await config(s)).defaultAccount).toBe(ADA);
  });
});

describe('10. --label', () => {
  it("--label '' is a usage error, sending nothing", async () => {
    const s = await loggedIn();
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids', '--label', '']);
    expect(result.exitCode).toBe(2);
    expect(emulator.requests.filter((r) => r.path.startsWith('/gmail/'))).toEqual([]);
  });

  it('a label name is resolved to its id with labels.list: --label receipts lists what --label Label_1 lists', async () => {
    const s = await loggedIn();
    const byId = await s.run(['list', '--format', 'ids', '--label', 'Label_1']);
    expect(byId.exitCode, byId.stderr).toBe(0);
    expect(byId.stdout).not.toBe('');
    const byName = await s.run(['list', '--format', 'ids', '--label', 'receipts']);
    expect(byName.exitCode, byName.stderr).toBe(0);
    expect(byName.stdout).toBe(byId.stdout);
  }, 60_000);

  it('a label that does not exist: a clear "no such label", not an empty success', async () => {
    const s = await loggedIn();
    const result = await s.run(['list', '--format', 'ids', '--label', 'Nonexistent']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no label .*Nonexistent/i);
    expect(result.stdout).toBe('');
  });
});
