/**
 * The failures Google really sends (issue 11), end to end against the emulator: whole-batch
 * errors, the front end's HTML pages on every endpoint, "Retry after <ISO time>" without a
 * header, an already revoked token, OAuth client errors at the token endpoint, a login that
 * lacks the scope, a message deleted between the list and its get, a failed code exchange,
 * and pages written as soon as their metadata is in.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_PATH, faults, startEmulator, type Emulator } from '../emulator/index.js';
import { startCli } from '../helpers/background.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
const LIST_PATH = '/gmail/v1/users/me/messages';
/** messages.list only, not the gets below it. */
const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };

const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** An emulator and a logged-in sandbox of its own, for tests that change what the login is. */
async function world(options: Parameters<typeof startEmulator>[0] = {}): Promise<{ emulator: Emulator; s: Sandbox; close(): Promise<void> }> {
  const emulator = await startEmulator({ accounts: [ACCOUNT], messages: 250, seed: 11, ...options });
  const s = await createSandbox(emulator, { runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  return {
    emulator,
    s,
    async close() {
      await s.cleanup();
      await emulator.close();
    },
  };
}

describe('on the Gmail API', () => {
  let emulator: Emulator;
  let s: Sandbox;
  let close: () => Promise<void>;
  let allIds: string[];
  beforeAll(async () => {
    ({ emulator, s, close } = await world());
    allIds = lines((await s.run(['list', '--include-spam-trash', '--format', 'ids'])).stdout);
    expect(allIds).toHaveLength(250);
  });
  afterAll(() => close());
  afterEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
    emulator.setLatency(0);
  });

  it('a whole-batch 403 userRateLimitExceeded is recognised and retried: nothing lost', async () => {
    emulator.enqueue(BATCH_PATH, faults.userRateLimited());
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout).map((line) => line.split('\t')[0])).toEqual(allIds);
    expect(result.stderr).not.toMatch(/\{|error/);
  });

  it.each([
    ['messages.list', LIST_ONLY, 502, 'Error 502 (Server Error)'],
    ['the batch endpoint', BATCH_PATH, 503, 'Error 503 (Service Unavailable)'],
  ] as const)('an HTML %s page from Google is shown as its title and first sentence', async (_what, match, status, title) => {
    emulator.enqueue(match, faults.frontEndError(status), 100);
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(title);
    expect(result.stderr).not.toMatch(/<|!!1|\{/);
    expect(result.stderr.length).toBeLessThan(500);
  });

  it('"Retry after <ISO time>" in a 429 without Retry-After is honoured like the header', async () => {
    emulator.enqueue(LIST_ONLY, faults.rateLimitedUntil(1500));
    const result = await s.run(['list', '--include-spam-trash', '--format', 'ids']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [first, second] = emulator.requests.filter((request) => request.path === LIST_PATH);
    expect(first?.status).toBe(429);
    // The retry waited for the time Gmail named (the 8 ms of a first backoff would not do).
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1400);
  });

  it("a login without the Gmail scope is exit 4 for list, with the hint and Google's sentence", async () => {
    emulator.enqueue(LIST_ONLY, faults.insufficientPermissions());
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('Request had insufficient authentication scopes.');
    expect(result.stderr).toMatch(/gmailctl login/);
  });

  it('messages deleted between the list and their get are left out, and stderr says how many', async () => {
    const [, second, , fourth] = allIds;
    emulator.enqueue(`${LIST_PATH}/${second}`, { type: 'status', status: 404 });
    emulator.enqueue(`${LIST_PATH}/${fourth}`, { type: 'status', status: 404 });
    const result = await s.run(['list', '--include-spam-trash', '--format', 'tsv']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(lines(result.stdout).map((line) => line.split('\t')[0])).toEqual(allIds.filter((id) => id !== second && id !== fourth));
    expect(result.stderr).toMatch(/2 messages .*left out/);
  });

  it("writes a page as soon as its metadata is in, without waiting for the next list page", async () => {
    // The second list call takes 20 s: the first page's rows must come out long before.
    emulator.enqueue(LIST_ONLY, faults.slow(0));
    emulator.enqueue(LIST_ONLY, faults.slow(20_000));
    const run = startCli(['list', '--include-spam-trash', '--format', 'tsv'], s.env, { stdin: 'ignore' });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${lines(run.stdout()).length} lines after 15 s; stderr: ${run.stderr()}`)), 15_000);
        const check = (): void => {
          if (lines(run.stdout()).length >= 100) {
            clearTimeout(timer);
            resolve();
          }
        };
        run.child.stdout?.on('data', check);
        check();
      });
      const listCalls = emulator.requests.filter((request) => request.path === LIST_PATH);
      expect(listCalls).toHaveLength(2);
      expect(listCalls[1]!.status).toBeUndefined(); // still unanswered
      expect(lines(run.stdout()).slice(0, 100).map((line) => line.split('\t')[0])).toEqual(allIds.slice(0, 100));
    } finally {
      run.child.kill('SIGINT');
      await run.child;
    }
  });
});

describe('at the token and revoke endpoints', () => {
  it('an HTML 503 page from the token endpoint is shown short', async () => {
    const { emulator, s, close } = await world({ accessTokenLifetimeSec: 1 });
    try {
      emulator.enqueue('/token', faults.frontEndError(503), 10);
      const result = await s.run(['token']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('Error 503 (Service Unavailable)');
      expect(result.stderr).not.toMatch(/<|!!1/);
      expect(result.stderr.length).toBeLessThan(500);
    } finally {
      await close();
    }
  });

  it('a 401 invalid_client from the token endpoint is final: one refresh attempt, no second', async () => {
    const { emulator, s, close } = await world({ accessTokenLifetimeSec: 1 });
    try {
      emulator.clearRequests();
      emulator.enqueue('/token', { type: 'status', status: 401, reason: 'invalid_client', message: 'The OAuth client was not found.' }, 5);
      const result = await s.run(['list', '--format', 'ids']);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('The OAuth client was not found.');
      expect(emulator.requests.filter((request) => request.path === '/token')).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('logout of a token Google already revoked (400 invalid_token) is a plain success, no warning', async () => {
    const { emulator, s, close } = await world();
    try {
      emulator.revokeAll();
      const result = await s.run(['logout']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/warning|could not revoke/i);
      expect(emulator.requests.filter((request) => request.path === '/revoke').map((request) => request.status)).toEqual([400]);
    } finally {
      await close();
    }
  });

  it('an HTML 502 page from the revoke endpoint is shown short in the warning', async () => {
    const { emulator, s, close } = await world();
    try {
      emulator.enqueue('/revoke', faults.frontEndError(502), 10);
      const result = await s.run(['logout']);
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain('Error 502 (Server Error)');
      expect(result.stderr).not.toMatch(/<|!!1/);
      expect(result.stderr.length).toBeLessThan(600);
    } finally {
      await close();
    }
  });

  it("a code exchange answered invalid_grant is a failed login: exit 1 with Google's message", async () => {
    const emulator = await startEmulator({ accounts: [ACCOUNT], messages: 5 });
    const s = await createSandbox(emulator, { runner: 'in-process' });
    try {
      emulator.enqueue('/token', { type: 'status', status: 400, reason: 'invalid_grant', message: 'Malformed auth code.' });
      const result = await s.login();
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('Malformed auth code.');
    } finally {
      await s.cleanup();
      await emulator.close();
    }
  });
});
