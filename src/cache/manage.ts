/**
 * The cache as `status`, `cache clear` and `logout` see it: how big each account's file is
 * and when it was last synced, and deleting it. Nothing here creates a cache file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { accountOfCacheFile, cacheFile, cacheFileSet, removeCacheFile } from './paths.js';
import { accountOfPaceFile, removePaceFile } from './pace-memory.js';
import type { CursorSummary } from '../gmail/cursor-position.js';
import type { CacheNotice, MessageCache } from './message-cache.js';

export interface CacheSummary {
  file: string;
  messages: number;
  bytes: number;
  cursors: number;
  /** ISO 8601, when the cache was last brought up to date with Gmail. */
  lastSync?: string;
}

/** The account's cache, or undefined when it has none (or it cannot be read: see `notify`). */
export async function describeCache(env: NodeJS.ProcessEnv, account: string, notify: (notice: CacheNotice) => void = () => undefined): Promise<CacheSummary | undefined> {
  const dir = resolveCacheDir(env);
  const file = dir === undefined ? undefined : cacheFile(dir, account);
  if (file === undefined || !existsSync(file)) return undefined;
  const { openMessageCache } = await import('./message-cache.js');
  const store = await openMessageCache({ file, account, notify });
  if (!store) return undefined;
  try {
    const stats = store.stats();
    return {
      file,
      messages: stats.messages,
      bytes: stats.bytes,
      cursors: stats.cursors,
      ...(stats.syncedAt ? { lastSync: new Date(stats.syncedAt).toISOString() } : {}),
    };
  } catch {
    return undefined;
  } finally {
    store.close();
  }
}

interface ClearedCache {
  account: string;
  file: string;
  /** Bytes the file took (with its journal); 0 when there was none. */
  bytes: number;
}

/** Deletes the cache files of these accounts (messages and --since-last cursors, and the remembered quota). */
export function clearCaches(env: NodeJS.ProcessEnv, accounts: readonly string[]): ClearedCache[] {
  const dir = resolveCacheDir(env);
  return dir === undefined ? [] : accounts.map((account) => withPace(dir, remove(account, cacheFile(dir, account))));
}

/** The account's remembered quota (src/cache/pace-memory.ts) goes with its cache. */
function withPace(dir: string, cleared: ClearedCache): ClearedCache {
  return { ...cleared, bytes: cleared.bytes + removePaceFile(dir, cleared.account) };
}

/** Deletes every account's cache file, logged in or not. */
export function clearAllCaches(env: NodeJS.ProcessEnv): ClearedCache[] {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const cleared = names.flatMap((name) => {
    const account = accountOfCacheFile(name);
    return account === undefined ? [] : [withPace(dir, remove(account, path.join(dir, name)))];
  });
  // A remembered quota whose account has no message cache (list --no-cache, --format ids).
  const others = names.flatMap((name) => {
    const account = accountOfPaceFile(name);
    if (account === undefined || cleared.some((c) => c.account === account.toLowerCase() || c.account === account)) return [];
    return [{ account, file: path.join(dir, name), bytes: removePaceFile(dir, account) }];
  });
  return [...cleared, ...others];
}

function remove(account: string, file: string): ClearedCache {
  let bytes = 0;
  for (const part of cacheFileSet(file)) {
    try {
      bytes += statSync(part).size;
    } catch {
      // absent
    }
  }
  removeCacheFile(file);
  return { account, file, bytes };
}

/** A --since-last cursor as `gmailctl cursor list` shows it. */
export interface CursorListing extends CursorSummary {
  account: string;
}

/** The cursors of these accounts (every account with a cache file when none is given), by account then name. */
export async function listCursors(env: NodeJS.ProcessEnv, accounts: readonly string[] | undefined, notify: (notice: CacheNotice) => void): Promise<CursorListing[]> {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return [];
  const files = accounts ? accounts.map((account) => ({ account, file: cacheFile(dir, account) })) : cacheFilesIn(dir);
  const listed: CursorListing[] = [];
  for (const { account, file } of files) {
    const cursors = await withCacheFile(file, account, notify, (store) => store.cursors());
    for (const cursor of cursors ?? []) listed.push({ ...cursor, account });
  }
  return listed;
}

/** Why a cursor command could not do its work (the command words it). */
export type CursorRefusal = 'no-such-cursor' | 'nothing-pending' | 'unusable';

/** Moves the cursor NAME to where the last --no-commit run got. */
export async function commitCursor(env: NodeJS.ProcessEnv, account: string, name: string, notify: (notice: CacheNotice) => void): Promise<CursorRefusal | undefined> {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return 'nothing-pending';
  const file = cacheFile(dir, account);
  if (!existsSync(file)) return 'nothing-pending';
  const committed = await withCacheFile(file, account, notify, (store) => store.commitPending(name));
  return committed === undefined ? 'unusable' : committed ? undefined : 'nothing-pending';
}

/** Forgets the cursor NAME: the next --since-last NAME run prints every match. */
export async function deleteCursor(env: NodeJS.ProcessEnv, account: string, name: string, notify: (notice: CacheNotice) => void): Promise<CursorRefusal | undefined> {
  const dir = resolveCacheDir(env);
  const file = dir === undefined ? undefined : cacheFile(dir, account);
  if (file === undefined || !existsSync(file)) return 'no-such-cursor';
  const deleted = await withCacheFile(file, account, notify, (store) => store.deleteCursor(name));
  return deleted === undefined ? 'unusable' : deleted ? undefined : 'no-such-cursor';
}

/** Every account's cache file in the directory. */
function cacheFilesIn(dir: string): Array<{ account: string; file: string }> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const account = accountOfCacheFile(name);
    return account === undefined ? [] : [{ account, file: path.join(dir, name) }];
  });
}

/** Runs `use` on an existing cache file; undefined when there is none or it cannot be used (notified). */
async function withCacheFile<T>(file: string, account: string, notify: (notice: CacheNotice) => void, use: (store: MessageCache) => T): Promise<T | undefined> {
  if (!existsSync(file)) return undefined;
  const { openMessageCache, CacheFailure } = await import('./message-cache.js');
  const store = await openMessageCache({ file, account, notify });
  if (!store) return undefined;
  try {
    return use(store);
  } catch (error) {
    if (!(error instanceof CacheFailure)) throw error;
    notify({ kind: 'unusable', file, reason: error.message });
    return undefined;
  } finally {
    store.close();
  }
}
