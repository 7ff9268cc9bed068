/**
 * The OS keychain for real: gnome-keyring's Secret Service in a private D-Bus session
 * (test/with-keyring.sh), checked from outside with secret-tool. Outside CI, a machine
 * without those pieces skips this file with a notice from test/run-all.sh; CI fails instead.
 */
import { execa } from 'execa';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, hasSecretService, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
const sandboxes: Sandbox[] = [];

async function secretToolLookup(account: string): Promise<string | undefined> {
  const result = await execa('secret-tool', ['lookup', 'service', 'gmailctl', 'username', account], { reject: false });
  return result.exitCode === 0 ? String(result.stdout) : undefined;
}

describe.runIf(hasSecretService)('the OS keychain (real Secret Service)', () => {
  beforeAll(async () => {
    emulator = await startEmulator({ accounts: [ACCOUNT], messages: 20 });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(async () => {
    emulator.setAccessTokenLifetime(3599);
    await execa('secret-tool', ['clear', 'service', 'gmailctl', 'username', ACCOUNT], { reject: false });
    await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
  });

  async function keychainSandbox(): Promise<Sandbox> {
    const s = await createSandbox(emulator, { store: 'keychain' });
    sandboxes.push(s);
    return s;
  }

  it('stores the login under service gmailctl and the address, and nothing secret on disk', async () => {
    const s = await keychainSandbox();
    const result = await s.login();
    expect(result.exitCode, result.stderr).toBe(0);
    const secret = await secretToolLookup(ACCOUNT);
    expect(secret).toBeDefined();
    const stored = JSON.parse(secret as string) as { refresh_token: string; access_token: string; expiry_date: number };
    expect(emulator.tokens().refreshTokens).toContain(stored.refresh_token);
    expect(emulator.tokens().accessTokens).toContain(stored.access_token);
    expect(stored.expiry_date).toBeGreaterThan(Date.now());
    expect(await readdir(s.configDir)).toEqual(['config.json']);
    const config = await readFile(path.join(s.configDir, 'config.json'), 'utf8');
    expect(config).not.toContain(stored.refresh_token);
    expect(JSON.parse(config).tokenStore).toBeUndefined(); // the keychain is the default, nothing to remember
  });

  it('serves token and list from the keychain, and writes a refreshed token back', async () => {
    emulator.setAccessTokenLifetime(120); // inside the 5-minute margin: the next command refreshes
    const s = await keychainSandbox();
    expect((await s.login()).exitCode).toBe(0);
    const token = await s.run(['token']);
    expect(token.exitCode, token.stderr).toBe(0);
    const stored = JSON.parse((await secretToolLookup(ACCOUNT)) as string) as { access_token: string };
    expect(stored.access_token).toBe(token.stdout.trim());
    const list = await s.run(['list', '--format', 'ids']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout.trim().split('\n').length).toBeGreaterThan(0);
    const status = await s.run(['status']);
    expect(status.stdout).toMatch(/Token store: OS keychain/);
  });

  it('logout revokes and removes the keychain item', async () => {
    const s = await keychainSandbox();
    expect((await s.login()).exitCode).toBe(0);
    emulator.clearRequests();
    const result = await s.run(['logout']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(emulator.requests.some((r) => r.path === '/revoke')).toBe(true);
    expect(await secretToolLookup(ACCOUNT)).toBeUndefined();
  });

  it('reports an item holding garbage clearly, and sends no request without credentials', async () => {
    const s = await keychainSandbox();
    await execa('secret-tool', ['store', '--label', 'garbage', 'service', 'gmailctl', 'username', ACCOUNT], { input: 'not json at all' });
    await writeConfig(s, { defaultAccount: ACCOUNT, accounts: [ACCOUNT] });
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/stored login for ada@example\.com .* is not readable/);
    expect(result.stderr).toMatch(/gmailctl login --account ada@example\.com/);
    expect(emulator.requests).toHaveLength(0);
  });

  it('a re-login that fails leaves the previous keychain login intact', async () => {
    const s = await keychainSandbox();
    expect((await s.login()).exitCode).toBe(0);
    const before = await secretToolLookup(ACCOUNT);
    emulator.enqueue({ method: 'POST', path: '/token' }, { type: 'status', status: 400, reason: 'invalid_grant' }, 1);
    const again = await s.login();
    expect(again.exitCode).not.toBe(0);
    expect(await secretToolLookup(ACCOUNT)).toBe(before);
  });
});

async function writeConfig(s: Sandbox, config: object): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(s.configDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(s.configDir, 'config.json'), JSON.stringify(config), { mode: 0o600 });
}
