/**
 * Reliability and security under faults, end to end (the program in-process, the built CLI
 * where a process matters) against the emulator's
 * injected failures, a keychain that is missing, hung or locked, processes killed or run
 * twice at once, loose or corrupt files, and what a child process gets to see. Each test
 * tries to break one guarantee of the README's Security section or the spec's Resilience.
 * (The happy paths and the faults already covered live in login, list, accounts, keychain
 * and secrets.test.ts.)
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, Fault, RecordedRequest } from '../emulator/index.js';
import { startCli } from '../helpers/background.js';
import { CLI, hasSecretService, ROOT, runCli, type CliResult, type Sandbox, type SandboxOptions } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
/** Used only in the shared Secret Service, so that keychain.test.ts's items are never touched. */
const KEYCHAIN_ACCOUNT = 'reliability@example.com';
const LIST_PATH = '/gmail/v1/users/me/messages';
const LIST_ONLY = { path: /^\/gmail\/v1\/users\/me\/messages$/ };
const TOKEN_ENDPOINT = { method: 'POST', path: '/token' };

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: [ADA, GRACE, KEYCHAIN_ACCOUNT], messages: 40 }, (started) => (emulator = started));
afterEach(() => {
  emulator.clearFaults();
  emulator.setAccessTokenLifetime(3599);
});

type Runner = SandboxOptions['runner'];

/** File-store sandboxes run the program in-process unless a test is about processes (two at once, a child's view of its parent). */
async function sandbox(store: 'file' | 'keychain' = 'file', runner: Runner = store === 'file' ? 'in-process' : 'process'): Promise<Sandbox> {
  return newSandbox({ store, runner });
}

async function loggedIn(args: string[] = [], runner: Runner = 'in-process'): Promise<Sandbox> {
  const s = await sandbox('file', runner);
  const result = await s.login(args);
  expect(result.exitCode, result.stderr).toBe(0);
  return s;
}

const tokensFile = (s: Sandbox): string => path.join(s.configDir, 'tokens.json');
const configFile = (s: Sandbox): string => path.join(s.configDir, 'config.json');
const requestsTo = (pathname: string): RecordedRequest[] => emulator.requests.filter((r) => r.path === pathname);

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** An expected failure: one `error:` line, no stack trace, not reported as a bug in gmailctl. */
function expectCleanFailure(result: CliResult): void {
  expect(result.stderr.split('\n').filter((line) => line.startsWith('error:')), result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toMatch(/looks like a bug/);
}

/** Every secret the emulator ever issued or saw, and the client secret, each with its kind. */
function allSecrets(): Array<[kind: string, value: string]> {
  const issued = emulator.tokens();
  return [
    ...issued.refreshTokens.map((v) => ['refresh token', v] as [string, string]),
    ...issued.accessTokens.map((v) => ['access token', v] as [string, string]),
    ...issued.codes.map((v) => ['authorization code', v] as [string, string]),
    ...issued.codeVerifiers.map((v) => ['PKCE verifier', v] as [string, string]),
    ['client secret', emulator.clientSecret],
  ];
}

function leaksIn(text: string, where: string, secrets = allSecrets()): string[] {
  return secrets.filter(([, value]) => text.includes(value)).map(([kind]) => `${kind} in ${where}`);
}

/** Resolves with the next request the emulator records that matches (it observes the log's push). */
function nextRequest(matches: (request: RecordedRequest) => boolean): Promise<RecordedRequest> {
  const log = emulator.requests;
  const original = log.push;
  return new Promise((resolve) => {
    log.push = function push(this: RecordedRequest[], ...items: RecordedRequest[]): number {
      const length = original.apply(this, items);
      const hit = items.find(matches);
      if (hit) {
        log.push = original;
        resolve(hit);
      }
      return length;
    };
  });
}

/** Whether something still listens on 127.0.0.1:port. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** 'connected', or the error code of a refused/unreachable connection. */
async function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

async function writeSettings(s: Sandbox, settings: object): Promise<void> {
  await mkdir(s.configDir, { recursive: true, mode: 0o700 });
  await writeFile(configFile(s), JSON.stringify(settings), { mode: 0o600 });
}

/** Runs the CLI, SIGKILLed at the deadline: a hung CLI may not even answer SIGTERM. */
async function runWithDeadline(s: Sandbox, args: string[], env: Record<string, string>, deadlineMs: number) {
  const started = Date.now();
  const cli = await runCli(args, { env: { ...s.env, ...env }, timeout: deadlineMs, killSignal: 'SIGKILL' });
  return { ...cli, took: Date.now() - started };
}

describe('the login listener', () => {
  it('exits 143 on SIGTERM, releases the port and keeps the previous login byte for byte', async () => {
    const s = await loggedIn();
    const before = await readFile(tokensFile(s));
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri } = await run.authUrl();
    const port = Number(redirectUri.port);
    expect(await portIsFree(port)).toBe(false); // it was listening
    run.child.kill('SIGTERM');
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(143);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    expect(await portIsFree(port)).toBe(true);
    expect(await readFile(tokensFile(s))).toEqual(before);
  });

  it('binds 127.0.0.1 only: the same port on any other local address refuses connections', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    try {
      const { redirectUri } = await run.authUrl();
      const port = Number(redirectUri.port);
      expect(await tryConnect('127.0.0.1', port)).toBe('connected'); // the control: it does listen
      // Another loopback address (Linux routes all of 127/8 to lo): a wildcard bind would answer.
      if (process.platform === 'linux') expect(await tryConnect('127.0.0.2', port)).toBe('ECONNREFUSED');
      // IPv6 loopback: refused, or not even available here.
      expect(await tryConnect('::1', port)).not.toBe('connected');
      // Every non-loopback address of this machine, when it has one.
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a !== undefined && !a.internal && (a.family === 'IPv4' || (a.family === 'IPv6' && a.scopeid === 0)))
        .map((a) => a!.address);
      for (const address of others) expect([address, await tryConnect(address, port)]).not.toEqual([address, 'connected']);
      if (others.length === 0) console.info('notice: this machine has no non-loopback address; only 127.0.0.2 and ::1 were tried');
    } finally {
      run.child.kill('SIGINT');
      await run.child;
    }
  });
});

describe('token endpoint faults during a refresh (not a login)', () => {
  /** A login whose cached access token is inside the 5-minute margin: the next `token` refreshes. */
  async function dueForRefresh(): Promise<{ s: Sandbox; before: Buffer }> {
    emulator.setAccessTokenLifetime(60);
    const s = await loggedIn();
    emulator.setAccessTokenLifetime(3599);
    return { s, before: await readFile(tokensFile(s)) };
  }

  const json = (status: number, body: string): Fault => ({ type: 'raw', status, body, contentType: 'application/json; charset=utf-8' });
  /** A network failure is only what it says when Google was not reached at all. */
  const notANetworkProblem = /Could not reach Google|network connection|Cannot create property/;
  const cases: Array<{ name: string; fault: Fault; exit: number; message: RegExp; not?: RegExp; unusable?: true }> = [
    { name: 'invalid_grant', fault: json(400, '{"error":"invalid_grant","error_description":"Token has been expired or revoked."}'), exit: 4, message: /ada@example\.com[\s\S]*gmailctl login/ },
    { name: 'invalid_client', fault: json(401, '{"error":"invalid_client","error_description":"The OAuth client was not found."}'), exit: 1, message: /OAuth client/ },
    { name: 'a persistent 503', fault: { type: 'status', status: 503 }, exit: 1, message: /503/ },
    { name: 'persistent connection resets', fault: { type: 'reset' }, exit: 1, message: /reach Google|ECONNRESET|socket/i },
    // Google was reached, but its answer could not be used: the message says so, with no
    // internal TypeError text and no network hint.
    { name: 'malformed JSON', fault: json(200, '{"access_token": "ya29.trunc'), exit: 1, message: /token endpoint|answer|response/i, not: notANetworkProblem, unusable: true },
    { name: 'a body without access_token', fault: json(200, '{"expires_in":3599,"token_type":"Bearer"}'), exit: 1, message: /access token/i, not: notANetworkProblem, unusable: true },
  ];
  async function refreshAgainst(fault: Fault): Promise<{ result: CliResult; attempts: number; before: Buffer; after: Buffer }> {
    const { s, before } = await dueForRefresh();
    emulator.enqueue(TOKEN_ENDPOINT, fault, 20);
    emulator.clearRequests();
    const result = await s.run(['token']);
    const attempts = requestsTo('/token').length;
    emulator.clearFaults();
    return { result, attempts, before, after: await readFile(tokensFile(s)) };
  }
  for (const { name, fault, exit, message } of cases) {
    it(`${name} → exit ${exit}, one error line, bounded attempts, tokens.json unchanged`, async () => {
      const { result, attempts, before, after } = await refreshAgainst(fault);
      expect(result.exitCode, result.stderr).toBe(exit);
      expect(result.stdout).toBe('');
      expect(after).toEqual(before);
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(5);
      expect(leaksIn(result.stderr, 'stderr')).toEqual([]);
      expectCleanFailure(result);
      expect(result.stderr).toMatch(message);
    });
  }
  for (const { name, fault, message, not } of cases.filter((c) => c.unusable)) {
    it(`${name} is reported as an unusable answer from the token endpoint, not as a network failure`, async () => {
      const { result } = await refreshAgainst(fault);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(not!);
    });
  }

  // Every request to Google has a timeout (30 s by default; GMAILCTL_HTTP_TIMEOUT_MS here).
  it('a token endpoint that never answers → exit 1 after the request timeout, not a hang; tokens.json unchanged', async () => {
    const { s, before } = await dueForRefresh();
    emulator.enqueue(TOKEN_ENDPOINT, { type: 'delay', ms: 600_000 }, 20);
    const result = await runWithDeadline(s, ['token'], { GMAILCTL_HTTP_TIMEOUT_MS: '1500' }, 45_000);
    emulator.clearFaults();
    expect(result.signal, `still running after ${result.took} ms`).toBeUndefined();
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/time|answer/i);
    expectCleanFailure(result);
    expect(await readFile(tokensFile(s))).toEqual(before);
  }, 60_000);

  // A call stuck in a library that does not listen to the abort signal still ends at once:
  // main() gives a command a moment to wind down after Ctrl-C, then exits 130.
  for (const command of [['token'], ['list', '--format', 'ids']]) {
    it(`Ctrl-C while ${command[0]} waits on a token endpoint that never answers → exit 130 at once`, async () => {
      const { s, before } = await dueForRefresh();
      emulator.enqueue(TOKEN_ENDPOINT, { type: 'delay', ms: 600_000 }, 5);
      const reached = nextRequest((r) => r.path === '/token');
      const run = startCli(command, s.env, { stdin: 'ignore' });
      await reached;
      run.child.kill('SIGINT');
      const deadline = setTimeout(() => run.child.kill('SIGKILL'), 6_000);
      const result = await run.child;
      clearTimeout(deadline);
      emulator.clearFaults();
      expect(result.signal, `SIGINT did not end it; stderr: ${run.stderr()}`).toBeUndefined();
      expect(result.exitCode, run.stderr()).toBe(130);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
      expect(await readFile(tokensFile(s))).toEqual(before);
    });
  }
});

describe('Gmail API faults', () => {
  it('a 401 that survives the refresh: exactly one refresh and one retry, then exit 4 naming the account', async () => {
    const s = await loggedIn();
    emulator.enqueue(LIST_ONLY, { type: 'status', status: 401 }, 10);
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids']);
    emulator.clearFaults();
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stdout).toBe('');
    expect(requestsTo('/token')).toHaveLength(1);
    expect(requestsTo(LIST_PATH).map((r) => r.status)).toEqual([401, 401]);
    expect(result.stderr).toMatch(/ada@example\.com/);
    expect(result.stderr).toMatch(/gmailctl login/);
    expectCleanFailure(result);
  });

  it('retries a few connection resets on the list call and loses nothing', async () => {
    const s = await loggedIn();
    const expected = (await s.run(['list', '--format', 'ids'])).stdout;
    emulator.enqueue(LIST_ONLY, { type: 'reset' }, 2);
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(expected);
    expect(requestsTo(LIST_PATH)).toHaveLength(3);
  });

  const persistent: Array<[string, Fault, RegExp]> = [
    ['connection resets', { type: 'reset' }, /reach Google|ECONNRESET|socket/i],
    ['502s', { type: 'status', status: 502 }, /502/],
  ];
  for (const [name, fault, message] of persistent) {
    it(`persistent ${name} on the list call: at most 5 attempts, then exit 1`, async () => {
      const s = await loggedIn();
      emulator.enqueue(LIST_ONLY, fault, 50);
      emulator.clearRequests();
      const result = await s.run(['list', '--format', 'ids']);
      const attempts = requestsTo(LIST_PATH).length;
      emulator.clearFaults();
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toMatch(message);
      expectCleanFailure(result);
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(attempts).toBeLessThanOrEqual(5);
    });
  }
});

describe('process faults', () => {
  // The window that matters is short: from Gmail's profile answer to the store write and
  // config.json takes some 20–60 ms here, after ~50–70 ms of loading Gmail's client once the
  // code exchange starts. So the kills are spread over both: 6 after the /token request
  // (0–25 ms) and 18 after the /profile request (0–42.5 ms).
  it('a second login killed with SIGKILL at varied moments after the code exchange leaves a readable login (24 kills)', async () => {
    const s = await loggedIn();
    const outcomes = { killedBeforeSwap: 0, killedAfterSwap: 0, finishedFirst: 0 };
    for (let i = 0; i < 24; i++) {
      const [trigger, delay] = i < 6 ? ['/token', i * 5] : ['/gmail/v1/users/me/profile', (i - 6) * 2.5];
      const before = JSON.parse(await readFile(tokensFile(s), 'utf8'))[ADA].refresh_token as string;
      const reached = nextRequest((r) => r.path === trigger);
      const run = startCli(['login', '--timeout', '20'], s.env, { stdin: 'ignore' });
      await reached;
      await sleep(delay);
      run.child.kill('SIGKILL');
      const result = await run.child;
      const what = `kill #${i}, ${delay} ms after ${trigger}`;

      const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, { refresh_token: string }>;
      const stored = logins[ADA]?.refresh_token;
      expect(emulator.tokens().refreshTokens, what).toContain(stored);
      expect(JSON.parse(await readFile(configFile(s), 'utf8')).defaultAccount, what).toBe(ADA);
      if (result.signal !== 'SIGKILL') outcomes.finishedFirst++;
      else if (stored === before) outcomes.killedBeforeSwap++;
      else outcomes.killedAfterSwap++;
      // Leftover temporary files (write-file-atomic's, cut short) are private too. (A lock
      // directory left by the killed process holds nothing, and is broken when stale.)
      for (const entry of (await readdir(s.configDir)).filter((name) => !name.endsWith('.lock'))) {
        expect([entry, (await stat(path.join(s.configDir, entry))).mode & 0o077], what).toEqual([entry, 0]);
      }
      const token = await s.run(['token']);
      expect(token.exitCode, `${what}: ${token.stderr}`).toBe(0);
      expect(token.stdout).toMatch(/^ya29\.\S+\n$/);
    }
    console.info(`SIGKILL during login: ${JSON.stringify(outcomes)}`);
    expect(outcomes.killedBeforeSwap + outcomes.killedAfterSwap).toBeGreaterThan(0);
  }, 120_000);

  it('two lists refreshing the same expired login at once both succeed with full output', async () => {
    emulator.setAccessTokenLifetime(60); // stored token inside the 5-minute margin: both refresh first
    const s = await loggedIn([], 'process');
    const token = (await s.run(['token'])).stdout.trim(); // a reference listing, fetched by hand
    const reference = (await (await fetch(new URL('gmail/v1/users/me/messages?maxResults=500', emulator.url), { headers: { Authorization: `Bearer ${token}` } })).json()) as {
      messages: Array<{ id: string }>;
    };
    emulator.expireAccessTokens(); // and the cached one is dead at Google too
    emulator.clearRequests();
    const [a, b] = await Promise.all([s.run(['list', '--format', 'ndjson']), s.run(['list', '--format', 'ndjson'])]);
    for (const result of [a, b]) {
      expect(result.exitCode, result.stderr).toBe(0);
      const ids = result.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { id: string }).id);
      expect(ids).toEqual(reference.messages.map((m) => m.id));
    }
    expect(requestsTo('/token').length).toBeGreaterThanOrEqual(2);
    const stored = JSON.parse(await readFile(tokensFile(s), 'utf8'))[ADA] as { refresh_token: string; access_token: string };
    expect(emulator.tokens().refreshTokens).toContain(stored.refresh_token);
    const after = await s.run(['token']);
    expect(after.exitCode, after.stderr).toBe(0);
  });

  it('two logins at once for the same account leave one consistent login', async () => {
    const s = await sandbox('file', 'process');
    const results = await Promise.all([s.login(), s.login()]);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, { refresh_token: string }>;
    expect(Object.keys(logins)).toEqual([ADA]);
    expect(emulator.tokens().refreshTokens).toContain(logins[ADA]?.refresh_token);
    const config = JSON.parse(await readFile(configFile(s), 'utf8'));
    expect(config.defaultAccount).toBe(ADA);
    expect(config.accounts).toEqual([ADA]);
    const token = await s.run(['token']);
    expect(token.exitCode, token.stderr).toBe(0);
  });

  // Both read-modify-writes (config.json, tokens.json) run under a lock.
  it('two logins at once for different accounts both stay recorded', async () => {
    const s = await sandbox('file', 'process');
    const results = await Promise.all([s.login(['--account', ADA]), s.login(['--account', GRACE])]);
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const logins = JSON.parse(await readFile(tokensFile(s), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(logins).sort()).toEqual([ADA, GRACE]);
    const config = JSON.parse(await readFile(configFile(s), 'utf8'));
    expect([...(config.accounts as string[])].sort()).toEqual([ADA, GRACE]);
  });
});

describe('files', () => {
  it('refuses a config directory that others can read (0755) with the file store, naming it, as ssh does', async () => {
    const s = await loggedIn();
    await chmod(s.configDir, 0o755);
    emulator.clearRequests();
    for (const command of [['token'], ['list', '--format', 'ids']]) {
      const result = await s.run(command);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(s.configDir);
      expect(result.stderr).toMatch(/readable by others \(mode 0755\)/);
      expect(result.stderr).toMatch(/chmod 700/);
      expectCleanFailure(result);
    }
    expect(emulator.requests).toHaveLength(0); // the token was not used
  });

  it('a login into an existing 0755 config directory is refused before the browser opens', async () => {
    const s = await sandbox();
    await mkdir(s.configDir, { mode: 0o755 });
    await chmod(s.configDir, 0o755);
    emulator.clearRequests();
    const result = await s.login();
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(s.configDir);
    expectCleanFailure(result);
    expect(emulator.requests.filter((r) => r.path.startsWith('/o/oauth2'))).toHaveLength(0);
    expect(await exists(tokensFile(s))).toBe(false);
  });

  it('a corrupt config.json is exit 1 naming its path, without a stack trace, for every command', async () => {
    const s = await loggedIn();
    await writeFile(configFile(s), '{"defaultAccount": "ada@example.com",', { mode: 0o600 });
    for (const command of [['token'], ['list', '--format', 'ids'], ['status'], ['logout'], ['login', '--timeout', '5']]) {
      const result = await s.run(command);
      expect(result.exitCode, `${command[0]}: ${result.stderr}`).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(configFile(s));
      expectCleanFailure(result);
    }
  });
});

describe('child processes', () => {
  it('the browser gets no secret in its argv or environment, even when the parent environment holds some', async () => {
    const s = await loggedIn([], 'process');
    const previous = JSON.parse(await readFile(tokensFile(s), 'utf8'))[ADA] as { refresh_token: string; access_token: string };
    const record = path.join(s.dir, 'browser-record.json');
    const recorder = path.join(ROOT, 'test', 'helpers', 'reliability-browser-recorder.mjs');
    const parentSecrets = {
      GMAILCTL_REFRESH_TOKEN: previous.refresh_token,
      GMAILCTL_ACCESS_TOKEN: previous.access_token,
      GMAILCTL_CLIENT_SECRET: emulator.clientSecret,
      GOOGLE_CLIENT_SECRET: emulator.clientSecret,
    };
    const result = await s.login([], { env: { GMAILCTL_BROWSER: `${process.execPath} ${recorder} ${record}`, ...parentSecrets } });
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = JSON.parse(await readFile(record, 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
      shell?: { cmdline: string[]; environ: string[] };
      page?: { file: string; forwardsTo: string };
    };
    // The browser gets a local page that forwards to the consent URL (never the URL itself).
    expect(seen.argv.at(-1)).toBe(seen.page?.file);
    expect(seen.page?.forwardsTo).toMatch(/\/o\/oauth2\/v2\/auth\?/);
    // Scanned after the login, so this login's code and verifier are among the secrets too.
    const secrets = allSecrets();
    expect(secrets.map(([, v]) => v)).toEqual(expect.arrayContaining([previous.refresh_token, previous.access_token]));
    const leaks = [
      ...leaksIn(JSON.stringify(seen.argv), 'the browser argv', secrets),
      ...leaksIn(JSON.stringify(seen.env), 'the browser environment', secrets),
      ...(seen.shell ? leaksIn(JSON.stringify(seen.shell), 'the launching shell', secrets) : []),
    ];
    expect(leaks).toEqual([]);
    for (const name of Object.keys(parentSecrets)) expect(Object.keys(seen.env)).not.toContain(name);
  });
});

describe('keychain faults, without a working Secret Service', () => {
  async function keychainSandboxWithLogin(): Promise<Sandbox> {
    const s = await sandbox('keychain');
    await writeSettings(s, { defaultAccount: ADA, accounts: [ADA] });
    return s;
  }
  const commands: string[][] = [['token'], ['list', '--format', 'ids'], ['status']];

  // status too: a keychain error is exit 1 with the store's own hint, not "log in again".
  for (const command of commands) {
    it(
      `no Secret Service: ${command[0]} → exit 1 saying why and naming the opt-ins, no request sent`,
      async () => {
        const s = await keychainSandboxWithLogin();
        emulator.clearRequests();
        const result = await s.run(command, { env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(s.dir, 'no-such-bus')}` } });
        expect(result.exitCode, result.stderr).toBe(1);
        const all = result.stderr + result.stdout;
        expect(all).toMatch(/keychain cannot be used/);
        expect(all).toMatch(/--insecure-storage/);
        expect(all).toMatch(/GMAILCTL_TOKEN_STORE=file/);
        expectCleanFailure(result);
        expect(emulator.requests).toHaveLength(0);
        expect(await exists(tokensFile(s))).toBe(false);
      },
    );
  }

  describe('a Secret Service that accepts the connection and never answers', () => {
    let bus: Server;
    let busDir: string;
    let busPath: string;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      busDir = await mkdtemp(path.join(tmpdir(), 'gmailctl-hung-bus-'));
      busPath = path.join(busDir, 'bus');
      bus = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => bus.listen(busPath, resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => bus.close(() => resolve()));
      await rm(busDir, { recursive: true, force: true });
    });

    // The keychain binding talks D-Bus synchronously on the main thread; gmailctl pings the
    // Secret Service asynchronously first, under GMAILCTL_KEYCHAIN_TIMEOUT_MS.
    for (const command of [['token'], ['status'], ['login', '--timeout', '20']]) {
      it(`${command[0]} gives up after GMAILCTL_KEYCHAIN_TIMEOUT_MS with exit 1, not a hang`, async () => {
        const s = await keychainSandboxWithLogin();
        emulator.clearRequests();
        const result = await runWithDeadline(
          s,
          command,
          { DBUS_SESSION_BUS_ADDRESS: `unix:path=${busPath}`, GMAILCTL_KEYCHAIN_TIMEOUT_MS: '1500' },
          10_000,
        );
        expect(result.signal, `still running after ${result.took} ms; stderr: ${result.stderr}`).toBeUndefined();
        expect(result.took).toBeGreaterThanOrEqual(1400); // it did wait for the keychain
        expect(result.exitCode, result.stderr).toBe(1);
        expect(result.stderr + result.stdout).toMatch(/did not answer within 1\.5 s/);
        expectCleanFailure(result);
        expect(emulator.requests).toHaveLength(0); // login stopped before the browser, too
        expect(await exists(tokensFile(s))).toBe(false);
      });
    }
  });
});

describe.runIf(hasSecretService)('keychain faults, with the real Secret Service', () => {
  afterEach(async () => {
    await execa('secret-tool', ['clear', 'service', 'gmailctl', 'username', KEYCHAIN_ACCOUNT], { reject: false });
  });

  it('config.json never holds a secret after login, refresh, 401 recovery and logout', async () => {
    const s = await sandbox('keychain');
    const scan = async (step: string): Promise<string[]> => leaksIn(await readFile(configFile(s), 'utf8').catch(() => ''), `config.json after ${step}`);
    const leaks: string[] = [];
    emulator.setAccessTokenLifetime(60);
    const login = await s.login(['--account', KEYCHAIN_ACCOUNT]);
    expect(login.exitCode, login.stderr).toBe(0);
    leaks.push(...(await scan('login')));
    const token = await s.run(['token']); // refreshes: the cached token is inside the margin
    expect(token.exitCode, token.stderr).toBe(0);
    leaks.push(...(await scan('refresh')));
    emulator.setAccessTokenLifetime(3599);
    emulator.expireAccessTokens();
    const list = await s.run(['list', '--format', 'ids']);
    expect(list.exitCode, list.stderr).toBe(0);
    leaks.push(...(await scan('401 recovery')));
    const logout = await s.run(['logout']);
    expect(logout.exitCode, logout.stderr).toBe(0);
    leaks.push(...(await scan('logout')));
    expect(emulator.tokens().refreshTokens.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    expect(await readdir(s.configDir)).toEqual(['config.json']);
  });

  // Locking the collection of the keyring the other test files share would break them, so
  // these run against a private, throwaway gnome-keyring of their own.
  // Without the shared keyring's control directory: a gnome-keyring-daemon --unlock that finds
  // one unlocks that daemon and exits, and the daemon then started on the private bus takes over
  // the shared one's control socket (the shared Secret Service vanished under concurrent tests).
  const privateKeyringEnv = (s: Sandbox, env: Record<string, string> = {}): Record<string, string> => {
    const { GNOME_KEYRING_CONTROL: _control, XDG_RUNTIME_DIR: _runtime, ...rest } = s.env;
    return { ...rest, GMAILCTL_TOKEN_STORE: 'keychain', ...env };
  };
  const lockedKeyring = (s: Sandbox, args: string[], loginFirst: boolean, options: { hungPrompter?: boolean; env?: Record<string, string> } = {}) =>
    execa(
      'dbus-run-session',
      [
        '--',
        'bash',
        path.join(ROOT, 'test/with-keyring.sh'),
        'bash',
        path.join(ROOT, 'test/helpers/reliability-locked-keyring.sh'),
        ...(loginFirst ? ['--login-first'] : []),
        ...(options.hungPrompter ? ['--hung-prompter'] : []),
        '--',
        process.execPath,
        CLI,
        ...args,
      ],
      { env: privateKeyringEnv(s, options.env), extendEnv: false, reject: false, timeout: 50_000 },
    );
  const fact = (stderr: string, key: string): string | undefined => new RegExp(`^locked-keyring: ${key}=(.*)$`, 'm').exec(stderr)?.[1];

  it('a locked collection: token fails with a clear keychain error in bounded time, never a plaintext fallback', async () => {
    const s = await sandbox('keychain');
    const result = await lockedKeyring(s, ['token'], true);
    const stderr = String(result.stderr);
    expect(result.timedOut, stderr).toBe(false);
    expect(fact(stderr, 'error'), stderr).toBeUndefined();
    expect(fact(stderr, 'locked'), stderr).toBe('true');
    expect(result.exitCode, stderr).toBe(1);
    expect(String(result.stdout), stderr).toBe('');
    expect(stderr).toMatch(/keychain cannot be used/);
    expect(stderr).toMatch(/--insecure-storage/);
    expect(Number(fact(stderr, 'took_ms'))).toBeLessThan(15_000);
    expect(await exists(tokensFile(s))).toBe(false);
    expect(await readdir(s.configDir)).toEqual(['config.json']);
  }, 60_000);

  // A prompter that never answers: D-Bus's own call timeout (25 s) is all that ended the wait before.
  it('a locked collection whose unlock prompt never answers: token gives up after GMAILCTL_KEYCHAIN_TIMEOUT_MS, naming it, with no plaintext fallback', async () => {
    const s = await sandbox('keychain');
    const timeoutMs = 1000;
    const result = await lockedKeyring(s, ['token'], true, { hungPrompter: true, env: { GMAILCTL_KEYCHAIN_TIMEOUT_MS: String(timeoutMs) } });
    const stderr = String(result.stderr);
    expect(result.timedOut, stderr).toBe(false);
    expect(fact(stderr, 'locked'), stderr).toBe('true');
    expect(fact(stderr, 'prompt'), stderr).toBe('asked');
    expect(result.exitCode, stderr).toBe(1);
    expect(String(result.stdout), stderr).toBe('');
    // Said while it waits: the prompt may be on a desktop that the user is not looking at.
    expect(stderr).toMatch(/warning: The keychain is locked: unlock it in the prompt on your desktop \(gmailctl waits up to 1 s; Ctrl-C stops it\)/);
    expect(stderr).toMatch(/keychain cannot be used: it is locked, and its unlock prompt got no answer within 1 s \(GMAILCTL_KEYCHAIN_TIMEOUT_MS\)/);
    expect(stderr).toMatch(/--insecure-storage/);
    // Generous for a loaded machine, and still far below the 25 s that D-Bus alone would take.
    expect(Number(fact(stderr, 'took_ms'))).toBeLessThan(timeoutMs + 11_000);
    expect(fact(stderr, 'prompts_left')).toBe('0');
    expect(fact(stderr, 'keyring_pid_after'), 'the Secret Service kept running').toBe(fact(stderr, 'keyring_pid'));
    expect(await exists(tokensFile(s))).toBe(false);
    expect(await readdir(s.configDir)).toEqual(['config.json']);
  }, 60_000);

  it('Ctrl-C at an unlock prompt that never answers exits 130 at once, leaving no prompt, process or file behind', async () => {
    const s = await sandbox('keychain');
    const run = lockedKeyring(s, ['token'], true, { hungPrompter: true, env: { GMAILCTL_KEYCHAIN_TIMEOUT_MS: '45000' } });
    let seen = '';
    run.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    while (fact(seen, 'prompt') !== 'asked' && run.exitCode === null) await sleep(50);
    expect(fact(seen, 'prompt'), `the run ended before the unlock prompt was asked:\n${seen}`).toBe('asked');
    const pid = Number(fact(seen, 'pid'));
    expect(pid, seen).toBeGreaterThan(0);
    // Gone already (ESRCH) is a failure of the command, not of the test: say how it ended.
    const interrupted = (() => {
      try {
        return process.kill(pid, 'SIGINT');
      } catch {
        return false;
      }
    })();
    if (!interrupted) {
      const ended = await run;
      expect.fail(`gmailctl ended before Ctrl-C, with exit ${ended.exitCode}:\n${String(ended.stderr)}`);
    }
    const result = await run;
    const stderr = String(result.stderr);
    expect(result.timedOut, stderr).toBe(false);
    expect(result.exitCode, stderr).toBe(130);
    expect(String(result.stdout), stderr).toBe('');
    // Far below the 45 s timeout, and below the 25 s of D-Bus's own call timeout.
    expect(Number(fact(stderr, 'took_ms'))).toBeLessThan(15_000);
    expect(fact(stderr, 'prompts_left')).toBe('0');
    expect(fact(stderr, 'keyring_pid_after'), 'the Secret Service kept running').toBe(fact(stderr, 'keyring_pid'));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await exists(tokensFile(s))).toBe(false);
    expect(await readdir(s.configDir)).toEqual(['config.json']);
  }, 60_000);

  it('a locked collection: login stops before the browser opens, naming the opt-ins, and writes no token file', async () => {
    const s = await sandbox('keychain');
    emulator.clearRequests();
    const result = await lockedKeyring(s, ['login', '--timeout', '20'], false);
    const stderr = String(result.stderr);
    expect(result.timedOut, stderr).toBe(false);
    expect(fact(stderr, 'locked'), stderr).toBe('true');
    expect(result.exitCode, stderr).toBe(1);
    expect(stderr).toMatch(/keychain cannot be used/);
    expect(stderr).toMatch(/--insecure-storage/);
    expect(Number(fact(stderr, 'took_ms'))).toBeLessThan(15_000);
    expect(emulator.requests.filter((r) => r.path.startsWith('/o/oauth2'))).toHaveLength(0);
    expect(await exists(tokensFile(s))).toBe(false);
  }, 60_000);
});
