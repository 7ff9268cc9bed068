/**
 * Every terminal fact lives here: the streams, whether they are TTYs, colour, width,
 * a closed stdout (EPIPE) and the progress line. Commands receive an IO object and never
 * read process.stdout or process.env for these facts themselves.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { processEnvironment } from './environment.js';
import { toSafeLines } from './single-line.js';
import { redact } from './redact.js';
import { isClosedReader, stdoutIsRegularFile } from './stdout-state.js';
import { watchStdoutReader } from './stdout-reader.js';

interface IOOptions {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env?: NodeJS.ProcessEnv;
  debug?: boolean;
  quiet?: boolean;
  /** stdout is a regular file (`> out.tsv`); found out from fd 1 when stdout is not given. */
  stdoutIsFile?: boolean;
}

export class IO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
  readonly isStdoutTTY: boolean;
  readonly isStderrTTY: boolean;
  /** `gmailctl list > out.tsv`: the data goes to a file, never to the screen. */
  readonly isStdoutFile: boolean;
  /** Colour for things written to stdout / stderr (each stream decides on its own). */
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  debugEnabled: boolean;
  quiet: boolean;

  /** Aborted when stdout's reader goes away (`gmailctl list | head -1`) or a write fails. */
  readonly stdoutClosed: AbortSignal;
  private readonly stdoutClosedController = new AbortController();
  /** A write to stdout that failed (ENOSPC, EIO, a closed stdout): the command then exits 1. */
  stdoutFailure: NodeJS.ErrnoException | undefined;
  /** stdout is the process's own (fd 1), not a stream given by a test. */
  private readonly stdoutIsFd1: boolean;

  constructor(options: IOOptions = {}) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.stdoutIsFd1 = options.stdout === undefined;
    this.stderr = options.stderr ?? process.stderr;
    this.env = options.env ?? processEnvironment();
    this.isStdoutTTY = this.stdout.isTTY === true;
    this.isStderrTTY = this.stderr.isTTY === true;
    this.isStdoutFile = options.stdoutIsFile ?? (options.stdout === undefined && !this.isStdoutTTY && stdoutIsRegularFile());
    this.out = new Chalk({ level: colorLevel(this.isStdoutTTY, this.env) });
    this.err = new Chalk({ level: colorLevel(this.isStderrTTY, this.env) });
    this.debugEnabled = options.debug ?? isTruthy(this.env.GMAILCTL_DEBUG);
    this.quiet = options.quiet ?? false;
    this.stdoutClosed = this.stdoutClosedController.signal;
    this.stdout.on('error', (error: NodeJS.ErrnoException) => this.writeFailed(error));
  }

  /**
   * A reader that stops reading is not a failure of ours: stop producing, exit 0. Any
   * other failed write (a full disk) stops producing too, and the command exits 1.
   */
  private writeFailed(error: NodeJS.ErrnoException | null | undefined): void {
    if (!error) return;
    if (!isClosedReader(error) && !this.stdoutFailure) this.stdoutFailure = error;
    this.stdoutClosedController.abort();
  }

  /**
   * For a command that may write nothing for hours (list --follow): notices the reader of
   * stdout going away meanwhile, and aborts stdoutClosed then, as a failed write would
   * (src/basics/stdout-reader.ts). Answers how to stop watching.
   */
  watchReader(): () => void {
    if (!this.stdoutIsFd1 || this.stdoutClosed.aborted) return () => undefined;
    const stop = watchStdoutReader(() => this.stdoutClosedController.abort(), this.env);
    this.stdoutClosed.addEventListener('abort', stop, { once: true });
    return () => {
      this.stdoutClosed.removeEventListener('abort', stop);
      stop();
    };
  }

  /** Resolves once everything written so far has been handed to the OS (or failed to be). */
  async flush(): Promise<void> {
    if (this.stdoutClosed.aborted) return;
    await new Promise<void>((resolve) => {
      this.stdout.write('', (error) => {
        this.writeFailed(error);
        resolve();
      });
    });
    // A stream that failed reports it in an 'error' event on the next tick.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Columns of the terminal on stdout, or a sane width when there is none. */
  get terminalWidth(): number {
    const columns = this.stdout.columns ?? Number.parseInt(this.env.COLUMNS ?? '', 10);
    return Number.isFinite(columns) && columns > 0 ? columns : 80;
  }

  /** Writes data to stdout, waiting when the reader is slower than us (back-pressure). */
  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.stdoutClosed.aborted) return;
    if (this.stdout.write(chunk, (error) => this.writeFailed(error))) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.stdout.off('drain', done);
        this.stdoutClosed.removeEventListener('abort', done);
        resolve();
      };
      this.stdout.once('drain', done);
      this.stdoutClosed.addEventListener('abort', done, { once: true });
    });
  }

  /** A line for people on stderr (status, hints). Suppressed by --quiet. */
  info(line: string): void {
    if (!this.quiet) this.stderr.write(`${toSafeLines(redact(line))}\n`);
  }

  /** A warning on stderr; shown even with --quiet. */
  warn(line: string): void {
    this.stderr.write(`${this.err.yellow('warning:')} ${toSafeLines(redact(line))}\n`);
  }

  /** Details for --debug / GMAILCTL_DEBUG=1, always passed through the redactor. */
  debug(line: string): void {
    if (this.debugEnabled) this.stderr.write(`${this.err.dim(`debug: ${toSafeLines(redact(line))}`)}\n`);
  }

  /**
   * A single progress line on stderr, when stderr is a terminal and stdout is a terminal
   * or a file: with stdout in a pipe (`| cat`, `| tee`) the data may still land on the same
   * screen, and a line redrawn in place would mix into it; a file never reaches the screen.
   */
  progress(): ProgressLine {
    const rowsCannotInterleave = this.isStdoutTTY || this.isStdoutFile;
    return new ProgressLine(this.isStderrTTY && rowsCannotInterleave && !this.quiet ? this.stderr : undefined, (text) => this.err.dim(text));
  }
}

/**
 * The progress line's text cut to one column less than the terminal (a line that fills the
 * last column leaves the cursor in a state terminals disagree on), ending with "…". The text
 * is our own ASCII ("250 of ~1000 messages, 50/s, …"), so a character is a column.
 */
export function fitProgressText(text: string, columns: number): string {
  const room = columns - 1;
  if (room <= 0) return '';
  return text.length <= room ? text : `${text.slice(0, room - 1)}…`;
}

type TerminalStream = NodeJS.WritableStream & { columns?: number };

/**
 * One line redrawn in place on stderr. It never wraps: each drawing is cut to the width of
 * the moment, and a resize (Node's tty streams emit 'resize' on SIGWINCH) redraws it at once.
 * A terminal that re-wraps its lines when narrowed (tmux, VTE, kitty, Windows Terminal) then
 * shows the line on several rows: the erase goes up over all of them before drawing.
 */
export class ProgressLine {
  /** The text shown (uncut), and how many columns its drawing took; undefined when none is. */
  private shown: { text: string; width: number } | undefined;
  private readonly onResize = (): void => {
    if (this.shown) this.draw(this.shown.text);
  };

  constructor(
    private readonly stream: TerminalStream | undefined,
    private readonly style: (text: string) => string = (text) => text,
  ) {}

  update(text: string): void {
    if (!this.stream) return;
    if (!this.shown) this.stream.on('resize', this.onResize);
    this.draw(text);
  }

  clear(): void {
    if (!this.stream || !this.shown) return;
    this.stream.write(this.erase());
    this.stream.off('resize', this.onResize);
    this.shown = undefined;
  }

  private columns(): number {
    const columns = this.stream?.columns;
    return columns !== undefined && columns > 0 ? columns : 80;
  }

  private draw(text: string): void {
    const fitted = fitProgressText(text, this.columns());
    this.stream?.write(`${this.erase()}${this.style(fitted)}`);
    this.shown = { text, width: fitted.length };
  }

  /**
   * Erases every row the line takes at today's width, from the last up, and leaves the cursor
   * at the start of the first. Row by row (erase line, cursor up): an "erase to the end of the
   * screen" from the top-left corner counts as clearing the screen for tmux, which then
   * scrolls the screen into its history, progress line and all.
   */
  private erase(): string {
    const rows = this.shown ? Math.max(1, Math.ceil(this.shown.width / this.columns())) : 1;
    return `\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(rows - 1)}`;
  }
}

function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** https://no-color.org and the FORCE_COLOR convention shared with chalk and Node. */
function colorLevel(isTTY: boolean, env: NodeJS.ProcessEnv): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force.toLowerCase() === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (!isTTY || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /-256(color)?$/i.test(env.TERM ?? '') ? 2 : 1;
}
