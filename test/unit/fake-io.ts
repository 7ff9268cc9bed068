/**
 * An IO over in-memory streams, so the writers can be watched without a terminal.
 * `tty` and `columns` are set on the stream objects, as Node sets them on a real TTY.
 */
import { PassThrough, Readable } from 'node:stream';
import { IO } from '../../src/basics/io.js';

export interface FakeTerminal {
  io: IO;
  /** Everything written to stdout so far. */
  out(): string;
  /** The same, byte for byte (raw messages need not be UTF-8). */
  outBytes(): Buffer;
  /** Everything written to stderr so far. */
  err(): string;
}

export interface FakeTerminalOptions {
  tty?: boolean;
  columns?: number;
  env?: NodeJS.ProcessEnv;
  quiet?: boolean;
  /** What stdin holds (default: nothing, and it is at its end at once). */
  stdin?: string;
}

export function fakeTerminal(options: FakeTerminalOptions = {}): FakeTerminal {
  const stdout = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  const stderr = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  if (options.tty) {
    stdout.isTTY = true;
    stderr.isTTY = true;
  }
  if (options.columns !== undefined) {
    stdout.columns = options.columns;
    stderr.columns = options.columns;
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const io = new IO({ stdin, stdout, stderr, env: options.env ?? {}, ...(options.quiet !== undefined ? { quiet: options.quiet } : {}) });
  return { io, out: () => Buffer.concat(out).toString('utf8'), outBytes: () => Buffer.concat(out), err: () => Buffer.concat(err).toString('utf8') };
}

/** Lets PassThrough deliver what was written (its 'data' events run on the next ticks). */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}
