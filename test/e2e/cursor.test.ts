/**
 * `list --since-last NAME`, the cursor that never loses a message, and `gmailctl cursor`:
 * the program (in-process, with fake streams) against the emulator, whose mailbox the tests
 * change between runs the way new mail arrives.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { faults, startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { failSqliteWrites } from '../helpers/sqlite-faults.js';

const ACCOUNT = 'ada@example.com';
const LIST_PATH = '/gmail/v1/users/me/messages';
const HISTORY_PATH = '/gmail/v1/users/me/history';
const UNREAD_TSV = ['-q', 'is:unread', '--format', 'tsv'];
const UNREAD_IDS = ['-q', 'is:unread', '--format', 'ids'];
const RUNS_TIMEOUT = 240_000;

let emulator: Emulator;
let s: Sandbox;

const historyCalls = () => emulator.requests.filter((r) => r.path === HISTORY_PATH);
const listCalls = () => emulator.requests.filter((r) => r.path === LIST_PATH);
const ids = (text: string) => text.split('\n').filter(Boolean).map((line) => line.split('\t')[0]!);
const unreadNow = () => emulator.mailbox(ACCOUNT).filter((m) => m.labelIds.includes('UNREAD') && !m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH')).map((m) => m.id);

async function list(args: string[], env: Record<string, string | undefined> = {}) {
  return s.run(['list', ...args], { env: { COLUMNS: '120', ...env } });
}

async function cursor(args: string[]) {
  return s.run(['cursor', ...args]);
}

/** A --since-last run that must succeed; answers the ids it printed. */
async function printed(args: string[]): Promise<string[]> {
  const run = await list(args);
  expect(run.exitCode, run.stderr).toBe(0);
  return ids(run.stdout);
}

beforeAll(async () => {
  // About 800 unread among 3,000 messages: a walk through every match is many list calls.
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 3000, seed: 5 });
}, RUNS_TIMEOUT);
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

describe('-n N with --since-last: the cursor advances only past what was printed', { timeout: RUNS_TIMEOUT }, () => {
  it('three new unread, -n 1 prints one; the next run prints the other two; then none', async () => {
    await printed([...UNREAD_IDS, '--since-last', 'c']);
    const added = emulator.addMessages(3).map((m) => m.id);
    const first = await printed([...UNREAD_TSV, '--since-last', 'c', '-n', '1']);
    expect(first).toHaveLength(1);
    const rest = await printed([...UNREAD_TSV, '--since-last', 'c']);
    expect([...first, ...rest].sort()).toEqual([...added].sort());
    expect(await printed([...UNREAD_TSV, '--since-last', 'c'])).toEqual([]);
  });

  it('on the first run too: -n 2 prints two matches, the next run every other match, each once', async () => {
    const all = unreadNow();
    const first = await printed([...UNREAD_IDS, '--since-last', 'fresh', '-n', '2']);
    expect(first).toHaveLength(2);
    const rest = await printed([...UNREAD_IDS, '--since-last', 'fresh']);
    expect(rest).toHaveLength(all.length - 2);
    expect([...first, ...rest].sort()).toEqual([...all].sort());
  });
});

describe('--no-commit and gmailctl cursor', { timeout: RUNS_TIMEOUT }, () => {
  it('a --no-commit run prints as usual and leaves the cursor; cursor commit advances it to where that run got', async () => {
    await printed([...UNREAD_IDS, '--since-last', 'n']);
    const added = emulator.addMessages(5).map((m) => m.id);
    const uncommitted = await printed([...UNREAD_TSV, '--since-last', 'n', '--no-commit']);
    expect(uncommitted.sort()).toEqual([...added].sort());
    // Nothing was committed: the same messages again (the consumer failed, say).
    expect((await printed([...UNREAD_TSV, '--since-last', 'n', '--no-commit'])).sort()).toEqual([...added].sort());
    const later = emulator.addMessages(1).map((m) => m.id);
    const commit = await cursor(['commit', 'n']);
    expect(commit.exitCode, commit.stderr).toBe(0);
    // Committed up to where the last --no-commit run got: only what came after.
    expect(await printed([...UNREAD_TSV, '--since-last', 'n'])).toEqual(later);
    expect(await printed([...UNREAD_TSV, '--since-last', 'n'])).toEqual([]);
  });

  it('cursor commit with no --no-commit run pending is exit 1, and a committing run leaves nothing pending', async () => {
    const none = await cursor(['commit', 'nosuch']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toMatch(/nosuch/);
    await printed([...UNREAD_IDS, '--since-last', 'n']);
    const again = await cursor(['commit', 'n']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/--no-commit/);
  });

  it('a --no-commit run that fails leaves no commit pending: the messages come again', async () => {
    await printed([...UNREAD_IDS, '--since-last', 'n']);
    const added = emulator.addMessages(2).map((m) => m.id);
    await printed([...UNREAD_TSV, '--since-last', 'n', '--no-commit']);
    emulator.enqueue({ path: HISTORY_PATH }, faults.serverError(400), 1);
    const failed = await list([...UNREAD_TSV, '--since-last', 'n', '--no-commit']);
    expect(failed.exitCode).toBe(1);
    // The consumer of the failed run got nothing; committing now would skip what the first run printed.
    expect((await cursor(['commit', 'n'])).exitCode).toBe(1);
    expect((await printed([...UNREAD_TSV, '--since-last', 'n'])).sort()).toEqual([...added].sort());
  });

  it('cursor list shows each cursor: name, account, when it last advanced, whether a commit is pending', async () => {
    const empty = await cursor(['list', '--json']);
    expect(empty.exitCode, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    const before = Date.now();
    await printed([...UNREAD_IDS, '--since-last', 'alpha']);
    await printed([...UNREAD_IDS, '--since-last', 'beta', '--no-commit']);
    const run = await cursor(['list', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    const cursors = JSON.parse(run.stdout) as Array<{ name: string; account: string; advancedAt: string | null; pending: boolean }>;
    expect(cursors).toEqual([
      { name: 'alpha', account: ACCOUNT, advancedAt: expect.any(String), pending: false },
      { name: 'beta', account: ACCOUNT, advancedAt: null, pending: true },
    ]);
    expect(Date.parse(cursors[0]!.advancedAt!)).toBeGreaterThanOrEqual(before - 1000);
    const text = await cursor(['list']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^alpha\t/m);
    expect(text.stdout).toMatch(/^beta\t.*pending/m);
  });

  it('cursor delete: the next run prints every match', async () => {
    await printed([...UNREAD_IDS, '--since-last', 'gone']);
    expect(await printed([...UNREAD_IDS, '--since-last', 'gone'])).toEqual([]);
    const deleted = await cursor(['delete', 'gone']);
    expect(deleted.exitCode, deleted.stderr).toBe(0);
    expect((await printed([...UNREAD_IDS, '--since-last', 'gone'])).sort()).toEqual(unreadNow().sort());
    const again = await cursor(['delete', 'gone-too']);
    expect(again.exitCode).toBe(1);
  });
});

describe('a cursor that cannot be saved: printed, then exit 1 saying why; the next run prints them again', { timeout: RUNS_TIMEOUT }, () => {
  it('a full disk when the cursor is written (SQLite answers SQLITE_FULL)', async () => {
    await printed([...UNREAD_IDS, '--since-last', 'full']);
    const added = emulator.addMessages(2).map((m) => m.id);
    const restore = failSqliteWrites(/cursors/i);
    let run;
    try {
      run = await list([...UNREAD_TSV, '--since-last', 'full']);
    } finally {
      restore();
    }
    expect(ids(run.stdout).sort()).toEqual([...added].sort());
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/--since-last full.*could not be saved/);
    expect(run.stderr).toMatch(/disk is full/);
    expect((await printed([...UNREAD_TSV, '--since-last', 'full'])).sort()).toEqual([...added].sort());
  });

  it('a cache directory that cannot be created', async () => {
    const blocker = path.join(s.dir, 'not-a-dir');
    await writeFile(blocker, 'a file where the cache directory should be');
    const env = { GMAILCTL_CACHE_DIR: path.join(blocker, 'cache') };
    const run = await list([...UNREAD_IDS, '--since-last', 'ro'], env);
    expect(ids(run.stdout).sort()).toEqual(unreadNow().sort());
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/--since-last ro.*could not be saved/);
    const again = await list([...UNREAD_IDS, '--since-last', 'ro'], env);
    expect(ids(again.stdout).sort()).toEqual(unreadNow().sort());
    expect(again.exitCode).toBe(1);
  });
});

describe('cost in proportion to new mail', { timeout: RUNS_TIMEOUT }, () => {
  it('no new mail: one users.history.list call and no messages.list (tsv, with the message cache)', async () => {
    await printed([...UNREAD_TSV, '--since-last', 'quiet']);
    emulator.clearRequests();
    expect(await printed([...UNREAD_TSV, '--since-last', 'quiet'])).toEqual([]);
    expect(historyCalls()).toHaveLength(1);
    expect(listCalls()).toHaveLength(0);
  });

  it.each([
    ['sent mail', { labelIds: ['SENT'] }],
    ['spam', { labelIds: ['SPAM', 'UNREAD'] }],
    ['trash', { labelIds: ['TRASH', 'UNREAD'] }],
    ['a read message', { labelIds: ['INBOX'] }],
  ])('one new message that cannot match (%s) sends no listing', async (_what, options) => {
    await printed([...UNREAD_TSV, '--since-last', 'cheap']);
    emulator.addMessages(1, options);
    emulator.clearRequests();
    expect(await printed([...UNREAD_TSV, '--since-last', 'cheap'])).toEqual([]);
    expect(listCalls()).toHaveLength(0);
    expect(historyCalls()).toHaveLength(1);
  });

  it('one new unread message that does not match the query: at most one messages.list', async () => {
    const query = ['-q', 'is:unread -subject:"Quarterly lunch"', '--format', 'tsv'];
    await printed([...query, '--since-last', 'cheap']);
    emulator.addMessages(1, { subject: 'Quarterly lunch' });
    emulator.clearRequests();
    expect(await printed([...query, '--since-last', 'cheap'])).toEqual([]);
    expect(listCalls().length).toBeLessThanOrEqual(1);
  });

  it('new mail among 800 matches: one short listing, bounded by time, in every format', async () => {
    for (const format of ['ids', 'tsv']) {
      const args = ['-q', 'is:unread', '--format', format, '--since-last', `bounded-${format}`];
      await printed(args);
      const added = emulator.addMessages(3).map((m) => m.id);
      emulator.addMessages(1, { labelIds: ['INBOX'] });
      emulator.clearRequests();
      expect((await printed(args)).sort()).toEqual([...added].sort());
      expect(listCalls(), format).toHaveLength(1);
      expect(listCalls()[0]!.query.get('q'), format).toMatch(/after:\d{10}/);
    }
  });

  it('a new message that matches but carries an old date (imported mail) is printed, without a walk through every match', async () => {
    await printed([...UNREAD_TSV, '--since-last', 'import']);
    const middle = emulator.mailbox(ACCOUNT)[1500]!.internalDate;
    const [imported] = emulator.addMessages(1, { internalDate: middle + 500 });
    emulator.clearRequests();
    expect(await printed([...UNREAD_TSV, '--since-last', 'import'])).toEqual([imported!.id]);
    expect(listCalls().length).toBeLessThanOrEqual(2);
    expect(await printed([...UNREAD_TSV, '--since-last', 'import'])).toEqual([]);
  });

  it('a new message read (or deleted) before the run does not send it paging', async () => {
    await printed([...UNREAD_TSV, '--since-last', 'changed']);
    const [read, deleted] = emulator.addMessages(2).map((m) => m.id);
    emulator.changeLabels([read!], { remove: ['UNREAD'] });
    emulator.deleteMessages([deleted!]);
    emulator.clearRequests();
    expect(await printed([...UNREAD_TSV, '--since-last', 'changed'])).toEqual([]);
    expect(listCalls()).toHaveLength(0);
  });
});
