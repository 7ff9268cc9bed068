/**
 * Logins from the environment only (CI, containers): GMAILCTL_CLIENT_ID +
 * GMAILCTL_CLIENT_SECRET + GMAILCTL_REFRESH_TOKEN (+ GMAILCTL_TOKEN_URI for the emulator),
 * or GMAILCTL_ACCESS_TOKEN alone. No config dir content, no client file, no keychain: and
 * nothing is written anywhere. Errors point at the environment, never at `gmailctl login`
 * for a made-up account, and no secret from the environment reaches stderr, even with --debug.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, runCli, type CliResult, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
let donor: Sandbox;
let work: string;
let configDir: string;
let home: string;
let refreshToken: string;
let accessToken: string;
let visibleIds: string[];

interface StoredLogins {
  [account: string]: { refresh_token: string; access_token: string };
}

/** A fresh login in a throwaway sandbox: its tokens, as a CI secret would be made. */
async function freshLogin(): Promise<{ refresh_token: string; access_token: string }> {
  const s = await createSandbox(emulator);
  try {
    const result = await s.login();
    expect(result.exitCode, result.stderr).toBe(0);
    const logins = JSON.parse(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')) as StoredLogins;
    return logins[ACCOUNT]!;
  } finally {
    await s.cleanup();
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 15 });
  donor = await createSandbox(emulator);
  const login = await donor.login();
  expect(login.exitCode, login.stderr).toBe(0);
  const stored = (JSON.parse(await readFile(path.join(donor.configDir, 'tokens.json'), 'utf8')) as StoredLogins)[ACCOUNT]!;
  refreshToken = stored.refresh_token;
  accessToken = stored.access_token;
  visibleIds = emulator
    .mailbox()
    .filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'))
    .map((m) => m.id);

  work = await mkdtemp(path.join(tmpdir(), 'gmailctl-ci-'));
  home = path.join(work, 'home');
  configDir = path.join(work, 'config');
  await mkdir(home);
  await mkdir(configDir, { mode: 0o700 });
});

afterAll(async () => {
  await donor?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
  await emulator?.close();
});

/**
 * A CI job's environment: an empty config dir, no client file, no GMAILCTL_TOKEN_STORE
 * (so the keychain is the default store), and a D-Bus address that leads nowhere: any
 * keychain access would fail.
 */
function ciEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    GMAILCTL_CONFIG_DIR: configDir,
    GMAILCTL_API_ROOT: emulator.url,
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(work, 'no-such-bus')}`,
    GMAILCTL_KEYCHAIN_TIMEOUT_MS: '2000',
    NO_COLOR: '1',
    ...extra,
  };
}

const refreshEnv = (token = refreshToken): Record<string, string> => ({
  GMAILCTL_CLIENT_ID: emulator.clientId,
  GMAILCTL_CLIENT_SECRET: emulator.clientSecret,
  GMAILCTL_REFRESH_TOKEN: token,
  GMAILCTL_TOKEN_URI: new URL('token', emulator.url).toString(),
});

const run = (args: string[], env: Record<string, string | undefined>): Promise<CliResult> => runCli(args, { env: ciEnv(env) });

async function expectNothingWritten(): Promise<void> {
  expect(await readdir(configDir)).toEqual([]);
  expect(await readdir(home)).toEqual([]);
}

const errorLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('error:'));

describe('GMAILCTL_CLIENT_ID + GMAILCTL_CLIENT_SECRET + GMAILCTL_REFRESH_TOKEN', () => {
  it('list works with no config, no client file and an unreachable keychain, and writes nothing', async () => {
    emulator.clearRequests();
    const result = await run(['list', '--format', 'tsv'], refreshEnv());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0])).toEqual(visibleIds);
    expect(result.stderr).toBe('');
    // It refreshed at the token endpoint named by GMAILCTL_TOKEN_URI.
    expect(emulator.requests.some((r) => r.method === 'POST' && r.path === '/token')).toBe(true);
    await expectNothingWritten();
  });

  it('token prints a fresh access token the emulator issued, and writes nothing', async () => {
    const result = await run(['token'], refreshEnv());
    expect(result.exitCode, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    expect(emulator.tokens().accessTokens).toContain(token);
    expect(token).not.toBe(accessToken);
    await expectNothingWritten();
  });

  it('works the same with GMAILCTL_TOKEN_STORE=keychain stated explicitly (the store is never opened)', async () => {
    const result = await run(['list', '--format', 'ids', '-n', '3'], { ...refreshEnv(), GMAILCTL_TOKEN_STORE: 'keychain' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(visibleIds.slice(0, 3));
    await expectNothingWritten();
  });

  it('the stored-login path really is unusable here (the test would notice a keychain access)', async () => {
    const result = await run(['status'], {});
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/unreachable/);
  });

  it('status reports the environment\'s login as the default, exit 0; exit 4 once Google refuses it', async () => {
    const ok = await run(['status', '--json'], refreshEnv());
    expect(ok.exitCode, ok.stderr).toBe(0);
    const report = JSON.parse(ok.stdout) as { defaultAccount: string; accounts: Array<{ source: string; ok: boolean; isDefault: boolean }> };
    // Named by the address Google gives for it (getProfile), not by the variable (issue #12).
    expect(report.defaultAccount).toBe(ACCOUNT);
    expect(report.accounts[0]).toMatchObject({ source: 'environment', ok: true, isDefault: true });

    const dead = await run(['status'], refreshEnv('1//0not-a-token-the-emulator-knows'));
    expect(dead.exitCode).toBe(4);
    expect(dead.stderr).toMatch(/login in the environment does not work/);
    expect(dead.stderr).toMatch(/GMAILCTL_REFRESH_TOKEN/);
    expect(dead.stderr).not.toMatch(/gmailctl login --account/);
    await expectNothingWritten();
  });

  it('a revoked refresh token: exit 4 with a hint about the environment variables', async () => {
    const doomed = (await freshLogin()).refresh_token;
    const revoked = await fetch(new URL('revoke', emulator.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: doomed }),
    });
    expect(revoked.status).toBe(200);
    for (const args of [['list'], ['token']]) {
      const result = await run(args, refreshEnv(doomed));
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(4);
      expect(result.stdout).toBe('');
      expect(errorLines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toMatch(/GMAILCTL_REFRESH_TOKEN/);
      expect(result.stderr).not.toMatch(/gmailctl login --account/);
      expect(result.stderr).not.toMatch(/--account the login/);
      expect(result.stderr).not.toContain(doomed);
    }
    await expectNothingWritten();
  });

  it.each([
    [['GMAILCTL_CLIENT_ID', 'GMAILCTL_CLIENT_SECRET'], {}],
    [['GMAILCTL_CLIENT_SECRET'], { GMAILCTL_CLIENT_ID: 'x.apps.googleusercontent.com' }],
    [['GMAILCTL_CLIENT_ID'], { GMAILCTL_CLIENT_SECRET: 'GOCSPX-ci-secret' }],
  ] as const)('GMAILCTL_REFRESH_TOKEN without %j: exit 1 naming them', async (missing, present) => {
    for (const args of [['list'], ['token']]) {
      const result = await run(args, { GMAILCTL_REFRESH_TOKEN: refreshToken, ...present });
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      const [line] = errorLines(result.stderr);
      expect(errorLines(result.stderr)).toHaveLength(1);
      for (const name of missing) expect(line).toContain(name);
      for (const name of ['GMAILCTL_CLIENT_ID', 'GMAILCTL_CLIENT_SECRET'].filter((n) => !(missing as readonly string[]).includes(n))) {
        expect(line).not.toContain(name);
      }
      expect(result.stderr).not.toContain(refreshToken);
      expect(result.stderr).not.toContain('GOCSPX-ci-secret');
    }
    await expectNothingWritten();
  });

  it('no secret from the environment appears on stderr, even with --debug', async () => {
    for (const args of [['--debug', 'list', '-n', '5'], ['--debug', 'token'], ['list', '-n', '2']]) {
      const result = await run(args, { ...refreshEnv(), GMAILCTL_DEBUG: '1' });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/debug:|^$/);
      for (const secret of [refreshToken, emulator.clientSecret, ...emulator.tokens().accessTokens, ...emulator.tokens().refreshTokens]) {
        expect(result.stderr).not.toContain(secret);
      }
    }
  });

  it('no secret from the environment appears on stderr when the refresh fails with --debug', async () => {
    const result = await run(['--debug', 'list'], { ...refreshEnv(), GMAILCTL_CLIENT_SECRET: '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' });
    expect(result.exitCode).not.toBe(0);
    expect(errorLines(result.stderr)).toHaveLength(1);
    for (const secret of [refreshToken, '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', emulator.clientSecret]) expect(result.stderr).not.toContain(secret);
    await expectNothingWritten();
  });
});

describe('GMAILCTL_ACCESS_TOKEN alone', () => {
  it('list and token work, token printing exactly that token, and nothing is written', async () => {
    const list = await run(['list', '--format', 'tsv'], { GMAILCTL_ACCESS_TOKEN: accessToken });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0])).toEqual(visibleIds);
    const token = await run(['token'], { GMAILCTL_ACCESS_TOKEN: accessToken });
    expect(token.exitCode, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${accessToken}\n`);
    expect(token.stderr).toBe('');
    await expectNothingWritten();
  });

  it('once Google stops accepting it: list exits 4 with an error naming the environment, no secret on stderr', async () => {
    emulator.expireAccessTokens(); // every access token issued so far answers 401 from now on
    const result = await run(['--debug', 'list'], { GMAILCTL_ACCESS_TOKEN: accessToken });
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n').filter((line) => line && !line.startsWith('debug:'));
    expect(errorLines(result.stderr)).toHaveLength(1);
    expect(lines).toHaveLength(2); // the error and one hint
    expect(lines[0]).toMatch(/GMAILCTL_ACCESS_TOKEN/);
    expect(lines[1]).toMatch(/environment/);
    expect(result.stderr).not.toMatch(/gmailctl login --account/);
    expect(result.stderr).not.toContain(accessToken);
    await expectNothingWritten();
  });

  // An access token from GMAILCTL_ACCESS_TOKEN has no known expiry: `token` asks Gmail once
  // before printing it, so `curl -H "Authorization: Bearer $(gmailctl token)"` gets exit 4
  // and the hint, as `list` does, instead of a 401 from Google.
  it('once Google stops accepting it: token exits 4 too, printing nothing', async () => {
    emulator.expireAccessTokens();
    const result = await run(['token'], { GMAILCTL_ACCESS_TOKEN: accessToken });
    expect(result.stdout).toBe('');
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/GMAILCTL_ACCESS_TOKEN/);
  });
});
