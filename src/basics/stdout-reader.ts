/**
 * Noticing that the reader of stdout went away while nothing is being written: `gmailctl list
 * --follow | head -1` whose line came an hour ago, in a quiet mailbox.
 *
 * Node sees nothing of it until a write fails with EPIPE: the write end of a pipe cannot be
 * read (libuv's readStart answers ENOTCONN), a write of zero bytes succeeds whoever reads,
 * and no event comes. poll(2) can tell (POLLERR on a pipe whose readers are gone, POLLHUP on
 * a socket whose peer closed), but Node does not offer it. GNU tail does it for us: since
 * coreutils 8.28, `tail -f` polls its stdout and dies of SIGPIPE when the reader is gone. So
 * a `tail -f --pid=OURS /dev/null` that shares our stdout, writes nothing and reads nothing,
 * is the watcher: its death by SIGPIPE is the news. `--pid` ends it within a second of us
 * however we end (kill -9 included); we end it ourselves when we stop watching or exit.
 * Where tail is not GNU's (macOS, busybox) it exits at once on the unknown option, or never
 * notices: then, as before, the next write finds the reader gone.
 */
import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';

/** Whether fd 1 is a pipe or a socket: the kinds of stdout whose reader can go away. */
function stdoutHasReader(): boolean {
  try {
    const stats = fstatSync(1);
    return stats.isFIFO() || stats.isSocket();
  } catch {
    return false;
  }
}

/**
 * Calls `gone` once the reader of stdout is gone (not for a terminal, a file or /dev/null,
 * which have none). Answers how to stop watching.
 */
export function watchStdoutReader(gone: () => void, env: NodeJS.ProcessEnv): () => void {
  if (process.platform === 'win32' || !stdoutHasReader()) return () => undefined;
  let watcher: ReturnType<typeof spawn>;
  try {
    // Our stdout, nothing else; no environment of ours but PATH (to find tail).
    watcher = spawn('tail', ['-f', `--pid=${process.pid}`, '/dev/null'], {
      stdio: ['ignore', 1, 'ignore'],
      env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    });
  } catch {
    return () => undefined;
  }
  watcher.on('error', () => undefined); // no tail here: the next write will tell
  watcher.on('exit', (_code, signal) => {
    process.off('exit', stop);
    if (signal === 'SIGPIPE') gone();
  });
  watcher.unref();
  // It holds our stdout open: a reader waiting for the end must not wait for it.
  const stop = (): void => {
    if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill();
  };
  process.on('exit', stop);
  return () => {
    process.off('exit', stop);
    stop();
  };
}
