/**
 * Facts about stdout that a failed write cannot tell us on its own. Kept tiny: the entry
 * module (`--version`) uses it too.
 */
import { fstatSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Whether the shell started us with stdout closed (`gmailctl list >&-`). Node then
 * reopens fd 1 on /dev/null so that writes "succeed" into nothing; it does so read-write
 * with close-on-exec, which a shell's `> /dev/null` (dup2: never close-on-exec) never is.
 * Linux only (/proc); elsewhere we cannot tell, and say nothing.
 */
export function stdoutClosedAtStart(): boolean {
  try {
    if (readlinkSync('/proc/self/fd/1') !== '/dev/null') return false;
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))?.[1];
    if (!flags) return false;
    const value = Number.parseInt(flags, 8);
    const O_ACCMODE = 0o3;
    const O_RDWR = 0o2;
    const O_CLOEXEC = 0o2000000;
    return (value & O_ACCMODE) === O_RDWR && (value & O_CLOEXEC) !== 0;
  } catch {
    return false;
  }
}

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

export function closedStdoutError(): NodeJS.ErrnoException {
  return Object.assign(new Error('EBADF: stdout is closed'), { code: 'EBADF' });
}
