/**
 * What one `list` run does with the cache: bring it up to date with Gmail's history before
 * listing, answer the messages it knows and keep the ones fetched, and work out which
 * messages are new since a `--since-last` cursor. A cache that fails in the middle of a run
 * is given up for the rest of it (and deleted when corrupt), never trusted: the run goes on
 * fetching, as with --no-cache.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { currentHistoryId, readHistory, type HistoryDeps } from '../gmail/history.js';
import type { KnownMessages } from '../gmail/listing.js';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { cacheFile, removeCacheFile } from './paths.js';
import { CacheFailure, openMessageCache, type CachedMessage, type CacheNotice, type MessageCache } from './store.js';

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
  #broken = false;
  #nextCursor: { name: string; historyId: string } | undefined;

  constructor(
    private readonly store: MessageCache,
    private readonly deps: HistoryDeps,
    private readonly notify: (notice: ListCacheNotice) => void,
  ) {}

  /** Applies what changed in the mailbox since the last sync (label changes, deletions). */
  async sync(): Promise<void> {
    for (let attempt = 0; attempt < SYNC_ATTEMPTS && !this.#broken; attempt++) {
      const from = this.#use(() => this.store.syncState().historyId);
      if (this.#broken) return;
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
    lookup: (ids) => (this.#broken ? new Map() : (this.#use(() => this.store.lookup(ids)) ?? new Map())),
    remember: (messages) => {
      const from = this.#syncedFrom;
      if (this.#broken || from === undefined) return;
      this.#use(() => this.store.remember(messages.map(toCached), from));
    },
  };

  /**
   * The ids of the messages added since the cursor NAME was last advanced, or undefined when
   * there is no cursor yet (or Gmail no longer has its history): then everything counts.
   * Also notes where the cursor moves to if the run completes (see advanceCursor).
   */
  async addedSince(name: string): Promise<Set<string> | undefined> {
    const cursor = this.#use(() => this.store.cursor(name));
    if (cursor !== undefined) {
      const read = await readHistory(this.deps, cursor, ['messageAdded', 'messageDeleted']);
      if (read !== 'expired') {
        this.#nextCursor = { name, historyId: read.historyId };
        return read.added;
      }
      this.notify({ kind: 'cursor-expired', name });
    }
    this.#nextCursor = { name, historyId: this.#syncedFrom ?? (await currentHistoryId(this.deps)) };
    return undefined;
  }

  /** Moves the --since-last cursor: call only once the run's output is complete and written. */
  advanceCursor(): boolean {
    const next = this.#nextCursor;
    if (!next || this.#broken) return false;
    return this.#use(() => (this.store.setCursor(next.name, next.historyId), true)) ?? false;
  }

  close(): void {
    this.store.close();
  }

  /** One store step; a failure gives the cache up for this run (and deletes a corrupt file). */
  #use<T>(step: () => T): T | undefined {
    if (this.#broken) return undefined;
    try {
      return step();
    } catch (error) {
      if (!(error instanceof CacheFailure)) throw error;
      this.#broken = true;
      this.store.close();
      if (error.corrupt) removeCacheFile(this.store.file);
      this.notify({ kind: 'failed', file: this.store.file, reason: error.message, corrupt: error.corrupt });
      return undefined;
    }
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

export interface OpenListCacheOptions {
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
