/**
 * What cannot be undone comes last (issue #24, item 1): a command first checks that it can
 * write what it must write, and only then revokes a token at Google or sends the user
 * through the browser's consent. A read-only config directory (a read-only bind mount: the
 * tests run as root, who ignores mode bits) must stop logout before the revocation and login
 * before the consent URL.
 */
import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Emulator } from '../emulator/index.js';
import type { Sandbox } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';
import { readOnlyMounts, runReadOnlyTests } from '../helpers/read-only.js';

const ADA = 'ada@example.com';
const AUTH_PATH = '/o/oauth2/v2/auth';

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: [ADA], messages: 5 }, (started) => (emulator = started), { runner: 'in-process' });
const readOnly = readOnlyMounts();

async function loggedIn(): Promise<Sandbox> {
  const s = await newSandbox();
  const result = await s.login(['--account', ADA]);
  expect(result.exitCode, result.stderr).toBe(0);
  return s;
}

describe.runIf(runReadOnlyTests)('a read-only config directory', () => {
  it('logout stops before revoking: exit 1 naming the directory, the login still works at Google and here', async () => {
    const s = await loggedIn();
    const writable = await readOnly(s.configDir);
    emulator.clearRequests();
    const result = await s.run(['logout', '--account', ADA]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(s.configDir);
    expect(result.stderr).toMatch(/read-only/);
    expect(result.stderr).toMatch(/nothing was revoked/i);
    expect(emulator.requests.map((r) => r.path)).not.toContain('/revoke');
    await writable();
    const status = await s.run(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/✓ ada@example\.com/);
  });

  it('logout --all stops before revoking any', async () => {
    const s = await loggedIn();
    await readOnly(s.configDir);
    emulator.clearRequests();
    const result = await s.run(['logout', '--all']);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(emulator.requests.map((r) => r.path)).not.toContain('/revoke');
  });

  it('login stops before the consent: no URL shown, no browser, no request to Google', async () => {
    const s = await newSandbox();
    await mkdir(s.configDir, { mode: 0o700 });
    await readOnly(s.configDir);
    emulator.clearRequests();
    const result = await s.login(['--account', ADA]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(s.configDir);
    expect(result.stderr).toMatch(/read-only/);
    expect(result.stderr).not.toMatch(/Open this URL/);
    expect(emulator.requests.map((r) => r.path)).not.toContain(AUTH_PATH);
  });

  it('login into a config directory that does not exist yet, under a read-only one, stops before the consent too', async () => {
    const s = await newSandbox();
    const parent = path.join(s.dir, 'ro');
    await mkdir(parent, { mode: 0o700 });
    await readOnly(parent);
    emulator.clearRequests();
    const configDir = path.join(parent, 'config');
    const result = await s.login(['--account', ADA], { env: { GMAILCTL_CONFIG_DIR: configDir } });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(configDir);
    expect(result.stderr).not.toMatch(/Open this URL/);
    expect(emulator.requests.map((r) => r.path)).not.toContain(AUTH_PATH);
  });

  it('a read-only config directory does not stop what only reads it: list and status work', async () => {
    const s = await loggedIn();
    const before = await s.run(['list', '--format', 'ids']);
    await readOnly(s.configDir);
    const list = await s.run(['list', '--format', 'ids']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toBe(before.stdout);
    expect(list.stdout).not.toBe('');
    expect((await s.run(['status'])).exitCode).toBe(0);
  });
});

// Found trying the packed tarball (issue #24): login went through the whole consent before
// failing on a tokens.json it could not read, and status sent the user to that login (exit 4,
// "Run: gmailctl login", "….." doubled) although only moving the file away helps.
// Found trying the packed tarball (issue #24): into a read-only directory, show printed the
// message and then failed with a bare "EROFS."; into a new directory under a read-only one,
// Node's recursive mkdir said "ENOENT: no such file or directory".
describe.runIf(runReadOnlyTests)('show --save-attachments into a read-only place', () => {
  async function withAttachment(): Promise<{ s: Sandbox; id: string; parent: string }> {
    const s = await loggedIn();
    const raw = ['Subject: the file', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'see the file', '--b',
      'Content-Type: text/plain; name=notes.txt', 'Content-Disposition: attachment; filename=notes.txt', '', 'notes', '--b--', ''].join('\r\n');
    const { id } = emulator.importMessage(raw);
    const parent = path.join(s.dir, 'ro');
    await mkdir(parent, { mode: 0o700 });
    await readOnly(parent);
    emulator.clearRequests();
    return { s, id, parent };
  }

  for (const where of ['the directory itself', 'a new directory in it'] as const) {
    it(`${where}: exit 1 saying read-only, before anything is fetched or printed`, async () => {
      const { s, id, parent } = await withAttachment();
      const dir = where === 'the directory itself' ? parent : path.join(parent, 'new');
      const result = await s.run(['show', id, '--save-attachments', dir]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toContain(dir);
      expect(result.stderr).toMatch(/read-only file system/);
      expect(result.stderr).not.toMatch(/ENOENT|EROFS/);
      expect(result.stdout).toBe('');
      expect(emulator.requests.filter((r) => r.path.includes('/messages/'))).toEqual([]);
    });
  }
});

describe('a corrupt tokens.json (file store)', () => {
  async function corrupted(): Promise<Sandbox> {
    const s = await loggedIn();
    await writeFile(path.join(s.configDir, 'tokens.json'), 'garbage\n');
    emulator.clearRequests();
    return s;
  }

  it('login stops before the consent, naming the file and what to do', async () => {
    const s = await corrupted();
    const result = await s.login(['--account', ADA]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(path.join(s.configDir, 'tokens.json'));
    expect(result.stderr).toMatch(/corrupt/);
    expect(result.stderr).toMatch(/Move it away/);
    expect(result.stderr).not.toMatch(/Open this URL/);
    expect(emulator.requests.map((r) => r.path)).not.toContain(AUTH_PATH);
  });

  it('status says the token store cannot be used (exit 1), not that logging in again helps', async () => {
    const s = await corrupted();
    const result = await s.run(['status']);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/corrupt/);
    expect(result.stderr).toMatch(/Move it away/);
    expect(result.stderr).not.toMatch(/\.\./);
    expect(result.stderr).not.toMatch(/^Run: gmailctl login --account/m);
  });
});
