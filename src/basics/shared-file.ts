/**
 * Writing the shared files (config.json, tokens.json). Each read-modify-write runs under a
 * lock, so that two gmailctl processes (two logins, a login and a list that refreshes)
 * cannot lose each other's change: proper-lockfile takes a lock directory next to the file,
 * retries while another process holds it, and breaks a lock left behind by a killed process.
 */
import { replaceFileAtomically } from './atomic-file.js';
import { ConfigError } from './errors.js';

export async function withFileLock<T>(file: string, change: () => Promise<T>): Promise<T> {
  // Loaded on first write only: reads (every list, every token) never need it.
  const { default: lockfile } = await import('proper-lockfile');
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

/**
 * Replaces a file atomically (a temporary file of a random name, created so that a planted
 * link is never followed, then a rename), mode 0600: readers see the old content or the new,
 * never half of it. A new file, so it never keeps another user's ownership.
 */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  await replaceFileAtomically(file, content, 0o600);
}
