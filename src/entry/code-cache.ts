/**
 * Loads a CommonJS script of the bundle (dist/app.js: gmailctl; dist/google-libraries.js:
 * Google's client libraries) with a V8 code cache, as v8-compile-cache does for CommonJS: the bytecode V8 compiled on an
 * earlier run is handed back to it, so that the script is neither parsed nor compiled again.
 * (Node 22.1+ has module.enableCompileCache(); gmailctl supports Node 20, which has vm.Script's
 * cachedData only.)
 *
 * The cache is one file per script in <cache dir>/code-cache/. It is safe to lose: a missing,
 * unreadable, stale or corrupt file only means a normal compile, after which the process
 * writes a fresh one (atomically) when its command is done.
 *
 * It is code that runs as you, so who wrote it is checked first, by the rules of every other
 * file of gmailctl's (src/basics/private-path.ts): the file is opened without following a
 * link and judged on what fstat says of the open file — ours, a plain file, writable by no
 * one else — in a code-cache directory that is ours, not a link and writable by no one else.
 * Anything else is `refused`: not loaded, and, when the directory is at fault, not written
 * either. Its header (the format, the SHA-256 of the script it was made from, gmailctl's
 * version, Node's V8 version, the architecture) and the SHA-256 of the data that follows only
 * tell a stale or damaged cache from a good one: they hold public facts that anyone can
 * compute, so they are no proof of who wrote it. It never holds a secret: it is compiled
 * library code, made from the script's text alone.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { replaceFileAtomically } from '../basics/atomic-file.js';
import { makeDirectory } from '../basics/make-directory.js';
import { problemWith, type PathRule } from '../basics/private-path.js';

const FORMAT = 'gmailctl-code-cache/2';
/** The header's length in bytes, padded: the SHA-256 of the cached data, then the data, follow. */
const HEADER_BYTES = 256;
const DIGEST_BYTES = 32;

export interface CodeCacheOptions {
  /** Where cache files go (…/code-cache); undefined: no cache is read or written. */
  dir: string | undefined;
  /** gmailctl's version: a new release never trusts an old release's cache. */
  version: string;
}

/**
 * What became of the cache: `used`; `missing` (none yet, or unreadable); `refused` (a link,
 * another user's, or writable by others, or in such a directory); `stale` (made from another
 * script, release, Node or architecture); `corrupt` (its data does not match its checksum);
 * `rejected` by V8's own checks; `off` (no cache directory). All but `used` and `off` write a
 * fresh cache at saveCodeCaches(), unless the directory itself is refused.
 */
type CacheOutcome = 'used' | 'missing' | 'refused' | 'stale' | 'corrupt' | 'rejected' | 'off';

/** The code cache holds no secret (others may read it), but code that runs as you: no one else may write it. */
const FILE_RULE: PathRule = { kind: 'file', othersMayRead: true, replaceHint: '' };
const DIR_RULE: PathRule = { kind: 'directory', othersMayRead: true, replaceHint: '' };

interface LoadedScript {
  exports: unknown;
  cache: CacheOutcome;
}

/** A script to write a cache for, once the command is done. */
interface Pending {
  script: vm.Script;
  file: string;
  header: Buffer;
}

const pending: Pending[] = [];

/** Runs a CommonJS file and returns its module.exports, compiling it from the cache when it can. */
export async function requireCached(file: string, options: CodeCacheOptions): Promise<LoadedScript> {
  const cacheFile = options.dir ? path.join(options.dir, `${path.basename(file)}.${process.arch}.v8cache`) : undefined;
  const [source, cached] = await Promise.all([readFile(file), cacheFile ? readOwnCache(cacheFile) : undefined]);
  const header = headerFor(source, options.version);
  const check = cached === 'refused' ? 'refused' : cached ? checkCache(cached, header) : undefined;
  const cachedData = typeof check === 'object' ? check : undefined;
  // The same wrapper as Node's CommonJS loader, on the script's first line: line numbers hold.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source.toString('utf8')}\n})`;
  const script = new vm.Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  const cache: CacheOutcome = !cacheFile ? 'off' : !check ? 'missing' : !cachedData ? (check as CacheOutcome) : script.cachedDataRejected ? 'rejected' : 'used';
  if (cacheFile && cache !== 'used') pending.push({ script, file: cacheFile, header });
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return { exports: module.exports, cache };
}

/**
 * The cache file's bytes when it may be trusted; `refused` when it or its directory breaks
 * the rules; undefined when there is none (or it cannot be read: only a slower start).
 */
async function readOwnCache(cacheFile: string): Promise<Buffer | 'refused' | undefined> {
  const dir = await trustedDirectory(path.dirname(cacheFile));
  if (dir !== true) return dir;
  let handle;
  try {
    handle = await open(cacheFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'refused' : undefined;
  }
  try {
    if (problemWith(cacheFile, await handle.stat(), FILE_RULE)) return 'refused';
    return await handle.readFile();
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** true for a directory of ours that no one else can write; `refused` for any other; undefined when there is none. */
async function trustedDirectory(dir: string): Promise<true | 'refused' | undefined> {
  const stats = await lstat(dir).catch(() => undefined);
  if (!stats) return undefined;
  return problemWith(dir, stats, DIR_RULE) ? 'refused' : true;
}

/** The cached data when the file fits this script and is intact, else why not. */
function checkCache(cached: Buffer, header: Buffer): Buffer | 'stale' | 'corrupt' {
  if (cached.length < HEADER_BYTES || !cached.subarray(0, HEADER_BYTES).equals(header)) return 'stale';
  const digest = cached.subarray(HEADER_BYTES, HEADER_BYTES + DIGEST_BYTES);
  const data = cached.subarray(HEADER_BYTES + DIGEST_BYTES);
  return data.length > 0 && sha256(data).equals(digest) ? data : 'corrupt';
}

/**
 * Writes the caches this process could not use, now that the command has run the code it
 * needs: V8 includes the functions compiled so far, so the next run compiles none of them.
 * Never fails: a cache that cannot be written is simply not there next time.
 */
export async function saveCodeCaches(): Promise<void> {
  await Promise.all(pending.splice(0).map(save));
}

async function save({ script, file, header }: Pending): Promise<void> {
  try {
    await makeDirectory(path.dirname(file));
    // Never into a directory another user owns or can write: what we leave there, they could swap.
    if ((await trustedDirectory(path.dirname(file))) !== true) return;
    const data = script.createCachedData();
    await replaceFileAtomically(file, Buffer.concat([header, sha256(data), data]), 0o600);
  } catch {
    // Not there next time: only a slower start.
  }
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function headerFor(source: Buffer, version: string): Buffer {
  const hash = sha256(source).toString('hex');
  const text = `${FORMAT} sha256/${hash} gmailctl/${version} v8/${process.versions.v8} ${process.arch}\n`;
  const header = Buffer.alloc(HEADER_BYTES, ' ');
  header.write(text, 'utf8');
  return header;
}
