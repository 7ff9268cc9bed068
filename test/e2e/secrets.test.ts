/**
 * No secret leaks: every command runs with --debug, and every stream and every file it
 * leaves is searched for every secret the emulator ever issued or saw (refresh and access
 * tokens, authorization codes, PKCE verifiers) and for the client secret. The only places
 * allowed to hold one: the token store (tokens.json here), the OAuth client file, and the
 * stdout of `gmailctl token`, whose job is to print an access token.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { startCli, consentRedirect } from '../helpers/background.js';
import { createSandbox, type CliResult, type Sandbox } from '../helpers/sandbox.js';

let emulator: Emulator;
let s: Sandbox;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com', 'grace@example.com'], messages: 30 });
  s = await createSandbox(emulator);
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

it('no command prints or writes a secret, even with --debug', async () => {
  const streams: Array<{ name: string; text: string }> = [];
  const record = (name: string, result: CliResult, allowTokenOnStdout = false): void => {
    streams.push({ name: `${name} stderr`, text: result.stderr });
    if (!allowTokenOnStdout) streams.push({ name: `${name} stdout`, text: result.stdout });
  };

  // Short-lived access tokens make every later command refresh: more secrets in motion.
  emulator.setAccessTokenLifetime(100);
  record('login', await s.login(['--debug']));
  record('login grace', await s.login(['--debug', '--account', 'grace@example.com']));

  // Paste mode, where the redirected URL (with its code) comes in on stdin.
  const paste = startCli(['login', '--debug', '--no-browser', '--timeout', '20'], s.env);
  const { url } = await paste.authUrl();
  paste.child.stdin?.write(`${(await consentRedirect(url)).href}\n`);
  await paste.child;
  streams.push({ name: 'paste login stderr', text: paste.stderr() }, { name: 'paste login stdout', text: paste.stdout() });

  record('status', await s.run(['--debug', 'status']));
  record('status --json', await s.run(['--debug', 'status', '--json']));
  const token = await s.run(['--debug', 'token']);
  record('token', token, true);
  expect(token.stdout.trim()).toMatch(/^ya29\./);
  for (const format of ['ids', 'tsv', 'table', 'json', 'ndjson']) {
    record(`list ${format}`, await s.run(['--debug', 'list', '--format', format]));
  }
  emulator.expireAccessTokens(); // a 401 and a refresh, with its error body, under --debug
  record('list after 401', await s.run(['--debug', 'list', '--format', 'ids']));
  emulator.enqueue('/gmail/v1/users/me/messages', { type: 'status', status: 400, message: 'Invalid query' }, 1);
  record('failing list', await s.run(['--debug', 'list', '-q', 'x']));
  emulator.enqueue({ method: 'POST', path: '/token' }, { type: 'raw', status: 400, body: '{"error":"invalid_grant","error_description":"Bad Request"}', contentType: 'application/json' }, 1);
  emulator.expireAccessTokens();
  record('failing refresh', await s.run(['--debug', 'token', '--account', 'grace@example.com']));
  record('logout', await s.run(['--debug', 'logout', '--all']));
  emulator.setAccessTokenLifetime(3599);

  const issued = emulator.tokens();
  const secrets = [
    ...issued.refreshTokens.map((v) => ['refresh token', v]),
    ...issued.accessTokens.map((v) => ['access token', v]),
    ...issued.codes.map((v) => ['authorization code', v]),
    ...issued.codeVerifiers.map((v) => ['PKCE verifier', v]),
    ['client secret', emulator.clientSecret],
  ] as Array<[string, string]>;
  expect(issued.refreshTokens.length).toBeGreaterThanOrEqual(3);
  expect(issued.accessTokens.length).toBeGreaterThan(3);
  expect(issued.codes.length).toBeGreaterThanOrEqual(3);
  expect(issued.codeVerifiers.length).toBeGreaterThanOrEqual(3);

  const allowedFiles = new Set([path.join(s.configDir, 'tokens.json'), s.credentialsFile]);
  const files = (await filesUnder(s.dir)).filter((file) => !allowedFiles.has(file));
  for (const file of files) streams.push({ name: file, text: await readFile(file, 'utf8') });
  expect(streams.some((stream) => stream.text.includes('debug:'))).toBe(true); // --debug did print

  const leaks: string[] = [];
  for (const stream of streams) {
    for (const [kind, value] of secrets) {
      if (stream.text.includes(value)) leaks.push(`${kind} in ${stream.name}`);
    }
  }
  expect(leaks).toEqual([]);
});
