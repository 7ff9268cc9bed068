/**
 * The message cache of one account: a SQLite database (better-sqlite3, a native addon
 * loaded on first use) holding, per message, what `list` shows and nothing more — thread id,
 * internalDate, the From/To/Subject/Date headers, the snippet and the label ids — plus the
 * Gmail historyId it is in step with and the `--since-last` cursors; and per conversation
 * what `list --threads` shows, with the thread's historyId it was read at.
 *
 * It never serves a wrong row:
 * - every change is a transaction; a kill -9 leaves the last committed state (WAL journal);
 * - history is applied and fetched rows are stored only if the stored historyId is still the
 *   one this process synced from (compare-and-set inside BEGIN IMMEDIATE), so two processes
 *   cannot interleave stale label changes;
 * - each row carries a checksum; a row that fails it, a file SQLite finds malformed, a schema
 *   from another gmailctl version or another account's file make the file be deleted and
 *   rebuilt, with a notice.
 */
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import path from 'node:path';
import type { gmail_v1 } from '@googleapis/gmail';
import type BetterSqlite3 from 'better-sqlite3';
import type { HistoryChange } from '../gmail/history.js';
import type { ThreadRef } from '../gmail/thread-listing.js';
import type { ThreadSummary } from '../schemas/objects.js';
import { makeDirectorySync, unwritableReason } from '../basics/make-directory.js';
import { formatPosition, parsePosition, START, type CursorPosition, type CursorSummary } from '../gmail/cursor-position.js';
import { inspectPathSync } from '../basics/private-path.js';
import { cacheFileSet, removeCacheFile } from './paths.js';

/**
 * Bumped whenever the tables change; a file with another version is rebuilt, except the
 * versions migrate() brings up to date (they hold --since-last cursors worth keeping).
 * 2: a cursor keeps a position (src/gmail/cursor-position.ts) and a pending one for --no-commit.
 * 3: the threads table (`list --threads` summaries).
 */
const SCHEMA_VERSION = 3;
/** How long to wait for another gmailctl's write transaction before giving up the cache. */
const BUSY_TIMEOUT_MS = 5_000;

/** What the cache keeps of a message: the fields of a metadata answer that `list` reads. */
export type CachedMessage = Pick<gmail_v1.Schema$Message, 'id' | 'threadId' | 'labelIds' | 'internalDate' | 'snippet'> & {
  payload: { headers: Array<{ name: string; value: string }> };
};

interface SyncState {
  /** The Gmail historyId the cached rows are in step with; undefined before the first sync. */
  historyId?: string;
  /** When it was last brought up to date (ms since the epoch). */
  syncedAt?: number;
}

interface CacheStats extends SyncState {
  file: string;
  messages: number;
  /** The database with its write-ahead log. */
  bytes: number;
  cursors: number;
}

/** Why the cache was rebuilt or left unused: the command words it for the user. */
export type CacheNotice =
  | { kind: 'rebuilt'; file: string; reason: 'corrupt' | 'newer-version' | 'older-version' | 'foreign' }
  | { kind: 'unusable'; file: string; reason: string; fix?: string };

/** A problem that makes the file unusable until it is rebuilt. */
class CorruptCacheError extends Error {}

type Database = BetterSqlite3.Database;

interface OpenOptions {
  file: string;
  account: string;
  notify: (notice: CacheNotice) => void;
}

/**
 * Opens (creating or rebuilding as needed) the cache file of an account, or answers
 * undefined when it cannot be used: a loose or foreign directory, a symlink, a disk error.
 */
export async function openMessageCache(options: OpenOptions): Promise<MessageCache | undefined> {
  const { default: Database } = await import('better-sqlite3');
  const problem = prepareFile(options.file);
  if (problem) {
    options.notify({ kind: 'unusable', file: options.file, ...problem });
    return undefined;
  }
  for (let attempt = 0; ; attempt++) {
    let db: Database | undefined;
    try {
      db = new Database(options.file, { timeout: BUSY_TIMEOUT_MS });
      const rebuild = initialize(db, options.account);
      if (rebuild === undefined) return new MessageCache(db, options.file);
      db.close();
      if (attempt > 0) throw new Error(`the rebuilt file is still unusable (${rebuild})`);
      options.notify({ kind: 'rebuilt', file: options.file, reason: rebuild });
    } catch (error) {
      db?.close();
      if (!isCorruption(error) || attempt > 0) {
        options.notify({ kind: 'unusable', file: options.file, ...openFailure(options.file, error) });
        return undefined;
      }
      options.notify({ kind: 'rebuilt', file: options.file, reason: 'corrupt' });
    }
    removeCacheFile(options.file);
    const again = prepareFile(options.file);
    if (again) {
      options.notify({ kind: 'unusable', file: options.file, ...again });
      return undefined;
    }
  }
}

/**
 * The directory 0700 and the file 0600, both owned by us, the file a plain file (not a
 * symlink someone planted). Creates what is missing; answers what is wrong otherwise.
 */
function prepareFile(file: string): { reason: string; fix?: string } | undefined {
  const dir = path.dirname(file);
  try {
    makeDirectorySync(dir);
  } catch (error) {
    return { reason: `cannot create ${dir}: ${(error as Error).message}`, fix: 'Set GMAILCTL_CACHE_DIR to a directory you can write to.' };
  }
  if (process.platform === 'win32') return undefined; // modes mean nothing there; the profile's ACLs protect it
  const loose = privateProblem(dir, 'directory');
  if (loose) return loose;
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return { reason: `cannot create ${file}: ${(error as Error).message}` };
  }
  return privateProblem(file, 'file');
}

/**
 * Why SQLite could not open an existing file, for people: its own words ("unable to open
 * database file") name neither the file nor the reason, which is most often that the file or
 * its directory (WAL mode writes beside the file) cannot be written: a read-only disk.
 */
function openFailure(file: string, error: unknown): { reason: string; fix?: string } {
  const reason = (why: string): string => `cannot open ${file}: ${why}`;
  for (const [target, what] of [[path.dirname(file), 'its directory'], [file, 'the file']] as const) {
    try {
      accessSync(target, constants.W_OK);
    } catch (denied) {
      return { reason: reason(`${what} ${unwritableReason(denied)}`), fix: 'Set GMAILCTL_CACHE_DIR to a directory you can write to.' };
    }
  }
  return { reason: reason((error as Error).message.replace(/\.+$/, '')) };
}

/** The message cache holds mail headers: private, as tokens.json is (src/basics/private-path.ts). */
function privateProblem(target: string, kind: 'file' | 'directory'): { reason: string; fix: string } | undefined {
  const { problem } = inspectPathSync(target, { kind, replaceHint: 'Remove it (the cache is rebuilt) or set GMAILCTL_CACHE_DIR to a directory of your own.' });
  return problem ? { reason: `${target}: ${problem.what}`, fix: problem.hint } : undefined;
}

/** Creates the tables in a new file; answers why an existing file must be rebuilt, if it must. */
function initialize(db: Database, account: string): (CacheNotice & { kind: 'rebuilt' })['reason'] | undefined {
  // WAL: readers never wait for the writer, and a killed writer leaves the last commit.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const check = (): (CacheNotice & { kind: 'rebuilt' })['reason'] | undefined => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) return 'newer-version';
    if (version === 0) {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      if (tables.n > 0) return 'foreign';
      db.exec(SCHEMA);
      db.prepare("INSERT INTO meta (key, value) VALUES ('account', ?)").run(account.toLowerCase());
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return undefined;
    }
    if (version === 1) migrateFromVersion1(db);
    if (version === 1 || version === 2) migrateFromVersion2(db);
    else if (version < SCHEMA_VERSION) return 'older-version';
    const owner = db.prepare("SELECT value FROM meta WHERE key = 'account'").get() as { value: string } | undefined;
    return owner?.value === account.toLowerCase() ? undefined : 'foreign';
  };
  // Two processes creating the tables at once: the second waits, then finds them made.
  return db.transaction(check).immediate();
}

/** position and pending: CursorPosition as JSON; updated_at: when position last moved (null: never). */
const CURSORS_TABLE = 'CREATE TABLE cursors (name TEXT PRIMARY KEY, position TEXT, updated_at INTEGER, pending TEXT) WITHOUT ROWID;';

/** Version 1 kept a cursor as a bare historyId: it becomes a position, delivered nothing beyond it. */
function migrateFromVersion1(db: Database): void {
  const old = db.prepare('SELECT name, history_id, updated_at FROM cursors').all() as Array<{ name: string; history_id: string; updated_at: number }>;
  db.exec('DROP TABLE cursors');
  db.exec(CURSORS_TABLE);
  const insert = db.prepare('INSERT INTO cursors (name, position, updated_at) VALUES (?, ?, ?)');
  for (const row of old) insert.run(row.name, formatPosition({ historyId: row.history_id, delivered: [], readAt: row.updated_at }), row.updated_at);
  db.pragma('user_version = 2');
}

/**
 * A conversation as `list --threads` showed it: the summary (JSON) made when the thread's
 * historyId was history_id. A thread whose historyId moved is read again, so no sync is needed.
 */
const THREADS_TABLE = 'CREATE TABLE threads (id TEXT PRIMARY KEY, history_id TEXT NOT NULL, summary TEXT NOT NULL, checksum TEXT NOT NULL) WITHOUT ROWID;';

/** Version 2 had no threads table: it gets an empty one (everything else is kept). */
function migrateFromVersion2(db: Database): void {
  db.exec(THREADS_TABLE);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  thread_id TEXT NOT NULL,
  internal_date TEXT,
  snippet TEXT NOT NULL,
  headers TEXT NOT NULL,
  label_ids TEXT NOT NULL,
  checksum TEXT NOT NULL
) WITHOUT ROWID;
${CURSORS_TABLE}
${THREADS_TABLE}
`;

interface Row {
  id: string;
  thread_id: string;
  internal_date: string | null;
  snippet: string;
  headers: string;
  label_ids: string;
  checksum: string;
}

function checksum(row: Omit<Row, 'checksum'>): string {
  return createHash('sha256')
    .update(JSON.stringify([row.id, row.thread_id, row.internal_date, row.snippet, row.headers, row.label_ids]))
    .digest('base64url')
    .slice(0, 22);
}

function toRow(message: CachedMessage): Row {
  const row = {
    id: message.id ?? '',
    thread_id: message.threadId ?? '',
    internal_date: message.internalDate ?? null,
    snippet: message.snippet ?? '',
    headers: JSON.stringify(message.payload.headers),
    label_ids: JSON.stringify(message.labelIds ?? []),
  };
  return { ...row, checksum: checksum(row) };
}

function fromRow(row: Row): CachedMessage {
  if (checksum(row) !== row.checksum) throw new CorruptCacheError(`the cached row of message ${row.id} fails its checksum`);
  return {
    id: row.id,
    threadId: row.thread_id,
    labelIds: JSON.parse(row.label_ids) as string[],
    ...(row.internal_date !== null ? { internalDate: row.internal_date } : {}),
    snippet: row.snippet,
    payload: { headers: JSON.parse(row.headers) as CachedMessage['payload']['headers'] },
  };
}

interface ThreadRow {
  id: string;
  history_id: string;
  summary: string;
  checksum: string;
}

function threadChecksum(row: Omit<ThreadRow, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(['thread', row.id, row.history_id, row.summary])).digest('base64url').slice(0, 22);
}

function toThreadRow(thread: ThreadSummary): ThreadRow {
  const row = { id: thread.id, history_id: thread.historyId, summary: JSON.stringify(thread) };
  return { ...row, checksum: threadChecksum(row) };
}

function fromThreadRow(row: ThreadRow): ThreadSummary {
  if (threadChecksum(row) !== row.checksum) throw new CorruptCacheError(`the cached row of thread ${row.id} fails its checksum`);
  return JSON.parse(row.summary) as ThreadSummary;
}

function isCorruption(error: unknown): boolean {
  if (error instanceof CorruptCacheError) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** A cache file found unusable in the middle of a run. */
export class CacheFailure extends Error {
  constructor(
    message: string,
    readonly corrupt: boolean,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

export class MessageCache {
  /**
   * Each SQL text prepared once for the life of the open file: `list --follow` runs for days,
   * and a statement prepared anew each poll is native memory that lingers until the garbage
   * collector finds its wrapper.
   */
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: Database,
    readonly file: string,
  ) {}

  #sql(text: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  /** Runs one database step; SQLite's failures become a CacheFailure that says whether the file is corrupt. */
  #guard<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      throw new CacheFailure((error as Error).message, isCorruption(error), { cause: error });
    }
  }

  syncState(): SyncState {
    return this.#guard(() => {
      const rows = this.#sql("SELECT key, value FROM meta WHERE key IN ('history_id', 'synced_at')").all() as Array<{ key: string; value: string }>;
      const value = (key: string) => rows.find((row) => row.key === key)?.value;
      const syncedAt = value('synced_at');
      return { ...(value('history_id') ? { historyId: value('history_id') } : {}), ...(syncedAt ? { syncedAt: Number(syncedAt) } : {}) };
    });
  }

  /** The cached messages among these ids. */
  lookup(ids: readonly string[]): Map<string, CachedMessage> {
    return this.#guard(() => {
      const rows = this.#sql('SELECT id, thread_id, internal_date, snippet, headers, label_ids, checksum FROM messages WHERE id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(ids)) as Row[];
      return new Map(rows.map((row) => [row.id, fromRow(row)]));
    });
  }

  /**
   * Stores messages fetched after syncing to `syncedFrom`, unless another process has synced
   * further since (its history did not cover these rows): then they are not stored.
   */
  remember(messages: readonly CachedMessage[], syncedFrom: string): boolean {
    if (messages.length === 0) return true;
    return this.#guard(() =>
      this.db
        .transaction(() => {
          if (this.#historyId() !== syncedFrom) return false;
          const insert = this.#sql(
            'INSERT OR REPLACE INTO messages (id, thread_id, internal_date, snippet, headers, label_ids, checksum) VALUES (@id, @thread_id, @internal_date, @snippet, @headers, @label_ids, @checksum)',
          );
          for (const message of messages) insert.run(toRow(message));
          return true;
        })
        .immediate(),
    );
  }

  /**
   * Applies Gmail's changes between `from` and `to` and records `to`, all or nothing — if
   * the stored historyId is still `from`. Answers false when another process got there first.
   */
  applyHistory(from: string, to: string, changes: readonly HistoryChange[], now = Date.now()): boolean {
    return this.#guard(() =>
      this.db
        .transaction(() => {
          if (this.#historyId() !== from) return false;
          const select = this.#sql('SELECT id, thread_id, internal_date, snippet, headers, label_ids, checksum FROM messages WHERE id = ?');
          const remove = this.#sql('DELETE FROM messages WHERE id = ?');
          const update = this.#sql('UPDATE messages SET label_ids = @label_ids, checksum = @checksum WHERE id = @id');
          for (const change of changes) {
            if (change.kind === 'deleted') {
              remove.run(change.id);
              continue;
            }
            const row = select.get(change.id) as Row | undefined;
            if (!row) continue; // not cached: nothing to keep in step
            const message = fromRow(row);
            const labels = new Set(message.labelIds ?? []);
            for (const label of change.labelIds) {
              if (change.kind === 'labelsAdded') labels.add(label);
              else labels.delete(label);
            }
            const next = toRow({ ...message, labelIds: [...labels] });
            update.run({ id: next.id, label_ids: next.label_ids, checksum: next.checksum });
          }
          this.#setSynced(to, now);
          return true;
        })
        .immediate(),
    );
  }

  /**
   * Starts over from `historyId`: every cached message is dropped (Gmail no longer has the
   * history that would keep them true, or there was none yet). Answers how many were dropped.
   */
  reset(historyId: string, now = Date.now()): number {
    return this.#guard(() =>
      this.db
        .transaction(() => {
          const dropped = this.#sql('DELETE FROM messages').run().changes;
          this.#setSynced(historyId, now);
          return dropped;
        })
        .immediate(),
    );
  }

  /** The cached summaries of these threads that were made at the historyId each has now. */
  lookupThreads(refs: readonly ThreadRef[]): Map<string, ThreadSummary> {
    return this.#guard(() => {
      const wanted = new Map(refs.map((ref) => [ref.id, ref.historyId]));
      const rows = this.#sql('SELECT id, history_id, summary, checksum FROM threads WHERE id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify([...wanted.keys()])) as ThreadRow[];
      return new Map(rows.filter((row) => wanted.get(row.id) === row.history_id).map((row) => [row.id, fromThreadRow(row)]));
    });
  }

  /**
   * Keeps these summaries, each under the historyId it was made at. No compare-and-set: a
   * summary is checked against the thread's historyId when it is read, so a row another
   * process stored meanwhile is at worst one more miss.
   */
  rememberThreads(threads: readonly ThreadSummary[]): void {
    if (threads.length === 0) return;
    this.#guard(() =>
      this.db
        .transaction(() => {
          const insert = this.#sql('INSERT OR REPLACE INTO threads (id, history_id, summary, checksum) VALUES (@id, @history_id, @summary, @checksum)');
          for (const thread of threads) if (thread.historyId !== '') insert.run(toThreadRow(thread));
        })
        // The write lock first, as every other write here: another gmailctl's write is waited for (busy timeout).
        .immediate(),
    );
  }

  /** Where the --since-last cursor NAME stands (START when it never advanced). */
  cursorPosition(name: string): CursorPosition {
    return this.#guard(() => {
      const row = this.#sql('SELECT position FROM cursors WHERE name = ?').get(name) as { position: string | null } | undefined;
      return parsePosition(row?.position ?? null) ?? START;
    });
  }

  /** Moves the cursor NAME; whatever a --no-commit run left pending is dropped (it was based on the old position). */
  saveCursor(name: string, position: CursorPosition, now = Date.now()): void {
    this.#guard(() =>
      this.#sql('INSERT INTO cursors (name, position, updated_at, pending) VALUES (?, ?, ?, NULL) ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at, pending = NULL')
        .run(name, formatPosition(position), now),
    );
  }

  /** Records (or, with undefined, forgets) where a --no-commit run got, for `gmailctl cursor commit`. */
  setPending(name: string, position: CursorPosition | undefined): void {
    this.#guard(() =>
      this.#sql('INSERT INTO cursors (name, pending) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET pending = excluded.pending')
        .run(name, position === undefined ? null : formatPosition(position)),
    );
  }

  /** Moves the cursor to its pending position; false when no --no-commit run is pending. */
  commitPending(name: string, now = Date.now()): boolean {
    return this.#guard(() =>
      this.db
        .transaction(() => {
          const row = this.#sql('SELECT pending FROM cursors WHERE name = ?').get(name) as { pending: string | null } | undefined;
          const pending = parsePosition(row?.pending ?? null);
          if (!pending) return false;
          this.#sql('UPDATE cursors SET position = ?, updated_at = ?, pending = NULL WHERE name = ?').run(formatPosition(pending), now, name);
          return true;
        })
        .immediate(),
    );
  }

  /** Every cursor of this account, by name. */
  cursors(): CursorSummary[] {
    return this.#guard(() =>
      (this.#sql('SELECT name, updated_at, pending FROM cursors ORDER BY name').all() as Array<{ name: string; updated_at: number | null; pending: string | null }>).map((row) => ({
        name: row.name,
        ...(row.updated_at !== null ? { advancedAt: row.updated_at } : {}),
        pending: row.pending !== null,
      })),
    );
  }

  /** Forgets the cursor NAME: the next run prints every match. False when there was none. */
  deleteCursor(name: string): boolean {
    return this.#guard(() => this.#sql('DELETE FROM cursors WHERE name = ?').run(name).changes > 0);
  }

  stats(): CacheStats {
    return this.#guard(() => {
      const messages = (this.#sql('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
      const cursors = (this.#sql('SELECT count(*) AS n FROM cursors').get() as { n: number }).n;
      let bytes = 0;
      for (const part of cacheFileSet(this.file).slice(0, 2)) {
        try {
          bytes += statSync(part).size;
        } catch {
          // no WAL right now
        }
      }
      return { file: this.file, messages, cursors, bytes, ...this.syncState() };
    });
  }

  close(): void {
    try {
      this.db.close();
    } catch {
      // closing a broken file: nothing left to save
    }
  }

  #historyId(): string | undefined {
    return (this.#sql("SELECT value FROM meta WHERE key = 'history_id'").get() as { value: string } | undefined)?.value;
  }

  #setSynced(historyId: string, now: number): void {
    const upsert = this.#sql('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    upsert.run('history_id', historyId);
    upsert.run('synced_at', String(now));
  }
}
