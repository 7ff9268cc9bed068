/**
 * What one `list` run does with the cache: bring it up to date with Gmail's history before
 * listing, answer the messages (and conversations) it knows and keep the ones fetched, and work out which
 * messages are new since a `--since-last` cursor. A cache that fails in the middle of a run
 * is given up for the rest of it (and deleted when corrupt), never trusted: the run goes on
 * fetching, as with --no-cache.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { START, type CursorPosition } from '../gmail/cursor-position.js';
import { ALL_HISTORY_TYPES, changesAfter, currentHistoryId, earlierHistoryId, readHistory, type HistoryDeps, type MailboxChanges } from '../gmail/history.js';
import type { KnownMessages, ListQuery } from '../gmail/listing.js';
import { readNewMail, type NewMail } from '../gmail/new-mail.js';
import type { KnownThreads } from '../gmail/thread-listing.js';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { cacheFile, removeCacheFile } from './paths.js';
import { CacheFailure, openMessageCache, type CachedMessage, type CacheNotice, type MessageCache } from './message-cache.js';

/** What the command tells the user about, besides the store's own notices. */
export type ListCacheNotice =
  | CacheNotice
  | { kind: 'history-expired'; dropped: number }
  | { kind: 'failed'; file: string; reason: string; corrupt: boolean }
  | { kind: 'cursor-expired'; name: string };

/** Tries before giving up storing this run's rows when other gmailctl processes keep syncing. */
const SYNC_ATTEMPTS = 3;

export class ListCache {
  /** The historyId this run's cache is in step with; rows fetched now are stored against it. */
  #syncedFrom: string | undefined;
  /** Why the file was given up in this run, once it was. */
  #broken: string | undefined;

  constructor(
    private readonly store: MessageCache,
    private readonly deps: HistoryDeps,
    private readonly notify: (notice: ListCacheNotice) => void,
  ) {}

  /** Applies what changed in the mailbox since the last sync (label changes, deletions). */
  async sync(): Promise<void> {
    for (let attempt = 0; attempt < SYNC_ATTEMPTS && this.#broken === undefined; attempt++) {
      const from = this.#use(() => this.store.syncState().historyId);
      if (this.#broken !== undefined) return;
      if (from === undefined) {
        const now = await currentHistoryId(this.deps);
        this.#use(() => this.store.reset(now));
        this.#syncedFrom = now;
        return;
      }
      const read = await readHistory(this.deps, from, ['messageDeleted', 'labelAdded', 'labelRemoved']);
      if (read === 'expired') {
        // Gmail no longer knows what changed: nothing cached can be trusted. Start over.
        const now = await currentHistoryId(this.deps);
        const dropped = this.#use(() => this.store.reset(now));
        if (dropped !== undefined) this.notify({ kind: 'history-expired', dropped });
        this.#syncedFrom = now;
        return;
      }
      if (this.#use(() => this.store.applyHistory(from, read.historyId, read.changes))) {
        this.#syncedFrom = read.historyId;
        return;
      }
      // Another gmailctl synced meanwhile: read again from where it got to.
    }
  }

  /** The list use case's view: cached messages by id, and fetched ones to keep. */
  readonly known: KnownMessages = {
    lookup: (ids) => (this.#broken !== undefined ? new Map() : (this.#use(() => this.store.lookup(ids)) ?? new Map())),
    remember: (messages) => {
      const from = this.#syncedFrom;
      if (this.#broken !== undefined || from === undefined) return;
      this.#use(() => this.store.remember(messages.map(toCached), from));
    },
  };

  /**
   * The thread listing's view (`list --threads`): summaries whose thread has not changed since
   * (its historyId is the same), and fetched ones to keep. Needs no sync: the historyId that
   * threads.list answers for each thread is the check.
   */
  readonly knownThreads: KnownThreads = {
    lookup: (refs) => this.#use(() => this.store.lookupThreads(refs)) ?? new Map(),
    remember: (threads) => void this.#use(() => this.store.rememberThreads(threads)),
  };

  /**
   * Brings the cached messages up to date and reads the mail added since a --since-last
   * position, with one history read for both when it can (src/gmail/new-mail.ts).
   */
  async syncAndReadNewMail(position: CursorPosition, filter: ListQuery): Promise<NewMail> {
    if (position.historyId === undefined) await this.sync();
    return readNewMail(this.deps, position, filter, {
      history: (from) => this.#syncAndRead(from),
      current: async () => this.#syncedFrom ?? (await currentHistoryId(this.deps)),
    });
  }

  /** One history read from the earlier of the cache's start and `cursorFrom`, serving both. */
  async #syncAndRead(cursorFrom: string): Promise<MailboxChanges | 'expired'> {
    const cacheFrom = this.#use(() => this.store.syncState().historyId);
    if (cacheFrom === undefined) {
      await this.sync();
      return readHistory(this.deps, cursorFrom, ALL_HISTORY_TYPES);
    }
    const start = earlierHistoryId(cacheFrom, cursorFrom);
    const read = await readHistory(this.deps, start, ALL_HISTORY_TYPES);
    if (read === 'expired') {
      // One of the two starts is gone: each reads on its own (the cache starts over if its own is).
      await this.sync();
      return start === cursorFrom ? 'expired' : readHistory(this.deps, cursorFrom, ALL_HISTORY_TYPES);
    }
    if (this.#use(() => this.store.applyHistory(cacheFrom, read.historyId, changesAfter(read, cacheFrom).changes))) this.#syncedFrom = read.historyId;
    else await this.sync(); // another gmailctl synced meanwhile (or the file failed: then sync does nothing)
    return changesAfter(read, cursorFrom);
  }

  /** Where the cursor NAME stands: START when it never advanced, or when the file failed (then every match counts). */
  cursorPosition(name: string): CursorPosition {
    return this.#use(() => this.store.cursorPosition(name)) ?? START;
  }

  /**
   * Moves the cursor NAME (or, `pending`, records where a --no-commit run got; undefined
   * forgets that). Answers why the cursor could not be saved, if it could not: the command
   * has printed, and must then fail, so that the next run prints it all again.
   */
  saveCursor(name: string, position: CursorPosition | undefined, { pending }: { pending: boolean }): string | undefined {
    if (this.#broken !== undefined) return this.#broken;
    try {
      if (pending) this.store.setPending(name, position);
      else this.store.saveCursor(name, position ?? START);
      return undefined;
    } catch (error) {
      if (!(error instanceof CacheFailure)) throw error;
      this.#giveUp(error);
      return error.message;
    }
  }

  close(): void {
    this.store.close();
  }

  /** One store step; a failure gives the cache up for this run (and deletes a corrupt file). */
  #use<T>(step: () => T): T | undefined {
    if (this.#broken !== undefined) return undefined;
    try {
      return step();
    } catch (error) {
      if (!(error instanceof CacheFailure)) throw error;
      this.#giveUp(error);
      this.notify({ kind: 'failed', file: this.store.file, reason: error.message, corrupt: error.corrupt });
      return undefined;
    }
  }

  #giveUp(error: CacheFailure): void {
    this.#broken = error.message;
    this.store.close();
    if (error.corrupt) removeCacheFile(this.store.file);
  }
}

/** The fields of a metadata answer that the cache keeps. */
function toCached(message: gmail_v1.Schema$Message): CachedMessage {
  return {
    id: message.id,
    threadId: message.threadId,
    labelIds: message.labelIds,
    internalDate: message.internalDate,
    snippet: message.snippet,
    payload: {
      headers: (message.payload?.headers ?? [])
        .filter((header): header is { name: string; value?: string | null } => typeof header.name === 'string')
        .map((header) => ({ name: header.name, value: header.value ?? '' })),
    },
  };
}

interface OpenListCacheOptions {
  env: NodeJS.ProcessEnv;
  account: string;
  deps: HistoryDeps;
  notify: (notice: ListCacheNotice) => void;
}

/** Opens the account's cache for a list run, or undefined when the file cannot be used (notified). */
export async function openListCache(options: OpenListCacheOptions): Promise<ListCache | undefined> {
  const dir = resolveCacheDir(options.env);
  if (dir === undefined) {
    options.notify({ kind: 'unusable', file: '', reason: 'there is no cache directory (no usable home directory)', fix: 'Set GMAILCTL_CACHE_DIR or HOME.' });
    return undefined;
  }
  const file = cacheFile(dir, options.account);
  const store = await openMessageCache({ file, account: options.account, notify: options.notify });
  return store && new ListCache(store, options.deps, options.notify);
}
