/**
 * The rules for a file or directory that holds secrets (tokens.json and its directory, and
 * any private cache), as ssh's StrictModes applies them: looked at with lstat, so a symbolic
 * link is refused rather than followed into someone else's directory; it must belong to the
 * current user (gmailctl never chowns, so a file of another user stays theirs and is refused);
 * and no one else may read or write it.
 */
import { lstat } from 'node:fs/promises';

export type PrivateKind = 'file' | 'directory';

/** Builds the error to throw, from what is wrong and what to do; each store has its own error class. */
export type Refusal = (message: string, hint: string) => Error;

/** Whether `target` exists; throws `refuse(…)` when it exists but is not private to this user. */
export async function checkPrivatePath(target: string, kind: PrivateKind, refuse: Refusal): Promise<boolean> {
  if (process.platform === 'win32') return true; // modes and owners mean nothing there; ACLs protect the profile
  let stats;
  try {
    stats = await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw refuse(`Cannot read ${target}: ${(error as Error).message}`, 'Check the permissions of the path.');
  }
  const wanted = kind === 'file' ? 0o600 : 0o700;
  const moveAway = `Move it away and log in again; gmailctl never follows links or changes owners.`;
  if (stats.isSymbolicLink()) throw refuse(`Refusing to use ${target}: the ${kind} is a symbolic link.`, moveAway);
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) throw refuse(`Refusing to use ${target}: it is not a ${kind}.`, moveAway);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw refuse(`Refusing to use ${target}: the ${kind} belongs to another user (uid ${stats.uid}).`, moveAway);
  }
  if ((stats.mode & 0o077) !== 0) {
    const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw refuse(
      `Refusing to use ${target}: the ${kind} is readable by others (mode ${octal}).`,
      `Run: chmod ${wanted.toString(8)} '${target}'  (and consider the tokens in it leaked: gmailctl logout, then login)`,
    );
  }
  return true;
}
