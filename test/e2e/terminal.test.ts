/**
 * gmailctl on a real terminal: a tmux server with its own socket runs a shell in a
 * 120×40 pane, and the test types into it (send-keys) and reads the screen (capture-pane),
 * as a person would — the login URL and the pasted redirect, the progress line of a long
 * `list` that appears and is erased, the table fitted to the width, colour only on the TTY,
 * and plain TSV in a pipe. Then, outside tmux: NO_COLOR / FORCE_COLOR, --quiet, and the
 * shape of every error (one `error:` line, at most one hint).
 *
 * tmux is required on CI (CI=true); elsewhere its absence skips the tmux part with a notice.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faults, startEmulator, type Emulator } from '../emulator/index.js';
import { consentRedirect } from '../helpers/background.js';
import { CLI, createSandbox, type CliResult, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
const MESSAGES = 600;
const WIDTH = 120;
const HEIGHT = 40;
const PROMPT = 'gm-ready$';
const inCI = process.env.CI === 'true';
const hasTmux = (await execa('sh', ['-c', 'command -v tmux'], { reject: false })).exitCode === 0;
const ESC = '\x1b';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (!hasTmux && !inCI) console.warn('notice: tmux is not installed; the terminal tests in tmux are skipped');

describe.runIf(hasTmux || inCI)('on a terminal (tmux)', () => {
  const socket = `gmailctl-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  let emulator: Emulator;
  let sandbox: Sandbox;
  let started = false;

  const tmux = async (...args: string[]): Promise<string> => {
    const result = await execa('tmux', ['-L', socket, '-f', '/dev/null', ...args], { reject: false, env: { PATH: process.env.PATH ?? '' }, extendEnv: false });
    if (result.exitCode !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${String(result.stderr)}`);
    return String(result.stdout);
  };
  /** The screen as text; wrapped lines joined (-J) so a too-wide row shows as one long line. */
  const screen = async (options: { escapes?: boolean; history?: boolean } = {}): Promise<string> => {
    const text = await tmux('capture-pane', '-p', '-J', ...(options.escapes ? ['-e'] : []), ...(options.history ? ['-S', '-'] : []), '-t', 'main');
    // -J keeps trailing spaces; a row's width is what is printed, not the padding after it.
    return text
      .split('\n')
      .map((line) => line.replace(/ +$/, ''))
      .join('\n');
  };
  const type = async (text: string): Promise<void> => {
    await tmux('send-keys', '-t', 'main', '-l', text);
    await tmux('send-keys', '-t', 'main', 'Enter');
  };
  /** Polls the screen until `predicate` holds; every screen seen is passed to `onScreen`. */
  async function waitForScreen(predicate: (text: string) => boolean, what: string, onScreen?: (text: string) => void, timeoutMs = 40_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await screen();
      onScreen?.(last);
      if (predicate(last)) return last;
      await sleep(20);
    }
    throw new Error(`the screen never showed ${what}; it was:\n${last}`);
  }
  /** Clears the screen and its history, runs a command line, and waits for the prompt after it. */
  async function runInPane(command: string, onScreen?: (text: string) => void): Promise<string> {
    await tmux('send-keys', '-t', 'main', '-R');
    await tmux('clear-history', '-t', 'main');
    await type(`clear; ${command}; echo "exit=$?"`);
    return waitForScreen((text) => /^exit=\d+\n(.*\n)*?gm-ready\$\s*$/m.test(`${text.trimEnd()}\n`) && /^exit=\d+$/m.test(text), `the prompt after ${command}`, onScreen);
  }
  const exitOf = (text: string): number => Number(/^exit=(\d+)$/m.exec(text)?.[1]);
  const cli = `'${process.execPath}' '${CLI}'`;

  beforeAll(async () => {
    if (!hasTmux) throw new Error('tmux is required on CI (CI=true) and is not installed');
    emulator = await startEmulator({ accounts: [ACCOUNT], messages: MESSAGES, latencyMs: 15 });
    sandbox = await createSandbox(emulator);
    const env: Record<string, string> = { ...sandbox.env, TERM: 'xterm-256color', PS1: `${PROMPT} `, LANG: process.env.LANG ?? 'C.UTF-8' };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    delete env.COLORTERM;
    // The shell gets exactly the sandbox's environment; tmux itself only needs PATH.
    const exports = Object.entries(env).map(([name, value]) => `${name}='${value.replace(/'/g, `'\\''`)}'`);
    await tmux(
      'new-session', '-d', '-s', 'main', '-x', String(WIDTH), '-y', String(HEIGHT),
      `exec env -i ${exports.join(' ')} bash --norc --noprofile -i`,
    );
    started = true;
    await tmux('set-option', '-t', 'main', 'history-limit', '5000');
    await waitForScreen((text) => text.includes(PROMPT), 'the first prompt');
  }, 60_000);

  afterAll(async () => {
    if (started) {
      const socketPath = (await tmux('display-message', '-p', '#{socket_path}').catch(() => '')).trim();
      await execa('tmux', ['-L', socket, 'kill-server'], { reject: false });
      if (socketPath.endsWith(socket)) await rm(socketPath, { force: true });
    }
    await sandbox?.cleanup();
    await emulator?.close();
  });

  it('login --no-browser: the URL is on screen, pasting the redirect logs in', { timeout: 60_000 }, async () => {
    await tmux('clear-history', '-t', 'main');
    await type(`clear; ${cli} login --no-browser --timeout 60; echo "exit=$?"`);
    const withUrl = await waitForScreen((text) => /^https?:\/\/\S+\/o\/oauth2\/v2\/auth\?\S+$/m.test(text) && /Paste/.test(text), 'the consent URL');
    const url = new URL(/^(https?:\/\/\S+\/o\/oauth2\/v2\/auth\?\S+)$/m.exec(withUrl)![1]!);
    // The URL is on a line of its own, whole (joined from its wrapped rows), and holds no secret.
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const redirect = await consentRedirect(url);
    await type(redirect.toString());
    const done = await waitForScreen((text) => /^exit=\d+$/m.test(text), 'the end of login');
    expect(done).toMatch(new RegExp(`^Logged in as ${ACCOUNT.replace('.', '\\.')}$`, 'm'));
    expect(exitOf(done)).toBe(0);
  });

  it('list: a progress line while it runs, gone at the end; a table no wider than the pane; colour', { timeout: 60_000 }, async () => {
    const progressScreens: string[] = [];
    const final = await runInPane(`${cli} list`, (text) => {
      if (/of ~\d+ messages/.test(text)) progressScreens.push(text);
    });
    expect(exitOf(final)).toBe(0);
    expect(progressScreens.length, 'the progress line was never on screen').toBeGreaterThan(0);
    // Gmail's estimate of the total: the messages outside SPAM and TRASH.
    const visibleCount = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH')).length;
    expect(progressScreens.some((text) => new RegExp(`^\\d+ of ~${visibleCount} messages, \\d+/s$`, 'm').test(text))).toBe(true);

    // The final screen and everything scrolled above it: no progress line left anywhere.
    const all = await screen({ history: true });
    expect(final).not.toMatch(/of ~\d+ messages/);
    expect(all).not.toMatch(/of ~\d+ messages/);
    expect(all).toMatch(/^ID {2,}DATE {2,}FROM {2,}SUBJECT\s*$/m);
    const rows = all.split('\n').filter((line) => /^[0-9a-f]{16}\s/.test(line));
    const visible = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    expect(rows).toHaveLength(visible.length);
    for (const line of all.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(WIDTH);
    // The prompt came back, on a line of its own.
    expect(final.trimEnd().split('\n').at(-1)).toBe(PROMPT);

    // Colour on the TTY: the header is bold, ids dim, unread subjects bold.
    const coloured = await screen({ escapes: true, history: true });
    expect(coloured).toMatch(new RegExp(`${ESC}\\[[0-9;]*m`));
    expect(coloured).toMatch(new RegExp(`${ESC}\\[1mID`));
  });

  it('list | tee FILE in the pane: the data is TSV with tabs and no escape codes', { timeout: 60_000 }, async () => {
    const out = path.join(sandbox.dir, 'piped.tsv');
    const final = await runInPane(`${cli} list | tee '${out}'`);
    expect(exitOf(final)).toBe(0);
    const data = await readFile(out, 'utf8');
    const lines = data.split('\n').filter(Boolean);
    const visible = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    expect(lines.map((line) => line.split('\t')[0])).toEqual(visible.map((m) => m.id));
    for (const line of lines) expect(line.split('\t')).toHaveLength(4);
    expect(data).not.toContain(ESC);
    expect(data).not.toMatch(/^ID\tDATE/m);
    expect(data).not.toMatch(/messages, \d+\/s/);
  });

  it('labels: a table no wider than the pane, system labels first, counts right-aligned, unread labels in bold', { timeout: 60_000 }, async () => {
    const final = await runInPane(`${cli} labels`);
    expect(exitOf(final)).toBe(0);
    const all = await screen({ history: true });
    const lines = all.split('\n');
    const header = lines.findIndex((line) => /^NAME +MESSAGES +UNREAD +THREADS +UNREAD +TYPE +ID$/.test(line));
    expect(header, all).toBeGreaterThanOrEqual(0);
    const rows = lines.slice(header + 1, header + 1 + emulator.labels().length);
    expect(rows.map((row) => row.split(/ {2,}/)[0])).toEqual(expect.arrayContaining(['INBOX', 'Receipts', 'Work/Projects']));
    expect(rows[0]).toMatch(/^INBOX +\d+ +\d+ +\d+ +\d+ +system +INBOX$/);
    const inbox = emulator.mailbox().filter((m) => m.labelIds.includes('INBOX'));
    expect(rows[0]!.split(/ +/).slice(1, 3)).toEqual([String(inbox.length), String(inbox.filter((m) => m.labelIds.includes('UNREAD')).length)]);
    // Right-aligned: every count column ends where its header ends.
    const end = (line: string, column: number): number => [...line.matchAll(/\S+/g)][column]!.index! + [...line.matchAll(/\S+/g)][column]![0].length;
    for (const row of rows.filter((r) => /^(INBOX|SENT|STARRED) /.test(r))) expect(end(row, 1)).toBe(end(lines[header]!, 1));
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(WIDTH);
    const coloured = await screen({ escapes: true, history: true });
    // INBOX has unread mail: the escapes before its name turn bold on (tmux writes it as ESC[0;1m).
    const inboxLine = coloured.split('\n').find((line) => line.includes('INBOX') && line.includes('system')) ?? '';
    const before = /^((?:\u001b\[[0-9;]*m)*)INBOX/.exec(inboxLine)?.[1] ?? '';
    expect(before, JSON.stringify(inboxLine)).toMatch(/\u001b\[(?:[0-9;]*;)?1m/);
  });

  it('list --threads: a table no wider than the pane, MSGS right-aligned under its header, no progress line left', { timeout: 60_000 }, async () => {
    const progressScreens: string[] = [];
    const final = await runInPane(`${cli} list --threads`, (text) => {
      if (/ of ~\d+ \w+, \d+\/s/.test(text)) progressScreens.push(text);
    });
    expect(exitOf(final)).toBe(0);
    // A progress line, when the run lasts long enough to show one, counts conversations.
    for (const text of progressScreens) expect(text).toMatch(/^\d+ of ~\d+ conversations, \d+\/s/m);
    const all = await screen({ history: true });
    expect(all).not.toMatch(/ of ~\d+ conversations/);
    const lines = all.split('\n');
    const header = lines.find((line) => /^ID {2,}DATE {2,}FROM {2,}MSGS {2}SUBJECT$/.test(line));
    expect(header, all).toBeDefined();
    const visible = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    const threads = new Map<string, number>();
    for (const m of emulator.mailbox()) threads.set(m.threadId, (threads.get(m.threadId) ?? 0) + 1);
    const rows = lines.filter((line) => /^[0-9a-f]{16}\s/.test(line));
    expect(rows.map((row) => row.slice(0, 16))).toEqual([...new Set(visible.map((m) => m.threadId))]);
    // The count ends where MSGS ends, in terminal columns (a CJK name takes two a character).
    const end = header!.indexOf('MSGS') + 'MSGS'.length;
    for (const row of rows) {
      let prefix = '';
      for (const char of row) {
        if (stringWidth(prefix + char) > end) break;
        prefix += char;
      }
      expect(prefix, row).toMatch(new RegExp(` ${threads.get(row.slice(0, 16))}$`));
    }
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(WIDTH);
    expect(final.trimEnd().split('\n').at(-1)).toBe(PROMPT);
  });

  // With stdout piped and stderr on the terminal (`| cat`, `| less`), the rows reach the
  // screen later, through the other process: a progress line redrawn in place would be
  // glued to a data row. So no progress line in a pipe (src/basics/io.ts IO.progress()).
  it('list | cat in the pane: no progress line while it runs, none left on the screen', { timeout: 60_000 }, async () => {
    const progressScreens: string[] = [];
    const final = await runInPane(`${cli} list | cat`, (text) => {
      if (/messages, \d+\/s/.test(text)) progressScreens.push(text);
    });
    expect(exitOf(final)).toBe(0);
    const all = await screen({ escapes: true, history: true });
    expect(all).not.toMatch(/of ~\d+ messages/);
    expect(progressScreens).toEqual([]);
    // The rows on screen are the TSV rows, each starting with its id.
    const rows = all.split('\n').filter((line) => /[0-9a-f]{16}\s/.test(line));
    expect(rows.length).toBeGreaterThan(100);
    for (const row of rows) expect(row).toMatch(/^[0-9a-f]{16}\s/);
  });

  it('list > FILE in the pane: the progress line is on the terminal while it runs; the file holds only TSV', { timeout: 60_000 }, async () => {
    const out = path.join(sandbox.dir, 'redirected.tsv');
    const progressScreens: string[] = [];
    const final = await runInPane(`${cli} list > '${out}'`, (text) => {
      if (/of ~\d+ messages/.test(text)) progressScreens.push(text);
    });
    expect(exitOf(final)).toBe(0);
    // A file is not a screen: nothing can be glued to a row, so long runs show their progress.
    expect(progressScreens.length, 'the progress line was never on screen').toBeGreaterThan(0);
    const all = await screen({ history: true });
    expect(all).not.toMatch(/of ~\d+ messages/);
    const data = await readFile(out, 'utf8');
    const visible = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    expect(data.split('\n').filter(Boolean).map((line) => line.split('\t')[0])).toEqual(visible.map((m) => m.id));
    expect(data).not.toContain(ESC);
    expect(data).not.toMatch(/messages, \d+\/s/);
  });

  it("list under Gmail's quota: once the limit is learned, the progress line says how long the rest will take at it", { timeout: 90_000 }, async () => {
    const out = path.join(sandbox.dir, 'quota.tsv');
    // 2026 quota, a minute lasting 10 s: 30 gets a second, from a bucket of 20 gets, so that the
    // wall comes early. Strict, as Google is: a batch over the quota is refused whole. Since issue
    // 21 the pacer learns the limit only from refusals that keep coming (a stray one costs its
    // wait and no more): from a full bucket of 300 gets, 600 messages were over before it had.
    emulator.setQuota({ regime: '2026', timeScale: 6, burstUnits: 400 });
    emulator.setStrict(true);
    const timeLeft: string[] = [];
    try {
      const final = await runInPane(`${cli} list --include-spam-trash > '${out}'`, (text) => {
        const line = /^\d+ of ~\d+ messages, \d+\/s, ~\d+ (s|min) left at Gmail's per-user limit$/m.exec(text);
        if (line) timeLeft.push(line[0]);
      });
      expect(exitOf(final)).toBe(0);
    } finally {
      emulator.setQuota(undefined);
      emulator.setStrict(false);
    }
    expect(timeLeft.length, 'the time left was never on screen').toBeGreaterThan(0);
    expect(await screen({ history: true })).not.toMatch(/left at Gmail's per-user limit/);
    expect((await readFile(out, 'utf8')).split('\n').filter(Boolean)).toHaveLength(MESSAGES);
  });

  // Issue #24: at 40 columns the line with the time left wrapped, and only its last row was
  // erased: a long `list > file` left a stale row per page. It is cut to the width now, and
  // a resize redraws it at once (here to 24 columns: tmux re-wraps the 39 columns shown on
  // two rows, and the redraw erases both).
  it('in a 40-column pane, under the quota: the progress line stays on one row, follows a resize, and leaves nothing behind', { timeout: 90_000 }, async () => {
    const out = path.join(sandbox.dir, 'narrow.tsv');
    // 60 gets a second from a bucket of 20: rate-limited at once, so the pacer learns the limit early.
    emulator.setQuota({ regime: '2026', timeScale: 12, burstUnits: 400 });
    // Strict, as Google is: the pacer learns the limit from batches refused whole (see above).
    emulator.setStrict(true);
    await tmux('resize-window', '-t', 'main', '-x', '40', '-y', String(HEIGHT));
    let width = 40;
    const tooWide: string[] = [];
    const progress: string[] = [];
    let resized = false;
    try {
      // Not on the top row: re-wrapping the cursor's line there, tmux scrolls its first row into
      // the history, out of reach of any escape sequence.
      const final = await runInPane(`echo; echo narrow; ${cli} list --include-spam-trash > '${out}'`, (text) => {
        for (const line of text.split('\n').filter((l) => /messages, \d+\/s/.test(l))) {
          progress.push(line);
          if ([...line].length > width - 1) tooWide.push(`${width}: ${line}`);
        }
        if (!resized && /messages, \d+\/s, ~\d+ (s|min)/.test(text)) {
          resized = true;
          void tmux('resize-window', '-t', 'main', '-x', '24', '-y', String(HEIGHT)).then(() => (width = 24));
        }
      });
      expect(exitOf(final)).toBe(0);
    } finally {
      emulator.setQuota(undefined);
      emulator.setStrict(false);
      await tmux('resize-window', '-t', 'main', '-x', String(WIDTH), '-y', String(HEIGHT));
    }
    expect(progress.length, 'the progress line was never on screen').toBeGreaterThan(0);
    expect(resized, `the time left was never on screen (the pane was never resized): ${progress.join(' / ')}`).toBe(true);
    expect(tooWide).toEqual([]);
    const all = await screen({ history: true });
    expect(all).not.toMatch(/of ~\d+|messages, \d+\/s|left at|per-user|\d+\/s,/);
    expect((await readFile(out, 'utf8')).split('\n').filter(Boolean)).toHaveLength(MESSAGES);
  });

  it('list --follow: an idle line says when Gmail was last asked, a new message takes its place, Ctrl-C ends it; none in a pipe', { timeout: 90_000 }, async () => {
    const query = `-q 'subject:"follow on a tty"' --follow --interval 5`;
    const idle = /^following: last checked \d\d:\d\d:\d\d, every 5 s \(Ctrl-C to stop\)$/m;
    await tmux('send-keys', '-t', 'main', '-R');
    await tmux('clear-history', '-t', 'main');
    await type(`clear; ${cli} list ${query}; echo "exit=$?"`);
    await waitForScreen((text) => idle.test(text), 'the idle line');
    const [added] = emulator.addMessages(1, { subject: 'Follow on a TTY' });
    // The row replaces the idle line; the next poll draws the idle line again, below it.
    const after = await waitForScreen((text) => text.includes(added!.id) && idle.test(text.slice(text.indexOf(added!.id))), 'the new row, then the idle line');
    const all = await screen({ history: true });
    expect(all.match(/following: last checked/g)).toHaveLength(1);
    expect(after.split('\n').find((line) => line.includes(added!.id))).toMatch(/Follow on a TTY/);
    await tmux('send-keys', '-t', 'main', 'C-c');
    const done = await waitForScreen((text) => /^exit=\d+$/m.test(text), 'the end after Ctrl-C');
    expect(exitOf(done)).toBe(130);
    expect(await screen({ history: true })).not.toMatch(/following: last checked/);

    // In a pipe, the data could share the screen: no idle line at all.
    await tmux('send-keys', '-t', 'main', '-R');
    await tmux('clear-history', '-t', 'main');
    const polls = emulator.requests.filter((r) => r.path.endsWith('/history')).length;
    await type(`clear; ${cli} list ${query} | cat; echo "exit=$?"`);
    const deadline = Date.now() + 30_000;
    while (emulator.requests.filter((r) => r.path.endsWith('/history')).length < polls + 2 && Date.now() < deadline) await sleep(100);
    expect(await screen({ history: true })).not.toMatch(/following/);
    await tmux('send-keys', '-t', 'main', 'C-c');
    // Ctrl-C ends the whole pipeline (and bash drops the rest of the line): the prompt returns.
    await waitForScreen((text) => text.trimEnd().endsWith(PROMPT), 'the prompt after Ctrl-C on the pipe');
  });

  it('an error on the TTY is red; the same in a pipe of stderr is plain', async () => {
    const final = await runInPane(`${cli} list --format xml`);
    expect(exitOf(final)).toBe(2);
    const coloured = await screen({ escapes: true, history: true });
    expect(coloured).toMatch(new RegExp(`${ESC}\\[(31|91|38;5;\\d+)m(${ESC}\\[[0-9;]*m)*error:`));

    const piped = await runInPane(`${cli} list --format xml 2>&1 | cat`);
    expect(piped).toMatch(/^error: /m);
    const text = await screen({ escapes: true, history: true });
    const errorLine = text.split('\n').find((line) => line.includes('error:') && !line.includes('| cat')) ?? '';
    expect(errorLine).not.toContain(ESC);
  });
});

// ---------------------------------------------------------------------------------------
// Terminal manners outside tmux: stdout and stderr are not terminals. The program runs
// in-process here (its streams are in-memory, as a pipe they are no TTY); the tmux part
// above and the pipe tests of test/e2e keep the built CLI.

describe('colour, --quiet and the shape of errors (in pipes)', () => {
  let emulator: Emulator;
  let sandbox: Sandbox;

  beforeAll(async () => {
    emulator = await startEmulator({ accounts: [ACCOUNT, 'grace@example.com'], messages: 8 });
    sandbox = await createSandbox(emulator, { runner: 'in-process' });
    for (const account of [ACCOUNT, 'grace@example.com']) {
      const result = await sandbox.login(['--account', account]);
      expect(result.exitCode, result.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await sandbox?.cleanup();
    await emulator?.close();
  });

  /** The sandbox's env without its NO_COLOR, plus `env`. */
  const run = (args: string[], env: Record<string, string | undefined> = {}, target: Sandbox = sandbox): Promise<CliResult> =>
    target.run(args, { env: { NO_COLOR: undefined, FORCE_COLOR: undefined, ...env } });

  it('NO_COLOR=1 without FORCE_COLOR: no escape codes on stderr or stdout', async () => {
    const error = await run(['list', '--format', 'xml'], { NO_COLOR: '1' });
    expect(error.exitCode).toBe(2);
    expect(error.stderr).toMatch(/^error: /);
    expect(error.stderr).not.toContain(ESC);
    const table = await run(['list', '--format', 'table'], { NO_COLOR: '1' });
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout + table.stderr).not.toContain(ESC);
  });

  it('neither NO_COLOR nor FORCE_COLOR, in a pipe: no escape codes', async () => {
    const error = await run(['token', '--account', 'nobody@example.com']);
    expect(error.exitCode).toBe(4);
    expect(error.stderr).not.toContain(ESC);
    const status = await run(['status']);
    expect(status.stdout + status.stderr).not.toContain(ESC);
  });

  it('FORCE_COLOR=1 in a pipe: errors are coloured (and FORCE_COLOR wins over NO_COLOR)', async () => {
    for (const env of [{ FORCE_COLOR: '1' }, { FORCE_COLOR: '1', NO_COLOR: '1' }]) {
      const error = await run(['list', '--format', 'xml'], env);
      expect(error.exitCode).toBe(2);
      expect(error.stderr).toMatch(new RegExp(`^${ESC}\\[31merror:${ESC}\\[39m `));
      const auth = await run(['token', '--account', 'nobody@example.com'], env);
      expect(auth.exitCode).toBe(4);
      expect(auth.stderr).toMatch(new RegExp(`^${ESC}\\[31merror:`));
    }
  });

  it('FORCE_COLOR=1 never puts escape codes into machine formats on stdout', async () => {
    for (const format of ['tsv', 'ids', 'json', 'ndjson']) {
      const result = await run(['list', '--format', format], { FORCE_COLOR: '1' });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout, format).not.toContain(ESC);
    }
    const token = await run(['token'], { FORCE_COLOR: '1' });
    expect(token.stdout).not.toContain(ESC);
  });

  it('--quiet drops "Logged out of …" but keeps the revoke warning', async () => {
    const s = await createSandbox(emulator, { runner: 'in-process' });
    try {
      expect((await s.login(['--account', 'grace@example.com'])).exitCode).toBe(0);
      const loud = await s.run(['logout']);
      expect(loud.exitCode, loud.stderr).toBe(0);
      expect(loud.stderr).toMatch(/^Logged out of grace@example\.com$/m);

      expect((await s.login(['--account', 'grace@example.com'])).exitCode).toBe(0);
      const quiet = await s.run(['--quiet', 'logout']);
      expect(quiet.exitCode, quiet.stderr).toBe(0);
      expect(quiet.stderr).toBe('');

      expect((await s.login(['--account', 'grace@example.com'])).exitCode).toBe(0);
      emulator.enqueue('/revoke', faults.serverError(503), 10);
      try {
        const warned = await s.run(['--quiet', 'logout']);
        expect(warned.exitCode, warned.stderr).toBe(0);
        expect(warned.stderr).toMatch(/^warning: /m);
        expect(warned.stderr).not.toMatch(/Logged out of/);
      } finally {
        emulator.clearFaults();
      }
    } finally {
      await s.cleanup();
    }
  });

  it('--quiet keeps errors and their hint', async () => {
    const result = await run(['--quiet', 'token', '--account', 'nobody@example.com']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/^error: .*nobody@example\.com/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  // "Logged in as <address>" is information, like logout's "Logged out of <address>": --quiet
  // drops it. The consent URL and the paste instructions stay (they are the way forward).
  it('--quiet login prints nothing after success (no "Logged in as …")', async () => {
    const s = await createSandbox(emulator, { runner: 'in-process' });
    try {
      const result = await s.login(['--account', 'grace@example.com', '--quiet']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).not.toMatch(/Logged in as/);
    } finally {
      await s.cleanup();
    }
  });

  describe('every error is one `error:` line plus at most one hint line, and no stack trace', () => {
    const cases: Array<[string, string[], (s: Sandbox) => Promise<Record<string, string | undefined>>, number]> = [
      ['an unknown command', ['frobnicate'], async () => ({}), 2],
      ['an unknown flag', ['list', '--frobnicate'], async () => ({}), 2],
      ['a bad flag value', ['list', '--max', 'lots'], async () => ({}), 2],
      ['no stored login for the account', ['list', '--account', 'nobody@example.com'], async () => ({}), 4],
      ['no login at all', ['token'], async (s) => ({ GMAILCTL_CONFIG_DIR: path.join(s.dir, 'empty') }), 4],
      ['a missing client file', ['list'], async (s) => ({ GMAILCTL_CREDENTIALS: path.join(s.dir, 'missing.json') }), 1],
      [
        'a corrupt config.json',
        ['list'],
        async (s) => {
          const dir = path.join(s.dir, 'corrupt');
          await mkdir(dir, { recursive: true, mode: 0o700 });
          await writeFile(path.join(dir, 'config.json'), '{not json');
          return { GMAILCTL_CONFIG_DIR: dir };
        },
        1,
      ],
      ['a bad GMAILCTL_TOKEN_STORE', ['list'], async () => ({ GMAILCTL_TOKEN_STORE: 'floppy' }), 2],
      [
        'an unreachable keychain (login probes it before the browser)',
        ['login', '--no-browser', '--timeout', '5'],
        async (s) => ({ GMAILCTL_TOKEN_STORE: 'keychain', DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(s.dir, 'no-bus')}`, GMAILCTL_KEYCHAIN_TIMEOUT_MS: '2000' }),
        1,
      ],
      ['GMAILCTL_REFRESH_TOKEN alone', ['list'], async () => ({ GMAILCTL_REFRESH_TOKEN: '1//not-a-real-token' }), 1],
      ['logout of an account that is not stored', ['logout', '--account', 'nobody@example.com'], async () => ({}), 4],
    ];
    it.each(cases)('%s', async (_, args, envFor, expectedExit) => {
      const env = await envFor(sandbox);
      for (const debug of [false, true]) {
        const result = await run(debug ? ['--debug', ...args] : args, { NO_COLOR: '1', ...env });
        expect(result.exitCode, result.stderr).toBe(expectedExit);
        const lines = result.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('debug:'));
        expect(lines.filter((line) => line.startsWith('error:')), result.stderr).toHaveLength(1);
        expect(lines[0], result.stderr).toMatch(/^error: \S/);
        expect(lines.length, result.stderr).toBeLessThanOrEqual(2);
        expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      }
    });

    it('a Gmail API failure after the retries', async () => {
      emulator.enqueue({ path: /\/gmail\/v1\/users\/me\/messages$/ }, faults.serverError(500), 20);
      try {
        const result = await run(['list'], { NO_COLOR: '1' });
        expect(result.exitCode).toBe(1);
        const lines = result.stderr.split('\n').filter(Boolean);
        expect(lines.filter((line) => line.startsWith('error:'))).toHaveLength(1);
        expect(lines.length, result.stderr).toBeLessThanOrEqual(2);
      } finally {
        emulator.clearFaults();
      }
    });
  });
});
