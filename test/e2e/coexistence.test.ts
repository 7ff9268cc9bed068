/**
 * mbrt/gmailctl (Gmail filters as code) installs a command of the same name and keeps
 * credentials.json, token.json and config.jsonnet in the same ~/.config/gmailctl. The two
 * must share that directory without harm: a shared Desktop-client credentials.json works for
 * both, and nothing of ours reads, rewrites or removes their token.json or config.jsonnet.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
let s: Sandbox;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 5 });
  s = await createSandbox(emulator, { runner: 'in-process' });
});
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});

describe('sharing ~/.config/gmailctl with mbrt/gmailctl', () => {
  it("their token.json and config.jsonnet survive login, list, status, switch, cache clear and logout untouched; the shared credentials.json is used", { timeout: 120_000 }, async () => {
    // The platform's default config dir, as both tools use it: no GMAILCTL_CONFIG_DIR, no
    // GMAILCTL_CREDENTIALS.
    const shared = path.join(s.dir, '.config', 'gmailctl');
    await mkdir(shared, { recursive: true });
    await chmod(path.join(s.dir, '.config'), 0o700);
    await chmod(shared, 0o700);
    await writeFile(path.join(shared, 'credentials.json'), JSON.stringify(emulator.credentials()), { mode: 0o600 });
    // Their files, with contents ours could not parse if it ever tried.
    const theirs = {
      'token.json': '{"access_token":"theirs","token_type":"Bearer","refresh_token":"1//theirs","expiry":"2026-01-01T00:00:00Z"}\n',
      'config.jsonnet': "local lib = import 'gmailctl.libsonnet';\n{ version: 'v1alpha3', rules: [] }\n",
    };
    for (const [name, text] of Object.entries(theirs)) await writeFile(path.join(shared, name), text, { mode: 0o600 });
    const before = await Promise.all(Object.keys(theirs).map((name) => stat(path.join(shared, name))));

    const env = { GMAILCTL_CONFIG_DIR: undefined, GMAILCTL_CREDENTIALS: undefined, XDG_CONFIG_HOME: undefined };
    const steps: string[][] = [
      ['login', '--timeout', '20'],
      ['list', '--format', 'ids'],
      ['status'],
      ['switch', ACCOUNT],
      ['cache', 'clear', '--all'],
      ['logout', '--all'],
    ];
    for (const args of steps) {
      const result = await s.run(args, { env });
      expect(result.exitCode, `gmailctl ${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr, `gmailctl ${args.join(' ')}`).not.toMatch(/token\.json|jsonnet/);
    }

    for (const [index, [name, text]] of Object.entries(theirs).entries()) {
      expect(await readFile(path.join(shared, name), 'utf8'), name).toBe(text);
      const after = await stat(path.join(shared, name));
      expect(after.mtimeMs, `${name} was rewritten`).toBe(before[index]!.mtimeMs);
      expect(after.mode & 0o777, name).toBe(0o600);
    }
    // Our own files have names of their own.
    const names = (await readdir(shared)).filter((name) => !name.endsWith('.lock')).sort();
    expect(names.filter((name) => !['config.json', 'tokens.json', ...Object.keys(theirs), 'credentials.json'].includes(name))).toEqual([]);
  });
});
