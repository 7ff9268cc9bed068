/**
 * The local message cache and `--since-last`, end to end: the program (in-process, with
 * fake streams; built CLI processes where processes matter: two at once, SIGINT, kill -9) against the
 * emulator, whose mailbox the tests change between runs (labels, new and deleted mail,
 * expired history) the way a mail client and Gmail would.
 */
import { chmod, lstat, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { faults, startEmulator, type Emulator } from '../emulator/index.js';
import { startCli, type BackgroundRun } from '../helpers/background.js';
import { createSandbox, runCli, type Sandbox } from '../helpers/sandbox.js';

const ACCOUNT = 'ada@example.com';
const LIST_PATH = '/gmail/v1/users/me/messages';
const HISTORY_PATH = '/gmail/v1/users/me/history';
/** NDJSON shows every field, labels included. */
const QUERY = ['-q', 'label:INBOX', '--format', 'ndjson'];
const TSV = ['-q', 'label:INBOX', '--format', 'tsv'];
const IDS = ['-q', 'label:INBOX', '--format', 'ids'];
const FORMATS = ['tsv', 'json', 'ndjson', 'table', 'ids'] as const;

/** Each test runs the CLI a handful of times: generous on a machine shared with other work. */
const RUNS_TIMEOUT = 240_000;

let emulator: Emulator;
let s: Sandbox;

const gets = () => emulator.requests.filter((r) => r.path.startsWith(`${LIST_PATH}/`) || r.path.startsWith('/batch/')).length;
/** The messages whose metadata was fetched (the emulator records each batch part as a request). */
const fetchedIds = (): string[] => emulator.requests.filter((r) => r.path.startsWith(`${LIST_PATH}/`)).map((r) => r.path.slice(LIST_PATH.length + 1));
const historyCalls = () => emulator.requests.filter((r) => r.path === HISTORY_PATH);
const listCalls = () => emulator.requests.filter((r) => r.path === LIST_PATH);
const cacheDir = () => path.join(s.dir, 'cache');
const cacheFile = () => path.join(cacheDir(), `${encodeURIComponent(ACCOUNT)}.cache.sqlite`);

/** What an uncached run prints: the reference every cached run must equal byte for byte. */
async function uncached(args: string[]): Promise<string> {
  const result = await s.run(['list', '--no-cache', ...args], { env: { COLUMNS: '120' } });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

async function cached(args: string[], env: Record<string, string | undefined> = {}) {
  return s.run(['list', ...args], { env: { COLUMNS: '120', ...env } });
}

/** The same as a process of its own, for what only processes show (two at once share nothing but the file). */
async function cachedProcess(args: string[]) {
  return runCli(['list', ...args], { env: { ...s.env, COLUMNS: '120' } });
}

/**
 * Resolves once the emulator has received a new request to `path` (the one a delay fault
 * holds): a signal sent then lands in the middle of that call, however long the CLI took to
 * start (seconds on a loaded machine; a fixed sleep sent it before the CLI had a handler).
 */
async function untilRequested(path: string, run: BackgroundRun, timeoutMs = 60_000): Promise<void> {
  // As a fault matches: by prefix (each part of a batch is recorded too).
  const count = () => emulator.requests.filter((r) => r.path.startsWith(path)).length;
  const seen = count();
  const deadline = Date.now() + timeoutMs;
  while (count() === seen) {
    if (run.child.exitCode !== null) throw new Error(`the CLI exited before it called ${path}:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`the CLI did not call ${path} within ${timeoutMs} ms:\n${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function inboxIds(count: number): string[] {
  return emulator
    .mailbox(ACCOUNT)
    .filter((m) => m.labelIds.includes('INBOX'))
    .slice(0, count)
    .map((m) => m.id);
}

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 300, seed: 11 });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  s = await createSandbox(emulator, { cache: true, runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  emulator.clearRequests();
}, RUNS_TIMEOUT);
afterEach(async () => {
  emulator.clearFaults();
  await s.cleanup();
});

describe('a repeated list', { timeout: RUNS_TIMEOUT }, () => {
  it.each(FORMATS)('prints byte for byte what an uncached run prints (--format %s), and the second run fetches no metadata', async (format) => {
    {
      const args = ['-q', 'label:INBOX', '--format', format];
      const reference = await uncached(args);
      const first = await cached(args);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(first.stdout, format).toBe(reference);
      emulator.clearRequests();
      const second = await cached(args);
      expect(second.exitCode, second.stderr).toBe(0);
      expect(second.stdout, format).toBe(reference);
      expect(second.stderr).toBe(format === 'table' && reference === '' ? 'No messages match.\n' : '');
      expect(gets(), format).toBe(0);
      // ids need no metadata, so they need no sync either.
      expect(historyCalls().length, format).toBe(format === 'ids' ? 0 : 1);
    }
  });

  it('reflects label changes, new mail and deleted mail since the last run, fetching only the new messages', async () => {
    const args = QUERY;
    await cached(args);
    const changed = inboxIds(40).slice(10, 30);
    emulator.changeLabels(changed.slice(0, 10), { add: ['STARRED', 'Label_2'], remove: ['UNREAD'] });
    emulator.changeLabels(changed.slice(10), { add: ['UNREAD'], remove: ['IMPORTANT'] });
    const added = emulator.addMessages(5).map((m) => m.id);
    emulator.addMessages(2, { labelIds: ['SENT'] });
    const deleted = inboxIds(60).slice(50, 53);
    emulator.deleteMessages(deleted);
    // Archived: no longer in the listing at all.
    emulator.changeLabels([inboxIds(70)[65]!], { remove: ['INBOX'] });
    emulator.clearRequests();

    const run = await cached(args);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(fetchedIds().sort()).toEqual([...added].sort());
    expect(run.stdout).toBe(await uncached(args));
    const starred = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: string; labelIds: string[] });
    // By id: a deleted message's id may still be the threadId of a reply that is listed.
    for (const id of deleted) expect(starred.map((m) => m.id)).not.toContain(id);
    expect(starred.find((m) => m.id === changed[0])?.labelIds).toContain('STARRED');
  });

  it('pages through a long history', async () => {
    await cached(QUERY);
    emulator.changeLabels(inboxIds(200), { add: ['STARRED'] });
    emulator.changeLabels(inboxIds(200).slice(0, 150), { remove: ['STARRED'] });
    emulator.clearRequests();
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(historyCalls().length).toBe(1);
    expect(historyCalls()[0]!.query.getAll('historyTypes').sort()).toEqual(['labelAdded', 'labelRemoved', 'messageDeleted']);
    expect(run.stdout).toBe(await uncached(QUERY));
    emulator.changeLabels(inboxIds(200), { add: ['Label_3'] });
    emulator.changeLabels(inboxIds(200), { remove: ['Label_3'] });
    emulator.changeLabels(inboxIds(200), { add: ['Label_3'] });
    emulator.clearRequests();
    const again = await cached(QUERY);
    expect(historyCalls().length).toBe(2); // 600 records, 500 a page
    expect(again.stdout).toBe(await uncached(QUERY));
  });

  it('recovers when Gmail no longer has the history since the last run: the cache is dropped, never shown stale', async () => {
    await cached(QUERY);
    emulator.changeLabels(inboxIds(5), { add: ['Label_1'], remove: ['UNREAD'] });
    emulator.expireHistory();
    emulator.clearRequests();
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/no longer has the mailbox history/);
    expect(run.stdout).toBe(await uncached(QUERY));
    emulator.clearRequests();
    const next = await cached(QUERY);
    expect(next.stderr).toBe('');
    expect(gets()).toBe(0);
  });

  it('is turned off by --no-cache, GMAILCTL_NO_CACHE=1 and "cache": false in config.json', async () => {
    await cached(QUERY);
    const expectUncached = async (args: string[], env: Record<string, string> = {}) => {
      emulator.clearRequests();
      const run = await cached([...QUERY, ...args], env);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(historyCalls()).toHaveLength(0);
      expect(gets()).toBeGreaterThan(0);
    };
    await expectUncached(['--no-cache']);
    await expectUncached([], { GMAILCTL_NO_CACHE: '1' });
    const config = path.join(s.configDir, 'config.json');
    await writeFile(config, JSON.stringify({ ...JSON.parse(await readFile(config, 'utf8')), cache: false }));
    await expectUncached([]);
    // A login keeps the setting.
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({ cache: false });
  });
});

/** The code cache's subdirectory (src/basics/cache-dir.ts): start-up's, not the message cache's. */
const CODE_CACHE = 'code-cache';
/** Everything in the cache directory but the code cache. */
async function messageCacheFiles(): Promise<string[]> {
  return (await readdir(cacheDir())).filter((name) => name !== CODE_CACHE);
}

describe('where and how it is stored', { timeout: RUNS_TIMEOUT }, () => {
  it('keeps one file per account, 0600 in a 0700 directory', async () => {
    await cached(QUERY);
    expect((await stat(cacheDir())).mode & 0o777).toBe(0o700);
    // The V8 code cache (issue 15) has its own 0700 subdirectory beside the message cache.
    for (const name of await readdir(cacheDir())) {
      const entry = await lstat(path.join(cacheDir(), name));
      expect(entry.mode & 0o777, name).toBe(name === CODE_CACHE && entry.isDirectory() ? 0o700 : 0o600);
    }
    expect(await readdir(cacheDir())).toContain(path.basename(cacheFile()));
  });

  it('lives in $XDG_CACHE_HOME/gmailctl, and a relative XDG_CACHE_HOME is ignored', async () => {
    const env = { GMAILCTL_CACHE_DIR: undefined, XDG_CACHE_HOME: path.join(s.dir, 'xdg') };
    expect((await cached(QUERY, env)).exitCode).toBe(0);
    expect(await readdir(path.join(s.dir, 'xdg', 'gmailctl'))).toContain(path.basename(cacheFile()));
    expect((await cached(QUERY, { ...env, XDG_CACHE_HOME: 'relative/cache' })).exitCode).toBe(0);
    expect(await readdir(path.join(s.dir, '.cache', 'gmailctl'))).toContain(path.basename(cacheFile()));
  });

  it('is not used when its directory is open to other users, with a warning that says how to fix it', async () => {
    await cached(QUERY);
    await chmod(cacheDir(), 0o755);
    emulator.clearRequests();
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Not using the message cache: .*open to other users.*chmod 700/);
    expect(gets()).toBeGreaterThan(0);
    expect(run.stdout).toBe(await uncached(QUERY));
  });

  it('status shows its size and last sync; cache clear empties it; logout deletes it', async () => {
    await cached(QUERY);
    const status = await s.run(['status', '--json']);
    const report = JSON.parse(status.stdout) as { accounts: Array<{ account: string; cache?: { messages: number; bytes: number; lastSync?: string } }> };
    const entry = report.accounts.find((a) => a.account === ACCOUNT)!;
    expect(entry.cache?.messages).toBeGreaterThan(0);
    expect(entry.cache?.bytes).toBeGreaterThan(0);
    expect(Date.parse(entry.cache!.lastSync!)).toBeGreaterThan(Date.now() - 60_000);
    expect((await s.run(['status'])).stdout).toMatch(/cache: \d+ messages, [\d.]+ (kB|MB), synced/);

    const clear = await s.run(['cache', 'clear']);
    expect(clear.exitCode, clear.stderr).toBe(0);
    expect(clear.stderr).toMatch(/Cleared the cache of ada@example\.com/);
    emulator.clearRequests();
    await cached(QUERY);
    expect(gets()).toBeGreaterThan(0);

    expect((await s.run(['cache', 'clear', '--all'])).exitCode).toBe(0);
    expect(await messageCacheFiles()).toEqual([]);

    await cached(QUERY);
    const logout = await s.run(['logout']);
    expect(logout.exitCode, logout.stderr).toBe(0);
    expect(await messageCacheFiles()).toEqual([]);
  });
});

describe('--since-last NAME', { timeout: RUNS_TIMEOUT }, () => {
  const newMail = async (count: number, labelIds?: string[]) => emulator.addMessages(count, labelIds ? { labelIds } : {}).map((m) => m.id);
  const ids = (text: string) => text.split('\n').filter(Boolean).map((line) => line.split('\t')[0]);

  it('lists everything on its first run, then exactly the new matches, and nothing when nothing arrived', async () => {
    const first = await cached([...TSV, '--since-last', 'notifier']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toBe(await uncached(TSV));

    emulator.clearRequests();
    const quiet = await cached([...TSV, '--since-last', 'notifier']);
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(listCalls()).toHaveLength(0);

    const inbox = await newMail(3);
    await newMail(2, ['SENT']);
    const run = await cached([...TSV, '--since-last', 'notifier']);
    expect(ids(run.stdout)).toEqual([...inbox].reverse());
    expect(ids((await cached([...TSV, '--since-last', 'notifier'])).stdout)).toEqual([]);
    // Another name has its own cursor.
    expect(ids((await cached([...IDS, '--since-last', 'other'])).stdout).length).toBeGreaterThan(100);
  });

  it('does not advance after a failed run or an interrupted one', async () => {
    await cached([...IDS, '--since-last', 'job']);
    const inbox = await newMail(2);
    emulator.enqueue({ path: LIST_PATH }, faults.serverError(400), 1);
    const failed = await cached([...IDS, '--since-last', 'job']);
    expect(failed.exitCode).toBe(1);

    // Ctrl-C while each call is in flight: the cache's history read, then the listing.
    for (const path of [HISTORY_PATH, LIST_PATH]) {
      emulator.enqueue({ path }, { type: 'delay', ms: 20_000 }, 1);
      const interrupted = startCli(['list', ...IDS, '--since-last', 'job'], s.env);
      await untilRequested(path, interrupted);
      interrupted.child.kill('SIGINT');
      const result = await interrupted.child;
      expect(result.exitCode, `Ctrl-C during ${path}: ${result.stderr}`).toBe(130);
    }

    const run = await cached([...IDS, '--since-last', 'job']);
    expect(ids(run.stdout)).toEqual([...inbox].reverse());
  });

  it('lists every match again, with a warning, when Gmail no longer has the history since that run', async () => {
    await cached([...IDS, '--since-last', 'job']);
    emulator.changeLabels(inboxIds(1), { add: ['STARRED'] });
    emulator.expireHistory();
    const run = await cached([...IDS, '--since-last', 'job']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/--since-last job: Gmail no longer has the history/);
    expect(run.stdout).toBe(await uncached(IDS));
  });

  it('refuses a name that is not a plain word (exit 2)', async () => {
    const run = await cached([...TSV, '--since-last', '../x']);
    expect(run.exitCode).toBe(2);
  });
});

describe('faults', { timeout: RUNS_TIMEOUT }, () => {
  it('two processes at once both print the right rows, and leave a cache that later runs trust', async () => {
    const reference = await uncached(QUERY);
    emulator.changeLabels(inboxIds(3), { add: ['STARRED'] });
    const [a, b] = await Promise.all([cachedProcess(QUERY), cachedProcess(QUERY)]);
    const now = await uncached(QUERY);
    expect(a.stdout).toBe(now);
    expect(b.stdout).toBe(now);
    expect(reference).not.toBe(now);
    emulator.changeLabels(inboxIds(6), { add: ['Label_1'] });
    const [c, d] = await Promise.all([cachedProcess(QUERY), cachedProcess(QUERY)]);
    const later = await uncached(QUERY);
    expect([c.stdout, d.stdout]).toEqual([later, later]);
    expect((await cached(QUERY)).stdout).toBe(later);
  });

  it('a kill -9 in the middle of a run leaves a cache whose next run is still right', async () => {
    await cached(QUERY);
    emulator.changeLabels(inboxIds(20), { add: ['STARRED'] });
    emulator.addMessages(30);
    emulator.enqueue({ path: '/batch/' }, { type: 'delay', ms: 20_000 }, 1);
    const run = startCli(['list', ...QUERY], s.env);
    await untilRequested('/batch/', run);
    run.child.kill('SIGKILL');
    await run.child;
    emulator.clearFaults();
    const next = await cached(QUERY);
    expect(next.exitCode, next.stderr).toBe(0);
    expect(next.stdout).toBe(await uncached(QUERY));
  });

  it.each([
    ['garbage', async (file: string) => writeFile(file, 'this is not a database at all'.repeat(500))],
    ['truncated', async (file: string) => truncate(file, Math.floor((await stat(file)).size / 3))],
  ])('a %s cache file is rebuilt with a warning, and no wrong row is printed', async (_what, damage) => {
    const reference = await uncached(QUERY);
    await cached(QUERY);
    await damage(cacheFile());
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe(reference);
    expect(run.stderr).toMatch(/cache/);
    const next = await cached(QUERY);
    expect(next.stdout).toBe(reference);
  });

  it('a row changed behind its back fails its checksum: the run fetches instead, warns, and the next run rebuilds', async () => {
    const reference = await uncached(QUERY);
    await cached(QUERY);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(cacheFile());
    db.prepare("UPDATE messages SET label_ids = '[\"TRASH\"]' WHERE id = ?").run(inboxIds(1)[0]);
    db.close();
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe(reference);
    expect(run.stderr).toMatch(/checksum/);
    expect((await cached(QUERY)).stdout).toBe(reference);
  });

  it('a cache written by a newer gmailctl is rebuilt with a warning', async () => {
    const reference = await uncached(QUERY);
    await cached(QUERY);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(cacheFile());
    db.pragma('user_version = 99');
    db.close();
    const run = await cached(QUERY);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/written by a newer gmailctl; it was deleted and is rebuilt/);
    expect(run.stdout).toBe(reference);
  });
});
