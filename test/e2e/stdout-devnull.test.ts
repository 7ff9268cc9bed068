/**
 * stdout on /dev/null opened read-write — Node's `stdio: 'ignore'`, Python's
 * `subprocess.DEVNULL`, systemd's `StandardOutput=null`, a shell's `1<>/dev/null` — is where
 * a script sends output it does not want. Every command succeeds there, as it does with
 * `> /dev/null`.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
let emulator: Emulator;
let s: Sandbox;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 30 });
  s = await createSandbox(emulator);
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});

function commands(): string[][] {
  const id = emulator.mailbox(ACCOUNT)[0]!.id;
  return [['status'], ['token'], ['list', '--format', 'ids'], ['list', '--format', 'json'], ['show', id], ['--version'], ['--help']];
}

describe('stdout on /dev/null opened read-write: every command succeeds', () => {
  it("execa's stdout: 'ignore' (Node's stdio 'ignore')", async () => {
    for (const args of commands()) {
      const result = await execa(process.execPath, [CLI, ...args], { env: s.env, extendEnv: false, reject: false, stdin: 'ignore', stdout: 'ignore', timeout: 60_000 });
      expect(result.exitCode, `${args.join(' ')}: ${String(result.stderr)}`).toBe(0);
      expect(String(result.stderr), args.join(' ')).not.toMatch(/error/i);
    }
  }, 120_000);

  it("a shell's 1<>/dev/null", async () => {
    for (const args of commands()) {
      const result = await execa('bash', ['-c', `"${process.execPath}" "${CLI}" ${args.join(' ')} 1<>/dev/null`], { env: s.env, extendEnv: false, reject: false, timeout: 60_000 });
      expect(result.exitCode, `${args.join(' ')}: ${String(result.stderr)}`).toBe(0);
      expect(String(result.stderr), args.join(' ')).not.toMatch(/error/i);
    }
  }, 120_000);

  it("the README's `gmailctl status >/dev/null || gmailctl login`, written in Python", async () => {
    const script = [
      'import subprocess, sys',
      'node, cli = sys.argv[1], sys.argv[2]',
      'if subprocess.run([node, cli, "status"], stdout=subprocess.DEVNULL).returncode != 0:',
      '    print("would log in", file=sys.stderr)',
      '    sys.exit(3)',
      'print("logged in")',
    ].join('\n');
    const result = await execa('python3', ['-c', script, process.execPath, CLI], { env: s.env, extendEnv: false, reject: false, timeout: 60_000 });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toBe('logged in');
  }, 60_000);
});
