/**
 * The cache as `status`, `cache clear` and `logout` see it: how big each account's file is
 * and when it was last synced, and deleting it. Nothing here creates a cache file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { accountOfCacheFile, cacheFile, cacheFileSet, removeCacheFile } from './paths.js';
import { accountOfPaceFile, removePaceFile } from './pace-memory.js';
import type { CacheNotice } from './store.js';

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
  const { openMessageCache } = await import('./store.js');
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

export interface ClearedCache {
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
