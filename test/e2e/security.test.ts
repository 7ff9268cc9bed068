/**
 * The hardening of issue #13, end to end: what another local user, the network or a hostile
 * answer could do to a login, a token or a terminal. Each test failed on the main of the day
 * the issue was filed; each names the guarantee of the README's Security section it protects.
 */
import { chmod, chown, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startCli } from '../helpers/background.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
/** What must never reach a terminal from outside: C0 (but the newline), C1, bidi, separators. */
const UNSAFE_ON_A_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

let emulator: Emulator;
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ADA, GRACE], messages: 5 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  emulator.clearFaults();
  emulator.setAutoApprove(true);
  await Promise.all(sandboxes.splice(0).map((s) => s.cleanup()));
});

async function sandbox(): Promise<Sandbox> {
  const s = await createSandbox(emulator);
  sandboxes.push(s);
  return s;
}

/** Sends raw bytes to the listener and resolves when it closes the connection. */
function rawRequest(port: number, request: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('error', () => resolve(data));
    socket.on('close', () => resolve(data));
  });
}

describe('terminal: text from outside is cleaned before it is shown', () => {
  it('a Host header holding an 8-bit CSI (0x9B) reaches the listener warning cleaned', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri } = await run.authUrl();
    const request = Buffer.concat([
      Buffer.from(`GET ${redirectUri.pathname}?code=x&state=y HTTP/1.1\r\nHost: evil`),
      Buffer.from([0x9b, 0x32, 0x4a, 0x9b, 0x33, 0x31, 0x6d]), // CSI 2J, CSI 31m (8-bit)
      Buffer.from(`\r\nConnection: close\r\n\r\n`),
    ]);
    await rawRequest(Number(redirectUri.port), request);
    await run.waitForStderr(/Refused a request for host/);
    run.child.kill('SIGINT');
    await run.child;
    expect(run.stderr()).not.toMatch(UNSAFE_ON_A_TERMINAL);
  });

  it("the token endpoint's error_description is printed without its escape sequences", async () => {
    const s = await sandbox();
    const description = '\u001b]0;owned\u0007\u001b[2J\u009b31m\u202eevil';
    emulator.enqueue(
      { method: 'POST', path: '/token' },
      { type: 'raw', status: 400, body: JSON.stringify({ error: 'invalid_request', error_description: description }), contentType: 'application/json' },
      10,
    );
    const result = await s.login();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/invalid_request/);
    expect(result.stderr).toMatch(/owned/);
    expect(result.stderr).not.toMatch(UNSAFE_ON_A_TERMINAL);
  });

  it('a flood of refused requests prints a few warnings and a count, not a line each', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri } = await run.authUrl();
    for (let i = 0; i < 200; i += 1) {
      await fetch(new URL(`${redirectUri.pathname}?code=c&state=wrong-${i % 7}`, redirectUri)).then((r) => r.text());
    }
    for (let i = 0; i < 20; i += 1) {
      await rawRequest(Number(redirectUri.port), Buffer.from(`GET ${redirectUri.pathname} HTTP/1.1\r\nHost: evil-${i}.example\r\nConnection: close\r\n\r\n`));
    }
    run.child.kill('SIGINT');
    await run.child;
    const warnings = run.stderr().split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings.length, run.stderr()).toBeLessThanOrEqual(6);
    expect(run.stderr()).toMatch(/refused 21\d more requests/);
  });
});

/**
 * A host that is not a loopback address but whose traffic still stays on this machine:
 * Linux routes a connection to 0.0.0.0 to the local host, where the emulator listens.
 */
const notLoopback = (url: string): string => url.replace('127.0.0.1', '0.0.0.0');

async function loggedIn(): Promise<Sandbox> {
  const s = await sandbox();
  const result = await s.login();
  expect(result.exitCode, result.stderr).toBe(0);
  return s;
}

/** Makes the stored access token look expired, so that the next command must refresh. */
async function expireStoredToken(s: Sandbox): Promise<void> {
  const file = path.join(s.configDir, 'tokens.json');
  const logins = JSON.parse(await readFile(file, 'utf8')) as Record<string, { expiry_date?: number }>;
  for (const login of Object.values(logins)) login.expiry_date = 1;
  await writeFile(file, JSON.stringify(logins), { mode: 0o600 });
}

async function rewriteCredentials(s: Sandbox, change: (client: Record<string, string>) => void): Promise<void> {
  const data = JSON.parse(await readFile(s.credentialsFile, 'utf8')) as { installed: Record<string, string> };
  change(data.installed);
  await writeFile(s.credentialsFile, JSON.stringify(data), { mode: 0o600 });
}

describe('network: a token travels only over TLS, or to this machine', () => {
  it('a token_uri over plain http to another host is refused before the refresh token is sent', async () => {
    const s = await loggedIn();
    await expireStoredToken(s);
    await rewriteCredentials(s, (client) => (client.token_uri = notLoopback(new URL('token', emulator.url).href)));
    emulator.clearRequests();
    const result = await s.run(['token']);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/token_uri.*plain http.*https is required/);
    expect(result.stdout).toBe('');
    expect(emulator.requests.filter((r) => r.path === '/token')).toHaveLength(0);
  });

  it('auth_uri and revoke_uri over plain http to another host are refused too', async () => {
    for (const field of ['auth_uri', 'revoke_uri']) {
      const s = await sandbox();
      await rewriteCredentials(s, (client) => (client[field] = 'http://0.0.0.0:9/x'));
      const result = await s.login();
      expect(result.exitCode, field).toBe(1);
      expect(result.stderr, field).toMatch(new RegExp(`${field}.*plain http`));
    }
  });

  it('GMAILCTL_API_ROOT over plain http to another host is refused before the bearer token is sent', async () => {
    const s = await loggedIn();
    emulator.clearRequests();
    const result = await s.run(['list', '--format', 'ids'], { env: { GMAILCTL_API_ROOT: notLoopback(emulator.url) } });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/GMAILCTL_API_ROOT is plain http/);
    expect(emulator.requests.filter((r) => r.path.startsWith('/gmail/'))).toHaveLength(0);
  });

  it('GMAILCTL_TOKEN_URI over plain http to another host is refused before the secrets are sent', async () => {
    const s = await sandbox();
    emulator.clearRequests();
    const result = await s.run(['token'], {
      env: {
        GMAILCTL_CLIENT_ID: emulator.clientId,
        GMAILCTL_CLIENT_SECRET: emulator.clientSecret,
        GMAILCTL_REFRESH_TOKEN: '1//not-a-real-refresh-token-for-this-test',
        GMAILCTL_TOKEN_URI: notLoopback(new URL('token', emulator.url).href),
      },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/GMAILCTL_TOKEN_URI is plain http/);
    expect(emulator.requests.filter((r) => r.path === '/token')).toHaveLength(0);
  });

  it('refuses an OAuth client file that other users can write, whichever token store is used', async () => {
    const s = await sandbox();
    await chmod(s.credentialsFile, 0o666);
    for (const store of ['file', 'keychain']) {
      const result = await s.login([], { env: { GMAILCTL_TOKEN_STORE: store } });
      expect(result.exitCode, store).toBe(1);
      expect(result.stderr, store).toMatch(/other users can write to it \(mode 0666\)/);
      expect(result.stderr, store).toMatch(/chmod go-w/);
    }
  });

  it.runIf(process.getuid?.() === 0)('refuses an OAuth client file that belongs to another user', async () => {
    const s = await sandbox();
    await chown(s.credentialsFile, 65534, 65534);
    const result = await s.login();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/belongs to another user \(uid 65534\)/);
  });
});
