/**
 * The table for people at a terminal: columns fitted to its width (CJK and emoji measured
 * right), long fields cut with "…", unread subjects in bold, colour only on a TTY. Messages
 * (`list`) and conversations (`list --threads`, with a MSGS column) alike.
 */
import type { IO } from '../basics/io.js';
import type { MessageSummary } from '../gmail/message.js';
import type { ThreadSummary } from './objects.js';
import type { MessageWriter } from './writer.js';
import { toSingleLine } from '../basics/single-line.js';
import { displayName, fitToWidth } from './text.js';

const ID_WIDTH = 16;
const DATE_WIDTH = 16;
const GAP = '  ';
/** The message count of a conversation: right-aligned, as wide as its header. */
const COUNT_HEADER = 'MSGS';
/** Below this, the subject has no room to say anything: columns are dropped instead. */
const MIN_TEXT_WIDTH = 10;

interface TableLayout {
  /** The width of the MSGS column (0: none). */
  count: number;
  date: boolean;
  fromWidth: number; // 0: no FROM column
  subjectWidth: number;
}

/**
 * Fits the columns to the terminal: ID and SUBJECT always, FROM and DATE while there is
 * room for them (DATE goes first on a narrow terminal, then FROM). No line is ever wider
 * than the terminal, so rows never wrap.
 */
export function tableLayout(width: number, { count = false }: { count?: boolean } = {}): TableLayout {
  // The MSGS column (conversations) stays whatever the width, as the id does: it is narrow.
  const countWidth = count ? COUNT_HEADER.length : 0;
  const rest = (columns: number): number => width - ID_WIDTH - GAP.length * columns - (count ? countWidth + GAP.length : 0);
  const full = rest(3) - DATE_WIDTH;
  if (full >= 2 * MIN_TEXT_WIDTH) {
    // A third of the text for FROM, however wide: a name and address need room too.
    const fromWidth = Math.max(MIN_TEXT_WIDTH, Math.floor(full * 0.3));
    return { count: countWidth, date: true, fromWidth, subjectWidth: full - fromWidth };
  }
  if (rest(2) >= 2 * MIN_TEXT_WIDTH) {
    const fromWidth = Math.floor(rest(2) / 3);
    return { count: countWidth, date: false, fromWidth, subjectWidth: rest(2) - fromWidth };
  }
  return { count: countWidth, date: false, fromWidth: 0, subjectWidth: Math.max(rest(1), 0) };
}

/** What one row of the table shows. */
interface TableRow {
  id: string;
  /** ISO 8601 (shown in the reader's time zone). */
  date: string;
  from: string;
  /** Messages in the conversation (the MSGS column). */
  count?: number;
  subject: string;
  unread: boolean;
}

/** A message: its own date, sender and subject. */
const messageRow = (m: MessageSummary): TableRow => ({ id: m.id, date: m.date, from: m.from, subject: m.subject, unread: m.labelIds.includes('UNREAD') });

/** A conversation: its newest message's date and sender, its message count, its first subject. */
const threadRow = (t: ThreadSummary): TableRow => ({ id: t.id, date: t.date, from: t.from, count: t.messageCount, subject: t.subject, unread: t.labelIds.includes('UNREAD') });

/** The messages of `list`, fitted to the terminal. */
export function tableWriter(io: IO): MessageWriter {
  return rowsWriter(io, messageRow, { count: false, empty: 'No messages match.' });
}

/** The conversations of `list --threads`, fitted to the terminal, with their message counts. */
export function threadTableWriter(io: IO): MessageWriter<ThreadSummary> {
  return rowsWriter(io, threadRow, { count: true, empty: 'No conversations match.' });
}

/** Columns fitted to the terminal; the header comes with the first row, colour only on a TTY. */
function rowsWriter<T>(io: IO, row: (item: T) => TableRow, { count, empty }: { count: boolean; empty: string }): MessageWriter<T> {
  const layout = tableLayout(io.terminalWidth, { count });
  // Never cut: a cut id is useless to copy, so a very narrow terminal wraps the row instead.
  const c = io.out;
  let rows = 0;

  /** One line: each cell fitted to its column, styled, and joined. */
  const line = (id: string, date: string, from: string, messages: string, subject: string, style: (cell: string, column: number) => string): string => {
    const cells = [layout.subjectWidth > 0 || layout.count > 0 ? id.padEnd(ID_WIDTH) : id];
    if (layout.date) cells.push(fitToWidth(date, DATE_WIDTH));
    if (layout.fromWidth > 0) cells.push(fitToWidth(from, layout.fromWidth));
    if (layout.count > 0) cells.push(messages.padStart(layout.count));
    if (layout.subjectWidth > 0) cells.push(fitToWidth(subject, layout.subjectWidth, false));
    return cells.map(style).join(GAP);
  };

  return {
    async writePage(messages) {
      if (messages.length === 0) return;
      let chunk = '';
      if (rows === 0) chunk += `${line('ID', 'DATE', 'FROM', COUNT_HEADER, 'SUBJECT', (cell) => c.bold(cell))}\n`;
      for (const item of messages) {
        const r = row(item);
        const last = 1 + (layout.date ? 1 : 0) + (layout.fromWidth > 0 ? 1 : 0) + (layout.count > 0 ? 1 : 0);
        const style = (cell: string, column: number): string =>
          column === 0 || (column === 1 && layout.date) ? c.dim(cell) : column === last && r.unread ? c.bold(cell) : cell;
        chunk += `${line(r.id, localDate(r.date), toSingleLine(displayName(r.from)), String(r.count ?? ''), toSingleLine(r.subject), style)}\n`;
      }
      rows += messages.length;
      await io.write(chunk);
    },
    async end(outcome) {
      if (rows === 0 && outcome === 'complete') io.info(empty);
    },
  };
}

/** "2026-10-31 18:04" in the reader's time zone: a person reads the table, not a parser. */
function localDate(iso: string): string {
  if (iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}
