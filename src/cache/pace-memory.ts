/**
 * What the quota pacer learned about Gmail's per-user quota, remembered between runs: the
 * pace Gmail refills at, how much its bucket holds, when it was learned and when the last
 * run that used it ended (so the next one knows how much of the bucket has come back). One
 * file per account in the cache directory, `<account>.quota.json` (mode 0600, in a 0700
 * directory, under the same ownership checks as the message cache), holding one entry per
 * OAuth client: the quota belongs to the client's project. Safe to lose: without it a run
 * learns the quota again. A login from the environment (CI) uses no file; a file that cannot
 * be read or written is left alone, and the run goes on as if there were none.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { inspectPathSync, type PathRule } from '../basics/private-path.js';
import { accountFile, accountOfFile } from './paths.js';

/** The pace memory's files are named after the account; the suffix tells them from the message cache. */
const PACE_SUFFIX = '.quota.json';
/**
 * A remembered quota is used for a day: a project's quota changes rarely, and the first run
 * of a day meets a full bucket anyway, where a cold start learns a raised quota again.
 */
const REMEMBER_FOR_MS = 24 * 60 * 60 * 1000;

interface RememberedPace {
  /** Gmail's refill as the pacer keeps it, in the pacer's units (a get = 5) per second. */
  unitsPerSecond: number;
  /** What Gmail's bucket held when it was full, in the same units; absent when unknown. */
  bucketUnits?: number;
  /** When it was learned (ms since the epoch). */
  learnedAt: number;
  /** When the last run that spent from the bucket ended. */
  endedAt: number;
  /** Still being learned (the pace reached so far, below Gmail's): the next run climbs on from it. */
  learning?: boolean;
}

const RULE: PathRule = { kind: 'file', replaceHint: 'Delete it (gmailctl cache clear); the quota is learned again.' };
const DIR_RULE: PathRule = { kind: 'directory', replaceHint: 'Remove it or set GMAILCTL_CACHE_DIR to a directory of your own.' };

function paceFile(cacheDir: string, account: string): string {
  return accountFile(cacheDir, account, PACE_SUFFIX);
}

export interface PaceMemory {
  file: string;
  /** The remembered pace for this client, if there is a usable one (not older than a day). */
  remembered?: RememberedPace;
  /** Why the file was not used, when it exists but could not be. */
  problem?: string;
}

/** The memory of this account and OAuth client; undefined when there is no cache directory. */
export function loadPace(env: NodeJS.ProcessEnv, account: string, clientId: string, now = Date.now()): PaceMemory | undefined {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return undefined;
  const file = paceFile(dir, account);
  const { exists, problem } = inspectPathSync(file, RULE);
  if (problem) return { file, problem: problem.what };
  if (!exists) return { file };
  try {
    const entry = (readEntries(file)[clientId] ?? undefined) as Partial<RememberedPace> | undefined;
    const usable =
      entry !== undefined &&
      positive(entry.unitsPerSecond) &&
      positive(entry.learnedAt) &&
      positive(entry.endedAt) &&
      (entry.bucketUnits === undefined || positive(entry.bucketUnits)) &&
      now - entry.learnedAt <= REMEMBER_FOR_MS &&
      entry.learnedAt <= now + 60_000;
    return usable ? { file, remembered: entry as RememberedPace } : { file };
  } catch (error) {
    return { file, problem: `it cannot be read (${(error as Error).message})` };
  }
}

/** Writes this client's entry (atomically, 0600); answers why not when it could not. */
export function savePace(env: NodeJS.ProcessEnv, account: string, clientId: string, pace: RememberedPace): string | undefined {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return 'no cache directory';
  const file = paceFile(dir, account);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const dirProblem = inspectPathSync(dir, DIR_RULE).problem;
    if (dirProblem) return `${dir}: ${dirProblem.what}`;
    const { exists, problem } = inspectPathSync(file, RULE);
    if (problem) return `${file}: ${problem.what}`;
    const entries = exists ? safeEntries(file) : {};
    entries[clientId] = pace;
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temporary, file);
    } finally {
      rmSync(temporary, { force: true });
    }
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Deletes the account's pace memory; answers the bytes it took (0 when there was none). */
export function removePaceFile(cacheDir: string, account: string): number {
  const file = paceFile(cacheDir, account);
  try {
    if (lstatSync(file).isDirectory()) return 0;
    const bytes = statSync(file).size;
    rmSync(file, { force: true });
    return bytes;
  } catch {
    return 0;
  }
}

/** The account a pace memory file belongs to, or undefined for any other file. */
export function accountOfPaceFile(name: string): string | undefined {
  return accountOfFile(name, PACE_SUFFIX);
}

function readEntries(file: string): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  return parsed as Record<string, unknown>;
}

/** A damaged file is replaced rather than kept: it only held what can be learned again. */
function safeEntries(file: string): Record<string, unknown> {
  try {
    return readEntries(file);
  } catch {
    return {};
  }
}

function positive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Where a run starts from what was remembered: the pace, and what has come back into Gmail's
 * bucket since the last run ended (all of it after a pause long enough to refill it).
 */
export function startingPoint(remembered: RememberedPace, now = Date.now()): { unitsPerSecond: number; availableUnits: number; bucketUnits?: number; learning?: boolean } {
  const refilled = (Math.max(0, now - remembered.endedAt) / 1000) * remembered.unitsPerSecond;
  return {
    unitsPerSecond: remembered.unitsPerSecond,
    availableUnits: Math.min(remembered.bucketUnits ?? 0, refilled),
    ...(remembered.bucketUnits !== undefined ? { bucketUnits: remembered.bucketUnits } : {}),
    ...(remembered.learning === true ? { learning: true } : {}),
  };
}
