/**
 * What a new user and a script author ran into on their first day (issue #12), each kept
 * true end to end: the built CLI against the emulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { execa } from 'execa';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, ROOT, type CliResult, type Sandbox } from '../helpers/sandbox.js';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };
const GC_OFTEN = path.join(ROOT, 'test', 'helpers', 'gc-often.cjs');

let emulator: Emulator;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ADA, GRACE], messages: 30 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  emulator.clearFaults();
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

async function sandbox(): Promise<Sandbox> {
  const s = await createSandbox(emulator);
  sandboxes.push(s);
  return s;
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
  const result = await execa(process.execPath, [...nodeArgs, CLI, ...args], {
    env: { ...s.env, ...env },
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: deadlineMs,
    killSignal: 'SIGKILL',
    stripFinalNewline: false,
  });
  return { exitCode: result.exitCode, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
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
