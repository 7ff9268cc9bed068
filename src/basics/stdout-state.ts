/**
 * Facts about stdout that a failed write cannot tell us on its own. Kept tiny: the entry
 * module (`--version`) uses it too.
 */
import { fstatSync } from 'node:fs';

/*
 * No "was stdout closed at start?" check: when a shell starts us with `>&-`, Node reopens
 * fd 1 on /dev/null, read-write and close-on-exec, which is exactly what fd 1 looks like
 * under Node's `stdio: 'ignore'`, Python's `subprocess.DEVNULL`, systemd's
 * `StandardOutput=null` or `1<>/dev/null` (Node sets close-on-exec on fd 1 itself). Those
 * are ordinary ways to throw output away, so a command whose stdout is /dev/null succeeds;
 * that `>&-` then succeeds too is the lesser wrong.
 */

/** Whether fd 1 is a regular file (`> out.tsv`), not a pipe, socket or device. */
export function stdoutIsRegularFile(): boolean {
  try {
    return fstatSync(1).isFile();
  } catch {
    return false;
  }
}

/** A reader that went away (`| head -1`): not a failure of ours. */
export function isClosedReader(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}

/** "could not write to stdout: no space left on device (ENOSPC)". */
export function describeWriteFailure(error: NodeJS.ErrnoException): string {
  if (error.code === 'EBADF') return 'could not write to stdout: it is closed';
  const reason = error.code ? error.message.replace(new RegExp(`^${error.code}:\\s*`), '').replace(/,\s*write$/, '') : error.message;
  return `could not write to stdout: ${reason}${error.code ? ` (${error.code})` : ''}`;
}
