/**
 * The quota pacer under real Gmail's noise (issue 21), in process against the emulator: a
 * stray rate-limit answer costs the wait it names and no more (the batches after it are as
 * large as before), and the per-minute quota's 403 is waited out rather than given up on.
 * Timing is never asserted: the request pattern is (how many requests, how many parts).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_PATH, faults, startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };
const GET_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages\/[^/]+$/ };
const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
const ids = (tsv: string): string[] => lines(tsv).map((line) => line.split('\t')[0]!);

describe('one stray rate-limit answer costs its wait, and the pace before it resumes', () => {
  let emulator: Emulator;
  let s: Sandbox;
  let allIds: string[];
  /** Batch requests of a clean run (no fault): what a run after one stray answer is held to. */
  let cleanBatches: number;
  beforeAll(async () => {
    emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 281, seed: 21, strict: true });
    s = await createSandbox(emulator, { runner: 'in-process' });
    expect((await s.login()).exitCode).toBe(0);
    emulator.clearRequests();
    const clean = await s.run(['list', '--include-spam-trash', '--format', 'tsv']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    allIds = ids(clean.stdout);
    expect(allIds).toHaveLength(281);
    cleanBatches = emulator.requests.filter((r) => r.path === BATCH_PATH).length;
    emulator.clearRequests();
  });
  afterAll(async () => {
    await s.cleanup();
    await emulator.close();
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  const batchSizes = (): number[] => emulator.requests.filter((r) => r.path === BATCH_PATH).map((r) => r.body.match(/^Content-Type: application\/http/gim)?.length ?? 0);

  it('a 429 with Retry-After: 1 on the first list call: every message once, in batches as large as a clean run', async () => {
    emulator.enqueue(LIST_ONLY, faults.rateLimited('1'));
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(ids(result.stdout)).toEqual(allIds);
    const lists = emulator.requests.filter((r) => LIST_ONLY.path.test(r.path));
    expect(lists.map((r) => r.status)).toEqual([429, 200, 200, 200]);
    // The pace is not learned from the nothing that succeeded before the 429.
    expect(batchSizes().length).toBeLessThanOrEqual(cleanBatches + 2);
  });

  it('one 403 rateLimitExceeded on a list call and one userRateLimitExceeded on a get: not fetched one part at a time', async () => {
    emulator.enqueue(LIST_ONLY, faults.rateLimitExceeded403());
    emulator.enqueue(GET_ONLY, faults.userRateLimited());
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv', '--max', '30']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(ids(result.stdout)).toEqual(allIds.slice(0, 30));
    const sizes = batchSizes();
    // 30 gets: batches that grow back after each answer (the refused part is then fetched alone), never 30 batches of one.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30);
    expect(sizes.length).toBeLessThan(15);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(4);
  });

  it('--debug says each wait the pacer imposes and why, as it happens', async () => {
    emulator.enqueue(LIST_ONLY, faults.rateLimited('1'));
    const result = await s.run(['list', '--include-spam-trash', '--format', 'ids', '--debug']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/debug: pacer: .*wait(s|ing) 1000 ms.*429/);
    expect(result.stderr).toMatch(/debug: retry 1 of messages\.list after 1000 ms \(rate-limited\)/);
  });
});

describe("the per-minute quota: Google's 403 is waited out, not given up on", () => {
  let emulator: Emulator;
  let s: Sandbox;
  let allIds: string[];
  beforeAll(async () => {
    emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 120, seed: 22, strict: true });
    s = await createSandbox(emulator, { runner: 'in-process' });
    expect((await s.login()).exitCode).toBe(0);
    allIds = ids((await s.run(['list', '--include-spam-trash', '--format', 'tsv'])).stdout);
    expect(allIds).toHaveLength(120);
  });
  afterAll(async () => {
    await s.cleanup();
    await emulator.close();
  });
  afterEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  it("the emulator answers it in Google's words", async () => {
    emulator.enqueue(LIST_ONLY, faults.perMinuteQuota());
    const response = await fetch(new URL('gmail/v1/users/me/messages', emulator.url), { headers: { authorization: 'Bearer x' } });
    const body = (await response.json()) as { error: { code: number; message: string; errors: Array<{ domain: string; reason: string; message: string }> } };
    expect(response.status).toBe(403);
    expect(body.error.message).toMatch(
      /^Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail\.googleapis\.com' for consumer 'project_number:\d+'\.$/,
    );
    expect(body.error.errors[0]).toEqual({ message: body.error.message, domain: 'usageLimits', reason: 'rateLimitExceeded' });
  });

  it('eight in a row on the list call (each naming a 1 s wait): exit 0, every message once', async () => {
    emulator.enqueue(LIST_ONLY, faults.perMinuteQuota('1'), 8);
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv', '--debug']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(ids(result.stdout)).toEqual(allIds);
    expect(emulator.requests.filter((r) => LIST_ONLY.path.test(r.path) && r.status === 403)).toHaveLength(8);
    expect(result.stderr).toMatch(/per-minute quota/);
  });

  it('a quota that stays spent: exit 1, saying the per-minute quota is exhausted and when to try again', async () => {
    emulator.enqueue(LIST_ONLY, faults.perMinuteQuota('0'), 100);
    const result = await s.run(['list', '--include-spam-trash', '--format', 'ids']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/per-minute quota .*exhausted/i);
    expect(result.stderr).toMatch(/try again (after|at) \d\d:\d\d/i);
  });
});

describe('the learned quota is remembered per OAuth client and account, in the cache directory', () => {
  let emulator: Emulator;
  let s: Sandbox;
  beforeAll(async () => {
    emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 400, seed: 23, strict: true });
    s = await createSandbox(emulator, { runner: 'in-process', cache: true });
    expect((await s.login()).exitCode).toBe(0);
  });
  afterAll(async () => {
    await s.cleanup();
    await emulator.close();
  });

  it('a run that learned it leaves <account>.quota.json (0600); the next starts from it; cache clear removes it', async () => {
    const file = path.join(s.dir, 'cache', 'ada%40example.com.quota.json');
    emulator.setQuota({ regime: 'legacy', timeScale: 2 });
    const cold = await s.run(['list', '--include-spam-trash', '--format', 'tsv', '--no-cache', '--debug']);
    expect(cold.exitCode, cold.stderr).toBe(0);
    expect(lines(cold.stdout)).toHaveLength(400);
    expect(cold.stderr).toMatch(/debug: pacer: starts cold at .*nothing remembered in .*ada%40example\.com\.quota\.json/);
    expect(existsSync(file), cold.stderr.split('\n').filter((line) => line.includes('pacer:')).join('\n')).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const entry = (JSON.parse(await readFile(file, 'utf8')) as Record<string, { unitsPerSecond: number; learnedAt: number }>)[emulator.clientId];
    expect(entry?.unitsPerSecond).toBeGreaterThan(0);

    const warm = await s.run(['list', '--include-spam-trash', '--format', 'tsv', '--no-cache', '--debug']);
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(lines(warm.stdout)).toHaveLength(400);
    expect(warm.stderr).toMatch(/debug: pacer: starts at \d+ units\/s .*remembered in .*ada%40example\.com\.quota\.json/);

    const clear = await s.run(['cache', 'clear']);
    expect(clear.exitCode, clear.stderr).toBe(0);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    emulator.setQuota(undefined);
  });

  it('a login from the environment (CI) leaves no file', async () => {
    emulator.setQuota({ regime: 'legacy', timeScale: 4 });
    const tokens = JSON.parse(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')) as Record<string, string>;
    const raw = Object.values(tokens)[0] as unknown;
    const stored = (typeof raw === "string" ? JSON.parse(raw) : raw) as { refresh_token: string };
    const result = await s.run(['list', '--include-spam-trash', '--format', 'ids', '--debug'], {
      env: { GMAILCTL_CLIENT_ID: emulator.clientId, GMAILCTL_CLIENT_SECRET: emulator.clientSecret, GMAILCTL_REFRESH_TOKEN: stored.refresh_token, GMAILCTL_TOKEN_URI: new URL('token', emulator.url).toString() },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/a login from the environment remembers no quota/);
    expect((await readdir(path.join(s.dir, 'cache')).catch(() => [])).filter((name) => name.endsWith('.quota.json'))).toEqual([]);
    emulator.setQuota(undefined);
  });
});
