/**
 * `gmailctl list --threads` end to end (the built CLI against the emulator): a row per
 * conversation in every format — the newest message's date and sender, the message count,
 * the first message's subject, the labels of all its messages — checked against what `list`
 * prints for the same messages; the filters sent to users.threads.list; the cost (ids: list
 * calls only; a repeat with nothing changed: list calls only; a conversation that changed:
 * that one read again); the cache's schema migration; and the refusals.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATION_SUBJECT, startEmulator, type Emulator } from '../emulator/index.js';
import { startCli } from '../helpers/background.js';
import { CLI, createSandbox, type Sandbox } from '../helpers/sandbox.js';
import { cacheFile as cacheFileOf } from '../../src/cache/paths.js';
import type { MessageSummary } from '../../src/gmail/message.js';
import type { ThreadSummary } from '../../src/output/objects.js';

const ACCOUNT = 'ada@example.com';
const THREADS_PATH = '/gmail/v1/users/me/threads';
let emulator: Emulator;
/** No cache: every run reads what it shows. */
let s: Sandbox;
/** Every message as `list --json --include-spam-trash` prints it, by id: the reference for the thread rows. */
let messages: Map<string, MessageSummary>;

const listCalls = () => emulator.requests.filter((r) => r.path === THREADS_PATH);
/** Each threads.get, batched or not: the thread's id. */
const threadGets = () => emulator.requests.filter((r) => r.path.startsWith(`${THREADS_PATH}/`)).map((r) => r.path.slice(THREADS_PATH.length + 1));
const otherGmailCalls = () => emulator.requests.filter((r) => r.path.startsWith('/gmail/') && !r.path.startsWith(THREADS_PATH));

/** What Gmail holds: each thread's messages, oldest first. */
function threadsOfMailbox(): Map<string, MessageSummary[]> {
  const threads = new Map<string, MessageSummary[]>();
  for (const m of [...emulator.mailbox()].reverse()) threads.set(m.threadId, [...(threads.get(m.threadId) ?? []), messages.get(m.id)!]);
  return threads;
}

/** The conversation as list --threads must show it, from list's own objects for its messages. */
function expectedSummary(id: string): Omit<ThreadSummary, 'historyId' | 'snippet'> {
  const all = threadsOfMailbox().get(id)!;
  const newest = all.at(-1)!;
  return { id, messageCount: all.length, date: newest.date, from: newest.from, subject: all[0]!.subject, labelIds: [...new Set(all.flatMap((m) => m.labelIds))] };
}

/** The threads with a message outside SPAM and TRASH, by their newest such message: the order of users.threads.list. */
function visibleThreadIds(filter: (labels: readonly string[]) => boolean = () => true): string[] {
  const ids: string[] = [];
  for (const m of emulator.mailbox()) {
    if (m.labelIds.includes('SPAM') || m.labelIds.includes('TRASH') || !filter(m.labelIds)) continue;
    if (!ids.includes(m.threadId)) ids.push(m.threadId);
  }
  return ids;
}

async function threadsJson(sandbox: Sandbox, args: string[] = []): Promise<ThreadSummary[]> {
  const result = await sandbox.run(['list', '--threads', '--json', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ThreadSummary[];
}

beforeAll(async () => {
  emulator = await startEmulator({ accounts: [ACCOUNT], messages: 200, seed: 23 });
  s = await createSandbox(emulator);
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  const listed = await s.run(['list', '--json', '--include-spam-trash']);
  expect(listed.exitCode, listed.stderr).toBe(0);
  messages = new Map((JSON.parse(listed.stdout) as MessageSummary[]).map((m) => [m.id, m]));
}, 60_000);
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});
afterEach(() => {
  emulator.clearRequests();
  emulator.clearFaults();
});

describe('list --threads: what it prints', () => {
  it('json: a thread object per conversation, in threads.list order: newest date and sender, message count, first subject, every label', async () => {
    const threads = await threadsJson(s);
    expect(threads.map((t) => t.id)).toEqual(visibleThreadIds());
    for (const thread of threads) {
      expect(Object.keys(thread)).toEqual(['id', 'historyId', 'messageCount', 'date', 'from', 'subject', 'snippet', 'labelIds']);
      expect({ ...thread, labelIds: [...thread.labelIds].sort() }).toMatchObject({ ...expectedSummary(thread.id), labelIds: [...expectedSummary(thread.id).labelIds].sort() });
      expect(thread.historyId).toMatch(/^\d+$/);
      expect(thread.snippet).toBe(threadsOfMailbox().get(thread.id)!.at(-1)!.snippet);
    }
    // The seeded conversation: six messages, the account's replies (SENT) among them.
    const conversation = threads.find((t) => t.subject === CONVERSATION_SUBJECT)!;
    expect(conversation.messageCount).toBe(6);
    expect(conversation.labelIds).toContain('SENT');
    expect(threads.some((t) => t.messageCount === 1)).toBe(true);
  });

  it('tsv (the default in a pipe): id, date, from, messages, subject — the json objects, a line each', async () => {
    const [tsv, threads] = await Promise.all([s.run(['list', '--threads']), threadsJson(s)]);
    expect(tsv.exitCode, tsv.stderr).toBe(0);
    expect(tsv.stderr).toBe('');
    const lines = tsv.stdout.split('\n').filter(Boolean);
    expect(lines).toEqual(threads.map((t) => [t.id, t.date, t.from, String(t.messageCount), t.subject].map((f) => f.replace(/[\t\r\n]+/g, ' ')).join('\t')));
    for (const line of lines) expect(line.split('\t')).toHaveLength(5);
  });

  it('ndjson: the same objects, one a line', async () => {
    const [ndjson, threads] = await Promise.all([s.run(['list', '--threads', '--format', 'ndjson']), threadsJson(s)]);
    expect(ndjson.exitCode, ndjson.stderr).toBe(0);
    expect(ndjson.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ThreadSummary)).toEqual(threads);
  });

  it('table in a pipe (asked for): a header with MSGS, the count right-aligned under it', async () => {
    const table = await s.run(['list', '--threads', '--format', 'table', '-n', '20'], { env: { COLUMNS: '120' } });
    expect(table.exitCode, table.stderr).toBe(0);
    const [header, ...rows] = table.stdout.split('\n').filter(Boolean);
    expect(header).toMatch(/^ID {2,}DATE {2,}FROM {2,}MSGS {2}SUBJECT$/);
    expect(rows).toHaveLength(20);
    // Where MSGS ends, in terminal columns (names in CJK take two columns a character).
    const end = header!.indexOf('MSGS') + 4;
    const upToColumn = (row: string, columns: number): string => {
      let out = '';
      for (const char of row) {
        if (stringWidth(out + char) > columns) break;
        out += char;
      }
      return out;
    };
    const threads = await threadsJson(s, ['-n', '20']);
    rows.forEach((row, i) => {
      expect(row.startsWith(threads[i]!.id)).toBe(true);
      expect(upToColumn(row, end)).toMatch(new RegExp(`  +${threads[i]!.messageCount}$`));
      expect(stringWidth(row)).toBeLessThanOrEqual(120);
    });
  });

  it('an empty result: nothing on stdout, [] in json, "No conversations match." for the table, exit 0', async () => {
    const none = ['-q', 'subject:no-such-subject-anywhere'];
    const tsv = await s.run(['list', '--threads', ...none]);
    expect([tsv.exitCode, tsv.stdout]).toEqual([0, '']);
    expect(await threadsJson(s, none)).toEqual([]);
    const table = await s.run(['list', '--threads', '--format', 'table', ...none]);
    expect([table.exitCode, table.stdout]).toEqual([0, '']);
    expect(table.stderr).toMatch(/No conversations match\./);
  });

  it('text from outside is cleaned: no control characters or bidi overrides reach the table or the TSV', async () => {
    for (const format of ['table', 'tsv']) {
      const result = await s.run(['list', '--threads', '--format', format, '--include-spam-trash']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });
});

describe('list --threads: the search and its cost', () => {
  it('ids: one thread id a line, from list calls only (500 a page), never a threads.get', async () => {
    const result = await s.run(['list', '--threads', '--format', 'ids']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(visibleThreadIds());
    expect(threadGets()).toEqual([]);
    expect(listCalls().map((r) => r.query.get('maxResults'))).toEqual(['500']);
    expect(otherGmailCalls()).toEqual([]);
  });

  it('-q, --label (by name too), --include-spam-trash and -n go to threads.list as list sends them', async () => {
    const inbox = await s.run(['list', '--threads', '--format', 'ids', '--label', 'INBOX', '-q', 'is:unread']);
    expect(inbox.exitCode, inbox.stderr).toBe(0);
    const unreadInbox = visibleThreadIds((labels) => labels.includes('INBOX') && labels.includes('UNREAD'));
    expect(unreadInbox.length).toBeGreaterThan(0);
    expect(inbox.stdout.split('\n').filter(Boolean)).toEqual(unreadInbox);
    const sent = listCalls().at(-1)!;
    expect([sent.query.getAll('labelIds'), sent.query.get('q'), sent.query.get('includeSpamTrash')]).toEqual([['INBOX'], 'is:unread', null]);

    emulator.clearRequests();
    const all = await s.run(['list', '--threads', '--format', 'ids', '--include-spam-trash', '--label', 'Receipts']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(listCalls().at(-1)!.query.get('includeSpamTrash')).toBe('true');
    const receipts = emulator.labels().find((l) => l.name === 'Receipts')!.id;
    expect(listCalls().at(-1)!.query.getAll('labelIds')).toEqual([receipts]);

    emulator.clearRequests();
    const three = await threadsJson(s, ['-n', '3']);
    expect(three.map((t) => t.id)).toEqual(visibleThreadIds().slice(0, 3));
    expect(threadGets().sort()).toEqual(three.map((t) => t.id).sort());
  });

  it('json: a threads.list per 50 threads and one metadata threads.get per thread, batched; no messages.get, no history', async () => {
    const threads = await threadsJson(s);
    expect(listCalls()).toHaveLength(Math.ceil(threads.length / 50));
    expect(threadGets().sort()).toEqual(threads.map((t) => t.id).sort());
    for (const get of emulator.requests.filter((r) => r.path.startsWith(`${THREADS_PATH}/`))) {
      expect(get.batch).toBe(true);
      expect(get.query.get('format')).toBe('metadata');
    }
    expect(otherGmailCalls().filter((r) => !r.path.startsWith('/batch'))).toEqual([]);
  });

  it('a conversation deleted between the list and its get is left out, with a warning; the others are printed', async () => {
    const first = visibleThreadIds()[1]!;
    emulator.enqueue({ path: new RegExp(`^${THREADS_PATH}/${first}$`) }, { type: 'status', status: 404 }, 5);
    const result = await s.run(['list', '--threads', '--format', 'ndjson', '-n', '5']);
    expect(result.exitCode, result.stderr).toBe(0);
    const ids = result.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as ThreadSummary).id);
    expect(ids).toEqual(visibleThreadIds().slice(0, 5).filter((id) => id !== first));
    expect(result.stderr).toMatch(/^warning: 1 conversation was deleted while listing and left out\.$/m);
  });

  it('Google refusing the search: exit 1 with Google’s message, nothing on stdout', async () => {
    emulator.enqueue({ path: THREADS_PATH }, { type: 'status', status: 400, message: 'Invalid query' });
    const result = await s.run(['list', '--threads', '-q', 'in:(']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Invalid query/);
  });
});

describe('list --threads: pipes and signals', () => {
  afterEach(() => emulator.setLatency(0));

  it('stops reading conversations and exits 0 quietly when the reader closes stdout (| head -1)', async () => {
    emulator.setLatency(30);
    const result = await execa('bash', ['-c', `'${process.execPath}' '${CLI}' list --threads --format tsv | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], {
      env: s.env,
      extendEnv: false,
      reject: false,
    });
    expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stdout.startsWith(visibleThreadIds()[0]!)).toBe(true);
    expect(result.stderr.trim()).toBe('status=0');
    expect(threadGets().length).toBeLessThan(visibleThreadIds().length);
  });

  it('exits 130 on SIGINT with what was written flushed and a valid JSON array', async () => {
    emulator.setLatency(40);
    const run = startCli(['list', '--threads', '--json'], s.env, { stdin: 'ignore' });
    await run.waitForStdout('"id"');
    run.child.kill('SIGINT');
    const result = await run.child;
    expect(result.exitCode).toBe(130);
    const written = JSON.parse(run.stdout()) as ThreadSummary[];
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(visibleThreadIds().length);
    expect(written.map((t) => t.id)).toEqual(visibleThreadIds().slice(0, written.length));
  });
});

describe('list --threads: refusals (exit 2, nothing asked of Google)', () => {
  it.each([
    [['--since-last', 'n'], /--threads cannot go with --since-last/],
    [['--follow'], /--threads cannot go with --follow/],
    [['--since-last', 'n', '--no-commit'], /--threads cannot go with --since-last/],
    [['--no-commit'], /--no-commit goes with --since-last/],
    [['--interval', '10'], /--interval .* needs --follow/],
  ])('list --threads %j', async (args, message) => {
    const result = await s.run(['list', '--threads', ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(emulator.requests.filter((r) => r.path.startsWith('/gmail/'))).toEqual([]);
  });
});

describe('list --threads with the cache', () => {
  let cached: Sandbox;
  const cacheFile = (): string => cacheFileOf(path.join(cached.dir, 'cache'), ACCOUNT);

  beforeAll(async () => {
    cached = await createSandbox(emulator, { cache: true });
    const login = await cached.login();
    expect(login.exitCode, login.stderr).toBe(0);
  });
  afterAll(async () => {
    await cached?.cleanup();
  });

  it('a repeat with nothing changed costs list calls only; one new message in a conversation: exactly that one is read again', async () => {
    const first = await threadsJson(cached);
    expect(threadGets()).toHaveLength(first.length);
    emulator.clearRequests();

    const again = await threadsJson(cached);
    expect(again).toEqual(first);
    expect(threadGets()).toEqual([]);
    expect(emulator.requests.filter((r) => r.path.startsWith('/gmail/') && r.path !== THREADS_PATH)).toEqual([]);
    // 50 a page until the cache has known a whole page; then the largest pages (the second was asked for before the first was known).
    expect(first.length).toBeGreaterThan(100);
    expect(listCalls().map((r) => r.query.get('maxResults'))).toEqual(['50', '50', '500']);
    emulator.clearRequests();

    // A reply in a conversation far down the list: it moves to the top, with one more message.
    const target = first[10]!;
    const [reply] = emulator.addMessages(1, { threadId: target.id });
    const third = await threadsJson(cached);
    expect(threadGets()).toEqual([target.id]);
    expect(third[0]!.id).toBe(target.id);
    expect(third[0]!.messageCount).toBe(target.messageCount + 1);
    expect(third[0]!.date).toBe(new Date(reply!.internalDate).toISOString());
    expect(third[0]!.historyId).not.toBe(target.historyId);
    expect(third.slice(1)).toEqual(first.filter((t) => t.id !== target.id));
  });

  it('a label change on one message: only its conversation is read again, and shows the new label', async () => {
    const before = await threadsJson(cached);
    emulator.clearRequests();
    const target = before.slice(4).find((t) => !t.labelIds.includes('STARRED'))!;
    const message = emulator.mailbox().find((m) => m.threadId === target.id)!;
    emulator.changeLabels([message.id], { add: ['STARRED'] });
    const after = await threadsJson(cached);
    expect(threadGets()).toEqual([target.id]);
    expect(after.find((t) => t.id === target.id)!.labelIds).toContain('STARRED');
    expect(after.map((t) => t.id)).toEqual(before.map((t) => t.id));
  });

  it('two runs at once on an empty cache: both print every conversation, neither warns, and the next run reads none', async () => {
    const clear = await cached.run(['cache', 'clear']);
    expect(clear.exitCode, clear.stderr).toBe(0);
    const [one, two] = await Promise.all([cached.run(['list', '--threads', '--json']), cached.run(['list', '--threads', '--json'])]);
    for (const run of [one, two]) {
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
    }
    expect(JSON.parse(one.stdout)).toEqual(JSON.parse(two.stdout));
    emulator.clearRequests();
    expect(await threadsJson(cached)).toEqual(JSON.parse(one.stdout));
    expect(threadGets()).toEqual([]);
  });

  it('--no-cache reads every conversation again; cache clear removes what was kept', async () => {
    const threads = await threadsJson(cached);
    emulator.clearRequests();
    await threadsJson(cached, ['--no-cache']);
    expect(threadGets()).toHaveLength(threads.length);
    emulator.clearRequests();
    const clear = await cached.run(['cache', 'clear']);
    expect(clear.exitCode, clear.stderr).toBe(0);
    expect(existsSync(cacheFile())).toBe(false);
    await threadsJson(cached);
    expect(threadGets()).toHaveLength(threads.length);
  });

  it.each([
    [2, (db: import('better-sqlite3').Database) => db.exec('DROP TABLE threads')],
    [
      1,
      (db: import('better-sqlite3').Database) => {
        // Version 1 kept a cursor as a bare historyId.
        const position = JSON.parse((db.prepare("SELECT position FROM cursors WHERE name = 'kept'").get() as { position: string }).position) as { historyId: string };
        db.exec('DROP TABLE threads; DROP TABLE cursors; CREATE TABLE cursors (name TEXT PRIMARY KEY, history_id TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;');
        db.prepare("INSERT INTO cursors VALUES ('kept', ?, ?)").run(position.historyId, Date.now());
      },
    ],
  ] as const)('a cache file of version %i gets the threads table, and keeps its --since-last cursor', async (version, downgrade) => {
    const start = await cached.run(['list', '--since-last', 'kept', '--format', 'ids']);
    expect(start.exitCode, start.stderr).toBe(0);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(cacheFile());
    downgrade(db);
    db.pragma(`user_version = ${version}`);
    db.close();
    const threads = await threadsJson(cached);
    expect(threads.length).toBeGreaterThan(0);
    const cursors = await cached.run(['cursor', 'list']);
    expect(cursors.stdout).toMatch(/^kept\b/m);
    expect(cursors.stderr).not.toMatch(/rebuilt|deleted/);
    // The cursor still stands where it was: nothing new since.
    const next = await cached.run(['list', '--since-last', 'kept', '--format', 'ids']);
    expect([next.exitCode, next.stdout]).toEqual([0, '']);
    emulator.clearRequests();
    await threadsJson(cached);
    expect(threadGets()).toEqual([]);
  });

  it('a summary changed behind the cache’s back fails its checksum: the run reads it from Gmail instead and warns', async () => {
    const reference = await threadsJson(cached);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(cacheFile());
    db.prepare("UPDATE threads SET summary = replace(summary, '\"messageCount\":', '\"messageCount\":1') WHERE id = ?").run(reference[0]!.id);
    db.close();
    const run = await cached.run(['list', '--threads', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(reference);
    expect(run.stderr).toMatch(/checksum/);
  });
});
