/**
 * Writers of whole messages (`show --format`): text for people, the raw message or an mbox
 * for mail tools, JSON for scripts — and the JSON objects they print. Each message is
 * written as soon as it is its turn; nothing is held back but the message being written.
 */
import type { IO } from '../basics/io.js';
import type { AttachmentSummary, ShownMessage } from '../schemas/objects.js';
import { jsonItemWriter, type ItemWriter } from './formats.js';
import { toSafeLines, toSafeTerminalText, toSingleLine } from '../basics/single-line.js';

export const WHOLE_MESSAGE_FORMATS = ['text', 'raw', 'mbox', 'json', 'ndjson'] as const;
export type WholeMessageFormat = (typeof WHOLE_MESSAGE_FORMATS)[number];

/**
 * A whole message as `show --format json|ndjson` prints it, and one of its attachments:
 * declared once, with their published schemas, in src/schemas/objects.ts.
 */
export type { AttachmentSummary, ShownMessage };

/** What a writer gets for each message. */
export interface WholeMessage {
  id: string;
  /** The RFC 822 message exactly as Gmail returned it (format=raw), decoded from base64url. */
  raw: Buffer;
  /** Milliseconds since the epoch: when Gmail received it. */
  internalDate: number;
  /** Parsed and decoded; absent for the formats that print the raw message. */
  shown: ShownMessage | undefined;
}

type WholeMessageWriter = ItemWriter<WholeMessage>;

/** Whether the format prints the message read (mail/read-message.ts), not only its raw bytes. */
export function needsReading(format: WholeMessageFormat): boolean {
  return format === 'text' || format === 'json' || format === 'ndjson';
}

/** `count` is how many messages were asked for: raw becomes an mbox when it is more than one. */
export function createWholeMessageWriter(format: WholeMessageFormat, io: IO, count: number): WholeMessageWriter {
  switch (format) {
    case 'text':
      return textWriter(io, count > 1);
    case 'raw':
      return count > 1 ? mboxWriter(io) : rawWriter(io);
    case 'mbox':
      return mboxWriter(io);
    case 'json':
    case 'ndjson': {
      const json = jsonItemWriter<ShownMessage>(format, io);
      return { write: async (item) => item.shown && (await json.write(item.shown)), end: (outcome) => json.end(outcome) };
    }
  }
}

/** The message exactly as Gmail returned it: for `> message.eml`. */
function rawWriter(io: IO): WholeMessageWriter {
  const out = forTerminal(io);
  return {
    write: (item) => io.write(out(item.raw)),
    async end() {},
  };
}

/**
 * Raw mail is written by strangers: on a terminal its escape sequences would move the cursor,
 * retitle the window or write the clipboard. There, like `ls` with a strange file name, the
 * controls show as spaces and a warning says so once; to a file or a pipe every byte goes as
 * it came.
 */
function forTerminal(io: IO): (bytes: Buffer) => Buffer | string {
  if (!io.isStdoutTTY) return (bytes) => bytes;
  let warned = false;
  return (bytes) => {
    if (!warned) io.warn('stdout is a terminal: control characters of the raw message are shown as spaces. Redirect it to a file (> message.eml) for the exact bytes.');
    warned = true;
    return toSafeTerminalText(bytes);
  };
}

/**
 * An mbox stream (mboxrd): each message after a `From ` line, its lines ending in LF, every
 * line that reads `From ` (after any number of `>`) quoted with one more `>` so that it
 * cannot start a message, and a blank line after it. Python's mailbox, mutt and
 * Thunderbird read it back, unquoting.
 */
function mboxWriter(io: IO): WholeMessageWriter {
  const out = forTerminal(io);
  return {
    write: (item) => io.write(out(toMboxEntry(item.raw, item.internalDate))),
    async end() {},
  };
}

function toMboxEntry(raw: Buffer, internalDate: number): Buffer {
  // latin1 maps each byte to one char and back: 8-bit bodies pass through untouched.
  const text = raw.toString('latin1').replace(/\r\n/g, '\n');
  const quoted = text.replace(/^(>*From )/gm, '>$1');
  const body = quoted.endsWith('\n') ? quoted : `${quoted}\n`;
  return Buffer.from(`From ${envelopeSender(text)} ${asctime(internalDate)}\n${body}\n`, 'latin1');
}

/** The address of the From header, for the envelope line; MAILER-DAEMON when there is none. */
function envelopeSender(message: string): string {
  const head = message.slice(0, Math.max(0, message.indexOf('\n\n')) || message.length);
  const from = /^from:[ \t]*((?:[^\n]|\n[ \t])*)/im.exec(head)?.[1] ?? '';
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? /([^\s<>",;:]+@[^\s<>",;:]+)/.exec(from)?.[1];
  return address ?? 'MAILER-DAEMON';
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The envelope date of an mbox `From ` line: asctime(3) in UTC, "Sat Oct 31 18:04:05 2026". */
function asctime(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * For people: a header block (Date in the local zone on a terminal, ISO 8601 in a pipe),
 * the body as text, the attachments. With several messages, each starts with `==> ID <==`
 * (as `head` and `tail` mark files) after a blank line. Everything from the mail goes
 * through the terminal cleaner.
 */
function textWriter(io: IO, several: boolean): WholeMessageWriter {
  let written = 0;
  return {
    async write(item) {
      const m = item.shown;
      if (!m) return;
      const lines: string[] = [];
      if (several) lines.push(...(written > 0 ? [''] : []), io.out.bold(`==> ${m.id} <==`));
      lines.push(...messageAsText(m, io));
      written += 1;
      await io.write(`${lines.join('\n')}\n`);
    },
    async end() {},
  };
}

/**
 * One message as the text format prints it, as lines: the header block, a blank line, the
 * body, the attachments (`thread` prints each message of a conversation this way too).
 */
export function messageAsText(m: ShownMessage, io: IO): string[] {
  const c = io.out;
  const lines: string[] = [];
  const header = (name: string, value: string): void => {
    if (value !== '' || name === 'Subject') lines.push(`${c.bold(`${name}:`.padEnd(9))}${toSingleLine(value)}`);
  };
  header('Date', io.isStdoutTTY ? localDate(m.date) : m.date);
  header('From', m.from);
  header('To', m.to);
  header('Cc', m.cc);
  header('Subject', m.subject);
  lines.push('');
  if (m.text !== '') lines.push(toSafeLines(m.text));
  else lines.push(c.dim(m.textSource === 'none' ? '(no text in this message)' : '(the message body is empty)'));
  if (m.attachments.length > 0) {
    lines.push('', c.bold(`Attachments (${m.attachments.length}):`));
    for (const a of m.attachments) {
      const name = a.filename === '' ? '(no name)' : toSingleLine(a.filename);
      lines.push(`  ${name}  ${c.dim(`${toSingleLine(a.mimeType)}, ${formatSize(a.size)}${a.disposition === 'inline' ? ', inline' : ''}`)}`);
    }
  }
  return lines;
}

/** "812 B", "1.2 KB", "3.4 MB": sizes in 1024s, one decimal below 10. */
function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "2026-10-31 18:04 +01:00" in the reader's zone: a person reads it, not a parser. */
function localDate(iso: string): string {
  if (iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.trunc(offset / 60))}:${two(offset % 60)}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())} ${zone}`;
}
