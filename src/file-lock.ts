/**
 * Read-modify-write of a shared file (config.json, tokens.json) under a lock, so that two
 * gmailctl processes (two logins, a login and a list that refreshes) cannot lose each
 * other's change. proper-lockfile takes a lock directory next to the file, retries while
 * another process holds it, and breaks a lock left behind by a killed process.
 */
import lockfile from 'proper-lockfile';
import { ConfigError } from './errors.js';

export async function withFileLock<T>(file: string, change: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      realpath: false, // the file may not exist yet
      stale: 5_000, // a lock left by a killed process is broken after this long
      retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new ConfigError(`Another gmailctl is still changing ${file}.`, {
        hint: `Try again; if no other gmailctl runs, remove ${file}.lock`,
        cause: error,
      });
    }
    throw new ConfigError(`Cannot lock ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await change();
  } finally {
    await release().catch(() => undefined);
  }
}
