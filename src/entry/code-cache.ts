/**
 * Loads a CommonJS script of the bundle (dist/app.js: gmailctl; dist/google-libraries.js:
 * Google's client libraries) with a V8 code cache, as v8-compile-cache does for CommonJS: the bytecode V8 compiled on an
 * earlier run is handed back to it, so that the script is neither parsed nor compiled again.
 * (Node 22.1+ has module.enableCompileCache(); gmailctl supports Node 20, which has vm.Script's
 * cachedData only.)
 *
 * The cache is one file per script in <cache dir>/code-cache/. It is safe to lose: a missing,
 * unreadable, stale or corrupt file only means a normal compile, after which the process
 * writes a fresh one (atomically) when its command is done. It is checked before use: its
 * header names the format, the SHA-256 of the script it was made from, gmailctl's version,
 * Node's V8 version and the architecture, and a SHA-256 of the cached data follows it (V8
 * itself checks little more than versions and the script's length); V8 checks its version
 * and flags again. It never holds a secret: it is compiled library code, made from the
 * script's text alone.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { makeDirectory } from '../basics/make-directory.js';

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
 * What became of the cache: `used`; `missing` (none yet, or unreadable); `stale` (made from
 * another script, release, Node or architecture); `corrupt` (its data does not match its
 * checksum); `rejected` by V8's own checks; `off` (no cache directory). All but `used` and
 * `off` write a fresh cache at saveCodeCaches().
 */
export type CacheOutcome = 'used' | 'missing' | 'stale' | 'corrupt' | 'rejected' | 'off';

export interface LoadedScript {
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
  const [source, cached] = await Promise.all([readFile(file), cacheFile ? readFile(cacheFile).catch(() => undefined) : undefined]);
  const header = headerFor(source, options.version);
  const check = cached ? checkCache(cached, header) : undefined;
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
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await makeDirectory(path.dirname(file));
    const data = script.createCachedData();
    await writeFile(temporary, Buffer.concat([header, sha256(data), data]), { mode: 0o600 });
    await rename(temporary, file);
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
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
