/**
 * `gmailctl login` end to end: the program (in-process, or the built CLI where a process
 * matters: signals, its children, the keychain), the emulator's OAuth endpoints, the file store
 * (the keychain has its own file). Each numbered step of the spec's login has a test here.
 */
import { readFile, stat, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { consentRedirect, startCli } from '../helpers/background.js';
import { ROOT, type Sandbox, type SandboxOptions } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

let emulator: Emulator;
const newSandbox = useEmulator({ accounts: ['ada@example.com', 'grace@example.com'], messages: 5 }, (started) => (emulator = started));
afterEach(() => {
  emulator.setAutoApprove(true);
  emulator.setOmitRefreshToken(false);
});

/** In-process runs unless a test is about the process (its children, its keychain); startCli runs the built CLI. */
async function sandbox(runner: SandboxOptions['runner'] = 'in-process'): Promise<Sandbox> {
  return newSandbox({ runner });
}

async function readJson(file: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
}

/** Whether something still listens on the port (the listener must be gone after login). */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

describe('login through the browser', () => {
  it('builds the consent URL the spec asks for, exchanges the code with PKCE, and stores the login', async () => {
    const s = await sandbox();
    emulator.clearRequests();
    const result = await s.login();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Logged in as ada@example\.com$/m);

    // Step 3: the URL is printed on a line of its own.
    const urlLine = result.stderr.split('\n').find((line) => line.includes('/o/oauth2/v2/auth?'));
    expect(urlLine).toBeDefined();
    const authUrl = new URL(urlLine as string);
    expect(`${authUrl.origin}${authUrl.pathname}`).toBe(new URL('o/oauth2/v2/auth', emulator.url).href);

    // Step 2: every parameter.
    const p = authUrl.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe(emulator.clientId);
    const redirect = new URL(p.get('redirect_uri') ?? '');
    expect(redirect.protocol).toBe('http:');
    expect(redirect.hostname).toBe('127.0.0.1');
    expect(Number(redirect.port)).toBeGreaterThan(0);
    const scopes = (p.get('scope') ?? '').split(' ');
    expect(scopes).toContain('https://www.googleapis.com/auth/gmail.readonly');
    expect(scopes).not.toContain('https://mail.google.com/');
    expect(scopes).not.toContain('https://www.googleapis.com/auth/gmail.modify');
    const state = p.get('state') ?? '';
    expect(Buffer.from(state, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('access_type')).toBe('offline');
    expect(p.get('prompt')).toBe('consent');
    expect(p.has('login_hint')).toBe(false);

    // Step 4: the exchange carries the verifier, the same redirect URI and the client.
    const exchange = emulator.requests.find((r) => r.path === '/token');
    expect(exchange).toBeDefined();
    const form = new URLSearchParams(exchange?.body);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('redirect_uri')).toBe(redirect.href);
    expect(form.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(form.get('code')).toBeTruthy();

    // Step 6: identified with getProfile, stored under that address, made the default.
    expect(emulator.requests.some((r) => r.path === '/gmail/v1/users/me/profile')).toBe(true);
    const tokens = await readJson(path.join(s.configDir, 'tokens.json'));
    expect(emulator.tokens().refreshTokens).toContain(tokens['ada@example.com'].refresh_token);
    const config = await readJson(path.join(s.configDir, 'config.json'));
    expect(config.defaultAccount).toBe('ada@example.com');
    expect(JSON.stringify(config)).not.toMatch(/ya29\.|1\/\/|refresh_token|access_token/);
    // Step 7 (on success too): the listener is gone.
    expect(await portIsFree(Number(redirect.port))).toBe(true);
  });

  it('sends --account as login_hint and stores the login under the address Google reports', async () => {
    const s = await sandbox();
    const result = await s.login(['--account', 'grace@example.com']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/login_hint=grace%40example\.com/);
    expect(result.stderr).toMatch(/^Logged in as grace@example\.com$/m);
  });

  it('listens on the --port given, for ssh -L forwarding', async () => {
    const s = await sandbox();
    const port = await freePort();
    const result = await s.login(['--port', String(port)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(encodeURIComponent(`http://127.0.0.1:${port}/`));
  });

  it('says clearly when the --port is already taken', async () => {
    const s = await sandbox();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await s.login(['--port', String(port)]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      blocker.close();
    }
  });

  it('runs GMAILCTL_BROWSER with a 0600 page that forwards to the consent URL as its last argument, and no secret in its environment', async () => {
    const s = await sandbox('process'); // the environment a child of the gmailctl process gets
    const record = path.join(s.dir, 'browser-record.json');
    const recorder = path.join(ROOT, 'test', 'helpers', 'reliability-browser-recorder.mjs');
    const result = await s.login([], {
      env: { GMAILCTL_BROWSER: `${process.execPath} ${recorder} ${record} --new-window`, GMAILCTL_CLIENT_SECRET: 'GOCSPX-should-not-pass', MY_API_TOKEN: 'x' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = (await readJson(record)) as { argv: string[]; env: Record<string, string>; page: { file: string; mode: number; dirMode: number; forwardsTo: string } };
    expect(seen.argv.slice(0, 2)).toEqual([record, '--new-window']);
    expect(seen.argv.at(-1)).toBe(seen.page.file);
    expect(seen.page.mode).toBe(0o600);
    expect(seen.page.dirMode).toBe(0o700);
    const printed = result.stderr.split('\n').find((line) => line.includes('/o/oauth2/v2/auth?'));
    expect(seen.page.forwardsTo).toBe(printed);
    expect(Object.keys(seen.env)).not.toContain('GMAILCTL_CLIENT_SECRET');
    expect(Object.keys(seen.env)).not.toContain('MY_API_TOKEN');
    // The page is gone once the login is over.
    await expect(stat(seen.page.file)).rejects.toThrow();
  });

  it('falls back to BROWSER when GMAILCTL_BROWSER is not set', async () => {
    const s = await sandbox();
    const browser = s.env.GMAILCTL_BROWSER as string;
    const result = await s.login([], { env: { GMAILCTL_BROWSER: undefined, BROWSER: browser } });
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('keeps waiting when the browser cannot be launched, and says so', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--timeout', '20'], { ...s.env, GMAILCTL_BROWSER: '/nonexistent/browser' });
    const { url } = await run.authUrl();
    await run.waitForStderr(/Could not open a browser/);
    const redirect = await consentRedirect(url);
    const page = await fetch(redirect);
    expect(page.status).toBe(200);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Logged in as ada@example\.com/);
  });
});

describe('the callback listener', () => {
  it('refuses a wrong state, missing code, other paths and methods, and keeps waiting', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { url, redirectUri, state } = await run.authUrl();
    const at = (query: string, pathname = redirectUri.pathname): URL => new URL(`${pathname}?${query}`, redirectUri);

    expect((await fetch(at(`code=abc&state=wrong`))).status).toBe(400);
    expect((await fetch(at(`code=abc`))).status).toBe(400);
    expect((await fetch(at(`state=${state}`))).status).toBe(400);
    expect((await fetch(at(`code=abc&state=${state}`, '/elsewhere'))).status).toBe(404);
    expect((await fetch(new URL('/', redirectUri))).status).toBe(404);
    expect((await fetch(at(`code=abc&state=${state}`), { method: 'POST' })).status).toBe(405);
    expect(run.child.exitCode).toBeNull(); // still waiting

    const redirect = await consentRedirect(url);
    const success = await fetch(redirect);
    expect(success.status).toBe(200);
    expect(await success.text()).toMatch(/close this window/i);
    // A second callback after success is refused (or finds the listener gone).
    const again = await fetch(redirect).then((r) => r.status, () => 'closed');
    expect(again === 409 || again === 'closed').toBe(true);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/state parameter does not match/);
  });

  it('ends with exit 1 when consent is denied, and echoes nothing from the request', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri, state } = await run.authUrl();
    const evil = '<script>alert(1)</script>';
    const response = await fetch(
      new URL(`${redirectUri.pathname}?error=access_denied&error_description=${encodeURIComponent(evil)}&state=${state}`, redirectUri),
    );
    const page = await response.text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain(state);
    const result = await run.child;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Access was denied/);
    expect(result.stdout).toBe('');
  });

  it('refuses a request whose Host is not the loopback address (DNS rebinding)', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri, state } = await run.authUrl();
    const status = await rawStatus(Number(redirectUri.port), `GET ${redirectUri.pathname}?code=x&state=${state} HTTP/1.1\r\nHost: evil.example:${redirectUri.port}\r\n\r\n`);
    expect(status).toBe(400);
    const huge = await rawStatus(Number(redirectUri.port), `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect([400, 431]).toContain(huge);
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const result = await run.child;
    expect(result.exitCode).toBe(130);
    expect(await portIsFree(Number(redirectUri.port))).toBe(true);
  });
});

describe('ending without an answer', () => {
  it('times out after --timeout seconds with exit 1, releasing the port and keeping the old login', async () => {
    const s = await sandbox();
    expect((await s.login()).exitCode).toBe(0);
    const before = await readFile(path.join(s.configDir, 'tokens.json'), 'utf8');
    const run = startCli(['login', '--no-browser', '--timeout', '1'], s.env);
    const { redirectUri } = await run.authUrl();
    const result = await run.child;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/No answer from the browser within 1 seconds/);
    // Issue #24 item 3: the hint suggested --no-browser, which was given.
    expect(result.stderr).not.toMatch(/or --no-browser to paste/);
    expect(result.stderr).toMatch(/paste the address the browser ends up on/);
    expect(await portIsFree(Number(redirectUri.port))).toBe(true);
    expect(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')).toBe(before);
  });

  it('exits 130 on SIGINT and releases the port', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { redirectUri } = await run.authUrl();
    run.child.kill('SIGINT');
    const result = await run.child;
    expect(result.exitCode).toBe(130);
    expect(await portIsFree(Number(redirectUri.port))).toBe(true);
  });
});

describe('--no-browser: pasting the redirected URL', () => {
  it('completes the login from the pasted URL, after refusing one with the wrong state', async () => {
    const s = await sandbox();
    emulator.clearRequests();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { url } = await run.authUrl();
    await run.waitForStderr(/Paste that whole URL/);
    const redirect = await consentRedirect(url);
    const forged = new URL(redirect);
    forged.searchParams.set('state', 'not-the-state');
    run.child.stdin?.write(`${forged.href}\n`);
    await run.waitForStderr(/Ignored the pasted line/);
    run.child.stdin?.write(`  ${redirect.href}  \n`);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Logged in as ada@example\.com/);
    // The browser was never launched: no request followed the redirect to the listener.
    expect(emulator.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('takes a last pasted line that has no newline when the input ends (printf %s URL | gmailctl login --no-browser)', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '10'], s.env);
    const { url } = await run.authUrl();
    await run.waitForStderr(/Paste that whole URL/);
    const redirect = await consentRedirect(url);
    run.child.stdin?.end(redirect.href);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Logged in as ada@example\.com/);
  });

  it('stdin at its end without a URL: says at once that nothing can be pasted, and still takes the browser\'s callback', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '30'], s.env);
    const { url } = await run.authUrl();
    await run.waitForStderr(/Paste that whole URL/);
    run.child.stdin?.end();
    // At once, not at the timeout: well before its 30 s.
    await run.waitForStderr(/stdin ended.*nothing more can be pasted/i, 5_000);
    expect(run.stderr()).toContain(new URL(url.searchParams.get('redirect_uri')!).origin);
    const redirect = await consentRedirect(url);
    expect((await fetch(redirect)).status).toBe(200);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Logged in as ada@example\.com/);
  });

  it('with --no-browser, the timeout\'s hint does not suggest --no-browser, which was given', async () => {
    const s = await sandbox();
    const result = await s.run(['login', '--no-browser', '--timeout', '1'], { input: '' });
    expect(result.exitCode).toBe(1);
    const afterError = result.stderr.slice(result.stderr.indexOf('error:'));
    expect(afterError).toMatch(/No answer .*within 1 second/);
    expect(afterError).not.toMatch(/--no-browser to paste/);
    expect(afterError).toMatch(/stdin/);
  });

  it('accepts just the query string', async () => {
    const s = await sandbox();
    const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
    const { url } = await run.authUrl();
    const redirect = await consentRedirect(url);
    run.child.stdin?.write(`${redirect.search.slice(1)}\n`);
    const result = await run.child;
    expect(result.exitCode, run.stderr()).toBe(0);
  });
});

describe('refresh tokens', () => {
  it('keeps the stored refresh token when Google sends none on re-login', async () => {
    const s = await sandbox();
    expect((await s.login()).exitCode).toBe(0);
    const first = (await readJson(path.join(s.configDir, 'tokens.json')))['ada@example.com'].refresh_token;
    emulator.setOmitRefreshToken(true);
    const again = await s.login();
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/keeping the one already stored/);
    const stored = (await readJson(path.join(s.configDir, 'tokens.json')))['ada@example.com'];
    expect(stored.refresh_token).toBe(first);
    expect(emulator.tokens().accessTokens).toContain(stored.access_token);
  });

  it('fails with how to re-consent when Google sends none and none is stored', async () => {
    const s = await sandbox();
    emulator.setOmitRefreshToken(true);
    const result = await s.login();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/no refresh token for ada@example\.com/);
    expect(result.stderr).toMatch(/myaccount\.google\.com\/permissions/);
    await expect(stat(path.join(s.configDir, 'tokens.json'))).rejects.toThrow();
  });
});

describe('storage', () => {
  it('writes tokens.json with mode 0600 in a 0700 directory, and --insecure-storage is remembered', async () => {
    const s = await sandbox();
    const result = await s.login(['--insecure-storage'], { env: { GMAILCTL_TOKEN_STORE: undefined } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await stat(path.join(s.configDir, 'tokens.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(s.configDir)).mode & 0o777).toBe(0o700);
    expect((await readJson(path.join(s.configDir, 'config.json'))).tokenStore).toBe('file');
    // Later commands use the file store without being told.
    const status = await s.run(['status'], { env: { GMAILCTL_TOKEN_STORE: undefined } });
    expect(status.exitCode, status.stderr).toBe(0);
  });

  it('refuses a tokens.json that others can read, as ssh does', async () => {
    const s = await sandbox();
    expect((await s.login()).exitCode).toBe(0);
    await chmod(path.join(s.configDir, 'tokens.json'), 0o644);
    const result = await s.run(['token']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/readable by others \(mode 0644\)/);
    expect(result.stderr).toMatch(/chmod 600/);
    expect(result.stdout).toBe('');
  });

  it('fails before opening the browser when the keychain cannot be used, naming both opt-ins', async () => {
    const s = await sandbox('process'); // the keychain answers on the process's own session bus
    emulator.clearRequests();
    const result = await s.login([], {
      env: { GMAILCTL_TOKEN_STORE: 'keychain', DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(s.dir, 'no-bus')}` },
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/keychain cannot be used/);
    expect(result.stderr).toMatch(/--insecure-storage/);
    expect(result.stderr).toMatch(/GMAILCTL_TOKEN_STORE=file/);
    expect(emulator.requests.filter((r) => r.path.startsWith('/o/oauth2'))).toHaveLength(0);
    await expect(stat(path.join(s.configDir, 'tokens.json'))).rejects.toThrow();
  });
});

describe('token endpoint failures leave the stored login untouched', () => {
  const cases: Array<[string, Parameters<Emulator['enqueue']>[1], RegExp]> = [
    ['invalid_client', { type: 'raw', status: 401, body: '{"error":"invalid_client","error_description":"Unauthorized"}', contentType: 'application/json' }, /client/i],
    ['a persistent server error', { type: 'status', status: 503 }, /503/],
    ['malformed JSON', { type: 'raw', status: 200, body: '{"access_token": ', contentType: 'application/json' }, /./],
    ['no access token', { type: 'raw', status: 200, body: '{"token_type":"Bearer"}', contentType: 'application/json' }, /access token/i],
  ];
  for (const [name, fault, message] of cases) {
    it(`${name} → exit 1 with a clear message`, async () => {
      const s = await sandbox();
      expect((await s.login()).exitCode).toBe(0);
      const before = await readFile(path.join(s.configDir, 'tokens.json'), 'utf8');
      // Queued for every attempt: a retried exchange must not find a healthy endpoint.
      emulator.enqueue({ method: 'POST', path: '/token' }, fault, 10);
      const result = await s.login();
      emulator.clearFaults();
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(await readFile(path.join(s.configDir, 'tokens.json'), 'utf8')).toBe(before);
    });
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rawStatus(port: number, request: string): Promise<number | 'closed'> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', () => resolve('closed'));
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve(match ? Number(match[1]) : 'closed');
    });
  });
}
