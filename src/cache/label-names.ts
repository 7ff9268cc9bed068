/**
 * The label names that shell completion offers for --label: written by `gmailctl labels`
 * (which lists them anyway), read by the hidden `gmailctl __labels` without a keychain or a
 * network call, so that a TAB is instant and never prompts. A private file beside the
 * account's message cache, deleted with it (`cache clear`). Safe to lose.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolveCacheDir } from '../basics/cache-dir.js';
import { writePrivateFile } from '../basics/shared-file.js';
import { cacheFile, labelNamesFile } from './paths.js';

/** Remembers the names (best effort: a cache directory that cannot be written is no failure). */
export async function rememberLabelNames(env: NodeJS.ProcessEnv, account: string, names: readonly string[]): Promise<void> {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await writePrivateFile(labelNamesFile(cacheFile(dir, account)), `${JSON.stringify(names)}\n`);
  } catch {
    // completion then offers the system labels only
  }
}

/** The names remembered for the account; [] when none are. */
export function knownLabelNames(env: NodeJS.ProcessEnv, account: string): string[] {
  const dir = resolveCacheDir(env);
  if (dir === undefined) return [];
  try {
    const names: unknown = JSON.parse(readFileSync(labelNamesFile(cacheFile(dir, account)), 'utf8'));
    return Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
  } catch {
    return [];
  }
}

