/**
 * What a command costs to start (issue 15), checked on the built CLI. Node's global fetch,
 * and its Headers, Request and Response, load undici on first touch: some 50 ms of start-up
 * that gmailctl does not spend, its requests going out through node-fetch on node:http and
 * node:https (src/gmail/timed-fetch.ts, build/fetch-api-globals.mjs). And gmailctl's own code and
 * Google's libraries are compiled from a V8 code cache (src/entry/code-cache.ts) that is safe to lose.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { CLI, createSandbox, ROOT, runInProcess, type Sandbox } from '../helpers/sandbox.js';

const RECORD_BUILTINS = path.join(ROOT, 'test', 'helpers', 'record-builtins.cjs');
const UNDICI = 'internal/deps/undici/undici';
const ACCOUNT = 'ada@example.com';

let emulator: Emulator;
let s: Sandbox;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 120 });
  s = await createSandbox(emulator);
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});
beforeEach(() => emulator.clearRequests());

/** The CLI run as a user runs it, with the recorder preloaded: its result and the built-ins it loaded. */
async function runRecorded(args: string[]) {
  const result = await execa(process.execPath, ['-r', RECORD_BUILTINS, CLI, ...args], { env: s.env, extendEnv: false, reject: false, stdin: 'ignore' });
  const stderr = String(result.stderr);
  const builtins = stderr
    .split('\n')
    .filter((line) => line.startsWith('builtin: '))
    .map((line) => line.slice('builtin: '.length));
  expect(builtins, 'the recorder works').toContain('net');
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr, builtins };
}

/** Makes the stored access token expired, so that the next command refreshes it first. */
async function expireAccessToken(): Promise<void> {
  const file = path.join(s.configDir, 'tokens.json');
  const logins = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
  logins[ACCOUNT]!.expiry_date = Date.now() - 1000;
  await writeFile(file, JSON.stringify(logins, null, 2), { mode: 0o600 });
}

const requested = (method: string, pathStart: string) => emulator.requests.some((r) => r.method === method && r.path.startsWith(pathStart));

describe("a command that calls Google does not load Node's fetch (undici)", () => {
  it('list --format ids: its list calls', async () => {
    const result = await runRecorded(['list', '--include-spam-trash', '--format', 'ids']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(120);
    expect(requested('GET', '/gmail/v1/users/me/messages')).toBe(true);
    expect(result.builtins).not.toContain(UNDICI);
  });

  it('list with metadata after an expired access token: the token refresh (a form POST) and the batch (a multipart POST)', async () => {
    await expireAccessToken();
    const result = await runRecorded(['list', '--format', 'tsv', '--max', '60']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(60);
    expect(requested('POST', '/token')).toBe(true);
    expect(requested('POST', '/batch/gmail/v1')).toBe(true);
    expect(result.builtins).not.toContain(UNDICI);
  });

  it('status: its getProfile', async () => {
    const result = await runRecorded(['status']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(requested('GET', '/gmail/v1/users/me/profile')).toBe(true);
    expect(result.builtins).not.toContain(UNDICI);
  });
});

describe('the V8 code cache of dist/app.js and dist/google-libraries.js', () => {
  const dir = () => path.join(s.dir, '.cache', 'gmailctl', 'code-cache');
  const files = async () => (await readdir(dir())).sort();

  it('is written by a command for both scripts (0600, in a 0700 directory) and holds no secret', async () => {
    const result = await s.run(['list', '--format', 'tsv', '--max', '3']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await files()).toEqual([`app.js.${process.arch}.v8cache`, `google-libraries.js.${process.arch}.v8cache`]);
    expect((await stat(dir())).mode & 0o777).toBe(0o700);
    const issued = emulator.tokens();
    for (const file of await files()) {
      expect((await stat(path.join(dir(), file))).mode & 0o777).toBe(0o600);
      const text = (await readFile(path.join(dir(), file))).toString('latin1');
      for (const secret of [...issued.refreshTokens, ...issued.accessTokens, emulator.clientSecret]) expect(text).not.toContain(secret);
    }
  });

  it('is not written by a command that loads no library (help, status without a login), as before the app had a cache', async () => {
    const fresh = await createSandbox(emulator);
    try {
      expect((await fresh.run(['--help'])).exitCode).toBe(0);
      expect((await fresh.run(['status'])).exitCode).toBe(4);
      expect(await readdir(fresh.dir)).not.toContain('.cache');
    } finally {
      await fresh.cleanup();
    }
  });

  it('a damaged cache is only a slower start: the command answers the same, and the files are written afresh', async () => {
    const first = await s.run(['list', '--format', 'tsv', '--max', '3']);
    expect(first.exitCode, first.stderr).toBe(0);
    const written = new Map<string, Buffer>();
    for (const file of await files()) {
      const bytes = await readFile(path.join(dir(), file));
      written.set(file, bytes);
      // The header stays (it fits this script and release); the compiled code does not.
      const damaged = Buffer.from(bytes);
      damaged.fill(0x5a, 400, 4400);
      await writeFile(path.join(dir(), file), damaged, { mode: 0o600 });
    }
    const again = await s.run(['list', '--format', 'tsv', '--max', '3']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toBe('');
    for (const [file, bytes] of written) expect((await readFile(path.join(dir(), file))).subarray(0, 256)).toEqual(bytes.subarray(0, 256));
    for (const file of await files()) expect((await readFile(path.join(dir(), file))).subarray(400, 4400).every((byte) => byte === 0x5a)).toBe(false);
  });
});

describe('the built app, a CommonJS script, runs what the sources run', () => {
  it("show (postal-mime and html-to-text, required on use from the bundle) prints byte for byte what the program prints in-process, in every format", async () => {
    const ids = emulator
      .mailbox()
      .filter((message) => message.hardCase !== undefined)
      .map((message) => message.id);
    expect(ids.length).toBeGreaterThan(5);
    for (const format of ['text', 'json', 'mbox']) {
      const args = ['show', '--format', format, ...ids];
      const [built, source] = [await s.run(args), await runInProcess(args, { env: s.env })];
      expect(built.exitCode, built.stderr).toBe(source.exitCode);
      expect(built.stdout, format).toBe(source.stdout);
      expect(built.stderr).toBe(source.stderr);
    }
  });
});
