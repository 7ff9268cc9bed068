/** logout, status, token and several accounts, end to end against the emulator. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: ['ada@example.com', 'grace@example.com'], messages: 5 }, (started) => (emulator = started));
afterEach(() => {
  emulator.setAccessTokenLifetime(3599);
});

async function loggedIn(...accounts: string[]): Promise<Sandbox> {
  const s = await newSandbox({ runner: 'in-process' });
  for (const account of accounts) {
    const result = await s.login(['--account', account]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  return s;
}

async function storedLogins(s: Sandbox): Promise<Record<string, { refresh_token: string; access_token?: string }>> {
  try {
    return JSON.parse(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8'));
  } catch {
    return {};
  }
}

const tokenCalls = (): number => emulator.requests.filter((r) => r.path === '/token').length;

describe('token', () => {
  it('prints the cached access token without refreshing, and nothing else', async () => {
    const s = await loggedIn('ada@example.com');
    emulator.clearRequests();
    const result = await s.run(['token']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${(await storedLogins(s))['ada@example.com']?.access_token}\n`);
    expect(result.stderr).toBe('');
    expect(tokenCalls()).toBe(0);
  });

  it('refreshes a token that expires within 5 minutes and caches the new one', async () => {
    emulator.setAccessTokenLifetime(120);
    const s = await loggedIn('ada@example.com');
    const before = (await storedLogins(s))['ada@example.com']?.access_token;
    emulator.clearRequests();
    const result = await s.run(['token']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(tokenCalls()).toBe(1);
    expect(new URLSearchParams(emulator.requests.find((r) => r.path === '/token')?.body).get('grant_type')).toBe('refresh_token');
    const token = result.stdout.trim();
    expect(token).not.toBe(before);
    expect((await storedLogins(s))['ada@example.com']?.access_token).toBe(token);
    // The token works at the API, as `curl -H "Authorization: Bearer $(gmailctl token)"` would use it.
    const profile = await fetch(new URL('gmail/v1/users/me/profile', emulator.url), { headers: { Authorization: `Bearer ${token}` } });
    expect(profile.status).toBe(200);
  });

  it('exits 4 naming the account when the refresh token was revoked', async () => {
    emulator.setAccessTokenLifetime(60);
    const s = await loggedIn('ada@example.com');
    emulator.revokeAll();
    const result = await s.run(['token']);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/ada@example\.com/);
    expect(result.stderr).toMatch(/gmailctl login --account ada@example\.com/);
  });

  it('exits 4 with the login command when nobody is logged in', async () => {
    const s = await loggedIn();
    const result = await s.run(['token']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/gmailctl login/);
  });
});

describe('several accounts', () => {
  it('makes the last login the default, and --account / GMAILCTL_ACCOUNT choose per call', async () => {
    const s = await loggedIn('ada@example.com', 'grace@example.com');
    const logins = await storedLogins(s);
    expect(Object.keys(logins).sort()).toEqual(['ada@example.com', 'grace@example.com']);
    const config = JSON.parse(await readFile(path.join(s.configDir, 'config.json'), 'utf8'));
    expect(config.defaultAccount).toBe('grace@example.com');

    expect((await s.run(['token'])).stdout.trim()).toBe(logins['grace@example.com']?.access_token);
    expect((await s.run(['token', '--account', 'ada@example.com'])).stdout.trim()).toBe(logins['ada@example.com']?.access_token);
    expect((await s.run(['token'], { env: { GMAILCTL_ACCOUNT: 'ada@example.com' } })).stdout.trim()).toBe(
      logins['ada@example.com']?.access_token,
    );
    // Choosing per call changes no global state.
    expect(JSON.parse(await readFile(path.join(s.configDir, 'config.json'), 'utf8')).defaultAccount).toBe('grace@example.com');
  });
});

describe('status', () => {
  it('lists the accounts, the default and the store, and exits 0 when the default works', async () => {
    const s = await loggedIn('ada@example.com', 'grace@example.com');
    const result = await s.run(['status']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/grace@example\.com \(default\)/);
    expect(result.stdout).toMatch(/ada@example\.com/);
    expect(result.stdout).toMatch(/Token store: file/);
  });

  it('answers --json for scripts', async () => {
    const s = await loggedIn('ada@example.com');
    const result = await s.run(['status', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.defaultAccount).toBe('ada@example.com');
    expect(report.tokenStore.kind).toBe('file');
    expect(report.accounts).toEqual([expect.objectContaining({ account: 'ada@example.com', isDefault: true, ok: true })]);
    expect(result.stdout).not.toMatch(/ya29\.|1\/\//);
  });

  it('exits 4 when the default login no longer works, and says what to run', async () => {
    emulator.setAccessTokenLifetime(60);
    const s = await loggedIn('ada@example.com');
    emulator.revokeAll();
    const result = await s.run(['status']);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toMatch(/revoked or has expired/);
    expect(result.stderr).toMatch(/gmailctl login --account ada@example\.com/);
  });

  it('knows when a Testing-mode login expires, from what Google said at login', async () => {
    emulator.setTestingMode(true);
    try {
      const s = await loggedIn('ada@example.com');
      const report = JSON.parse((await s.run(['status', '--json'])).stdout);
      const expires = Date.parse(report.accounts[0].loginExpiresAt);
      expect(Math.abs(expires - (Date.now() + 604_799_000))).toBeLessThan(60_000);
      expect(report.accounts[0].loginAgeDays).toBe(0);
      expect(report.accounts[0].warning).toBeUndefined(); // 7 days left: nothing to warn about yet
    } finally {
      emulator.setTestingMode(false);
    }
  });

  it('exits 4 when there is no login at all', async () => {
    const s = await loggedIn();
    const result = await s.run(['status']);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toMatch(/No stored logins/);
  });
});

describe('logout', () => {
  it('revokes the refresh token at Google, then deletes it; the default moves on', async () => {
    const s = await loggedIn('ada@example.com', 'grace@example.com');
    const refresh = (await storedLogins(s))['grace@example.com']?.refresh_token;
    emulator.clearRequests();
    const result = await s.run(['logout']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Logged out of grace@example\.com/);
    const revoke = emulator.requests.find((r) => r.path === '/revoke');
    expect(revoke?.method).toBe('POST');
    expect(new URLSearchParams(revoke?.body).get('token')).toBe(refresh);
    expect(revoke?.query.get('token')).toBeNull(); // never in the URL
    expect(Object.keys(await storedLogins(s))).toEqual(['ada@example.com']);
    // The revoked token is dead at Google.
    const refreshed = await fetch(new URL('token', emulator.url), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh ?? '', client_id: emulator.clientId, client_secret: emulator.clientSecret }),
    });
    expect(refreshed.status).toBe(400);
    expect((await s.run(['token'])).stdout.trim()).toBe((await storedLogins(s))['ada@example.com']?.access_token);
  });

  it('deletes the local login and warns when revoking fails', async () => {
    const s = await loggedIn('ada@example.com');
    emulator.enqueue({ method: 'POST', path: '/revoke' }, { type: 'reset' }, 1);
    const result = await s.run(['logout']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: Could not revoke/);
    expect(await storedLogins(s)).toEqual({});
  });

  it('logs out of every account with --all', async () => {
    const s = await loggedIn('ada@example.com', 'grace@example.com');
    emulator.clearRequests();
    const result = await s.run(['logout', '--all']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.requests.filter((r) => r.path === '/revoke')).toHaveLength(2);
    expect(await storedLogins(s)).toEqual({});
    expect((await s.run(['status'])).exitCode).toBe(4);
  });

  it('exits 4 for an account that is not stored', async () => {
    const s = await loggedIn('ada@example.com');
    const result = await s.run(['logout', '--account', 'nobody@example.com']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/no stored login for nobody@example\.com/);
  });

  it('refuses --all together with --account as a usage error', async () => {
    const s = await loggedIn();
    const result = await s.run(['logout', '--all', '--account', 'ada@example.com']);
    expect(result.exitCode).toBe(2);
  });
});
