/**
 * `gmailctl status` as the doctor: which token store and whether it answers, what the OAuth
 * client file is, granted scopes, and a login's age and Testing-mode expiry — each problem
 * with the command or page that fixes it, and exit 0 only when the default login works.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/auth/status-report.js';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

const ACCOUNT = 'ada@example.com';
const READONLY = 'https://www.googleapis.com/auth/gmail.readonly';
const EMAIL_ONLY = 'https://www.googleapis.com/auth/userinfo.email';
const DAY = 86_400_000;

/** What `status --json` prints: the use case's report, as the source declares it. */
type StatusJson = StatusReport;

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: [ACCOUNT], messages: 5 }, (started) => (emulator = started));
afterEach(() => {
  emulator.setGrantedScopes(undefined);
});

/** File-store sandboxes run the program in-process; the keychain's need a process (its D-Bus address is the process's). */
async function sandbox(store: 'file' | 'keychain' = 'file'): Promise<Sandbox> {
  return newSandbox({ store, runner: store === 'file' ? 'in-process' : 'process' });
}

async function loggedIn(): Promise<Sandbox> {
  const s = await sandbox();
  const result = await s.login();
  expect(result.exitCode, result.stderr).toBe(0);
  return s;
}

const tokensFile = (s: Sandbox): string => path.join(s.configDir, 'tokens.json');

async function editLogin(s: Sandbox, change: (login: Record<string, unknown>) => void): Promise<void> {
  const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, Record<string, unknown>>;
  change(logins[ACCOUNT]!);
  await writeFile(tokensFile(s), JSON.stringify(logins, null, 2), { mode: 0o600 });
}

async function statusJson(s: Sandbox, env: Record<string, string | undefined> = {}): Promise<{ exitCode: number | undefined; report: StatusJson; stderr: string }> {
  const result = await s.run(['status', '--json'], { env });
  let report: StatusJson;
  try {
    report = JSON.parse(result.stdout) as StatusJson;
  } catch {
    throw new Error(`status --json printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
  }
  return { exitCode: result.exitCode, report, stderr: result.stderr };
}

/** A D-Bus address whose socket does not exist: no Secret Service. */
const noSecretService = (s: Sandbox): Record<string, string> => ({
  DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(s.dir, 'missing-bus-socket')}`,
  GMAILCTL_KEYCHAIN_TIMEOUT_MS: '3000',
});

describe('the token store', () => {
  it('--json reports the file store, where it is, reachable, and a working default login: exit 0', async () => {
    const s = await loggedIn();
    const { exitCode, report, stderr } = await statusJson(s);
    expect(exitCode, stderr).toBe(0);
    expect(report.tokenStore).toEqual({ kind: 'file', location: tokensFile(s), reachable: true });
    expect(report.configDir).toBe(s.configDir);
    expect(report.credentials).toEqual({ file: s.credentialsFile, kind: 'installed' });
    expect(report.neededScopes).toEqual([READONLY]);
    expect(report.defaultAccount).toBe(ACCOUNT);
    expect(report.accounts).toHaveLength(1);
    expect(report.accounts[0]).toMatchObject({ account: ACCOUNT, isDefault: true, ok: true, state: 'valid', missingScopes: [], loginAgeDays: 0 });
    expect(report.accounts[0]!.scopes).toContain(READONLY);
    expect(report.accounts[0]!.fix).toBeUndefined();
    // Nothing secret in the report.
    const raw = JSON.stringify(report);
    for (const secret of [...emulator.tokens().refreshTokens, ...emulator.tokens().accessTokens, emulator.clientSecret]) expect(raw).not.toContain(secret);
  });

  it('the keychain store with no Secret Service: reachable false, a problem naming both opt-ins, exit 1 (a keychain error)', async () => {
    const s = await sandbox('keychain');
    // A login was recorded earlier (config.json names the account); its secret is in the keychain.
    await mkdir(s.configDir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(s.configDir, 'config.json'), JSON.stringify({ defaultAccount: ACCOUNT, accounts: [ACCOUNT] }));

    const { exitCode, report, stderr } = await statusJson(s, noSecretService(s));
    expect(exitCode).toBe(1);
    expect(report.tokenStore.kind).toBe('keychain');
    expect(report.tokenStore.reachable).toBe(false);
    expect(report.tokenStore.problem).toMatch(/--insecure-storage/);
    expect(report.tokenStore.problem).toMatch(/GMAILCTL_TOKEN_STORE=file/);
    expect(report.accounts[0]).toMatchObject({ account: ACCOUNT, ok: false });
    expect(stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);

    const text = await s.run(['status'], { env: noSecretService(s) });
    expect(text.exitCode).toBe(1);
    expect(text.stderr).not.toMatch(/gmailctl login --account/); // logging in again cannot fix the keychain
    expect(text.stdout).toMatch(/^Token store: OS keychain .*unreachable$/m);
    expect(text.stdout).toMatch(/--insecure-storage/);
    expect(text.stdout).toMatch(/GMAILCTL_TOKEN_STORE=file/);
  });

  it('the keychain store with no Secret Service and no login at all: still reachable false, exit 1', async () => {
    const s = await sandbox('keychain');
    const { exitCode, report } = await statusJson(s, noSecretService(s));
    expect(exitCode).toBe(1);
    expect(report.tokenStore.reachable).toBe(false);
    expect(report.tokenStore.problem).toMatch(/--insecure-storage.*GMAILCTL_TOKEN_STORE=file|GMAILCTL_TOKEN_STORE=file.*--insecure-storage/s);
    expect(report.accounts).toEqual([]);
  });
});

describe('the OAuth client file', () => {
  it('a "web" client: a problem saying a Web client cannot use the loopback redirect', async () => {
    const s = await loggedIn();
    await writeFile(s.credentialsFile, JSON.stringify(emulator.credentials('web')), { mode: 0o600 });
    const { report } = await statusJson(s);
    expect(report.credentials.kind).toBe('web');
    expect(report.credentials.problem).toMatch(/Web application/);
    expect(report.credentials.problem).toMatch(/loopback|127\.0\.0\.1/);
    expect(report.credentials.problem).toMatch(/Desktop app/);

    const text = await s.run(['status']);
    expect(text.stdout).toMatch(/^OAuth client: .*\(Web application\)$/m);
    expect(text.stdout).toMatch(/Desktop app/);
  });

  it('a missing client file: a problem naming the file', async () => {
    const s = await loggedIn();
    const { report } = await statusJson(s, { GMAILCTL_CREDENTIALS: path.join(s.dir, 'nope.json') });
    expect(report.credentials.file).toBe(path.join(s.dir, 'nope.json'));
    expect(report.credentials.problem).toContain(path.join(s.dir, 'nope.json'));
  });
});

describe('scopes', () => {
  it('login when Google grants no Gmail read scope: fails at identifying the account with a clear scope error, stores nothing', async () => {
    emulator.setGrantedScopes([EMAIL_ONLY]);
    const s = await sandbox();
    const result = await s.login();
    expect(result.exitCode).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/scope/i);
    expect(errors[0]).toContain(READONLY);
    expect(result.stderr).toMatch(/gmailctl login/);
    expect(result.stderr).not.toMatch(/Logged in as/);
    const status = await statusJson(s);
    expect(status.report.accounts).toEqual([]);
    expect(status.exitCode).toBe(4);
  });

  it('a stored login whose scope lacks gmail.readonly: missingScopes and the fix', async () => {
    const s = await loggedIn();
    await editLogin(s, (login) => {
      login.scope = EMAIL_ONLY;
    });
    const { report } = await statusJson(s);
    expect(report.accounts[0]!.scopes).toEqual([EMAIL_ONLY]);
    expect(report.accounts[0]!.missingScopes).toEqual([READONLY]);
    expect(report.accounts[0]!.fix).toBe(`gmailctl login --account ${ACCOUNT}`);

    const text = await s.run(['status']);
    expect(text.stdout).toContain(`granted scopes lack ${READONLY}`);
    expect(text.stdout).toContain(`Run: gmailctl login --account ${ACCOUNT}`);
  });

  it('a broader read scope (gmail.modify) is not reported missing', async () => {
    const s = await loggedIn();
    await editLogin(s, (login) => {
      login.scope = `https://www.googleapis.com/auth/gmail.modify ${EMAIL_ONLY}`;
    });
    const { report } = await statusJson(s);
    expect(report.accounts[0]!.missingScopes).toEqual([]);
    expect(report.accounts[0]!.fix).toBeUndefined();
  });
});

describe('a Testing-mode login', () => {
  it('6 days old, expiring in 12 hours: status warns, points to the README, and says "logged in 6 days ago"', async () => {
    const s = await loggedIn();
    const now = Date.now();
    await editLogin(s, (login) => {
      login.created_at = now - 6 * DAY;
      login.refresh_expiry_date = now + 12 * 3_600_000;
    });
    const { exitCode, report } = await statusJson(s);
    expect(exitCode).toBe(0); // it still works
    const account = report.accounts[0]!;
    expect(account.ok).toBe(true);
    expect(account.loginAgeDays).toBe(6);
    expect(Math.abs(Date.parse(account.loginExpiresAt ?? '') - (now + 12 * 3_600_000))).toBeLessThan(2000);
    expect(account.warning).toMatch(/expires in 1[12] hours/);
    expect(account.warning).toMatch(/Testing/);
    expect(account.warning).toMatch(/README/);

    const text = await s.run(['status']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`${ACCOUNT.replace('.', '\\.')} \\(default\\): .*logged in 6 days ago`));
    expect(text.stdout).toMatch(/expires in 1[12] hours.*README/);
  });

  it('a login made today with 7 days left: no warning, "logged in today"', async () => {
    const s = await loggedIn();
    await editLogin(s, (login) => {
      login.refresh_expiry_date = Date.now() + 7 * DAY;
    });
    const { report } = await statusJson(s);
    expect(report.accounts[0]!.warning).toBeUndefined();
    const text = await s.run(['status']);
    expect(text.stdout).toMatch(/logged in today/);
    expect(text.stdout).not.toMatch(/expires in/);
  });

  it('past its expiry: status says it has expired', async () => {
    const s = await loggedIn();
    await editLogin(s, (login) => {
      login.created_at = Date.now() - 8 * DAY;
      login.refresh_expiry_date = Date.now() - DAY;
    });
    const { report } = await statusJson(s);
    expect(report.accounts[0]!.loginAgeDays).toBe(8);
    expect(report.accounts[0]!.warning).toMatch(/has expired/);
  });
});
