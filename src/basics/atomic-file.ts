/**
 * Replacing a file atomically, so that a planted link is never followed: the new content goes
 * to a temporary file of a random name beside it, created with O_CREAT | O_EXCL (which
 * refuses any existing entry, a symbolic link included, rather than write through it), then
 * renamed over the file (a rename replaces a link itself, never what it points to). Readers
 * see the old content or the new, never half of it, whatever kills the process.
 *
 * Not write-file-atomic: its temporary name was predictable (a hash of its own path, the pid
 * and a counter) and opened without O_EXCL, so links planted at those names in a directory
 * others could write made a login overwrite ~/.bashrc. Only node: built-ins here: the code
 * cache uses it before anything else is loaded.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';

/** `random` makes the temporary name (tests pass a predictable one, to plant a link there). */
export async function replaceFileAtomically(file: string, content: string | Uint8Array, mode = 0o600, random: (size: number) => Buffer = randomBytes): Promise<void> {
  const temporary = `${file}.${random(8).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
