/**
 * Where the message cache lives and whether it is used: one SQLite file per account in
 * gmailctl's cache directory (src/basics/cache-dir.ts).
 */
import { lstatSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../basics/config.js';
import { UsageError } from '../basics/errors.js';

/** Cache files are named after the account; the suffix tells them from anything else there. */
const CACHE_SUFFIX = '.cache.sqlite';

export function cacheFile(cacheDir: string, account: string): string {
  return accountFile(cacheDir, account, CACHE_SUFFIX);
}

/** The account a cache file belongs to, or undefined for a file that is not a cache. */
export function accountOfCacheFile(name: string): string | undefined {
  return accountOfFile(name, CACHE_SUFFIX);
}

/**
 * A file of one account's in the cache directory: the address, lowercased and
 * percent-encoded (an address may hold `/`), then what kind of file it is.
 */
export function accountFile(cacheDir: string, account: string, suffix: string): string {
  return path.join(cacheDir, `${encodeURIComponent(account.toLowerCase())}${suffix}`);
}

/** The account an `accountFile` name belongs to, or undefined for any other file. */
export function accountOfFile(name: string, suffix: string): string | undefined {
  if (!name.endsWith(suffix)) return undefined;
  try {
    return decodeURIComponent(name.slice(0, -suffix.length));
  } catch {
    return undefined;
  }
}

/** The label names shell completion offers (src/cache/label-names.ts), kept beside the account's cache file. */
export function labelNamesFile(file: string): string {
  return `${file}-labels.json`;
}

/** SQLite's companions of a database file (its write-ahead log and shared-memory index), and the label names. */
export function cacheFileSet(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, `${file}-journal`, labelNamesFile(file)];
}

/**
 * `--no-cache` wins, then GMAILCTL_NO_CACHE (1/true turns the cache off, 0/false on), then
 * `"cache": false` in config.json. On by default.
 */
export function cacheEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv, settings: Settings): boolean {
  if (flag === false) return false;
  const fromEnv = env.GMAILCTL_NO_CACHE;
  if (fromEnv !== undefined && fromEnv !== '') {
    const value = fromEnv.toLowerCase();
    if (value === '1' || value === 'true' || value === 'yes') return false;
    if (value === '0' || value === 'false' || value === 'no') return true;
    throw new UsageError(`GMAILCTL_NO_CACHE must be 1 or 0, not "${fromEnv}".`);
  }
  return settings.cache !== false;
}

/** Deletes a cache file and SQLite's companions; true when there was one. */
export function removeCacheFile(file: string): boolean {
  let existed = false;
  for (const part of cacheFileSet(file)) {
    try {
      lstatSync(part);
      existed = true;
      rmSync(part, { force: true });
    } catch {
      // absent
    }
  }
  return existed;
}

