/**
 * The table for people at a terminal: columns fitted to its width (CJK and emoji measured
 * right), long fields cut with "…", unread subjects in bold, colour only on a TTY.
 */
import type { IO } from '../basics/io.js';
import type { MessageWriter } from './writer.js';
import { toSingleLine } from '../basics/single-line.js';
import { displayName, fitToWidth } from './text.js';

const ID_WIDTH = 16;
const DATE_WIDTH = 16;
const GAP = '  ';
/** Below this, the subject has no room to say anything: columns are dropped instead. */
const MIN_TEXT_WIDTH = 10;

interface TableLayout {
  date: boolean;
  fromWidth: number; // 0: no FROM column
  subjectWidth: number;
}

/**
 * Fits the columns to the terminal: ID and SUBJECT always, FROM and DATE while there is
 * room for them (DATE goes first on a narrow terminal, then FROM). No line is ever wider
 * than the terminal, so rows never wrap.
 */
export function tableLayout(width: number): TableLayout {
  const rest = (columns: number): number => width - ID_WIDTH - GAP.length * columns;
  const full = rest(3) - DATE_WIDTH;
  if (full >= 2 * MIN_TEXT_WIDTH) {
    // A third of the text for FROM, however wide: a name and address need room too.
    const fromWidth = Math.max(MIN_TEXT_WIDTH, Math.floor(full * 0.3));
    return { date: true, fromWidth, subjectWidth: full - fromWidth };
  }
  if (rest(2) >= 2 * MIN_TEXT_WIDTH) {
    const fromWidth = Math.floor(rest(2) / 3);
    return { date: false, fromWidth, subjectWidth: rest(2) - fromWidth };
  }
  return { date: false, fromWidth: 0, subjectWidth: Math.max(rest(1), 0) };
}

/** Columns fitted to the terminal; the header comes with the first row, colour only on a TTY. */
export function tableWriter(io: IO): MessageWriter {
  const layout = tableLayout(io.terminalWidth);
  // Never cut: a cut id is useless to copy, so a very narrow terminal wraps the row instead.
  const c = io.out;
  let rows = 0;

  /** One line: each cell fitted to its column, styled, and joined. */
  const line = (id: string, date: string, from: string, subject: string, style: (cell: string, column: number) => string): string => {
    const cells = [layout.subjectWidth > 0 ? id.padEnd(ID_WIDTH) : id];
    if (layout.date) cells.push(fitToWidth(date, DATE_WIDTH));
    if (layout.fromWidth > 0) cells.push(fitToWidth(from, layout.fromWidth));
    if (layout.subjectWidth > 0) cells.push(fitToWidth(subject, layout.subjectWidth, false));
    return cells.map(style).join(GAP);
  };

  return {
    async writePage(messages) {
      if (messages.length === 0) return;
      let chunk = '';
      if (rows === 0) chunk += `${line('ID', 'DATE', 'FROM', 'SUBJECT', (cell) => c.bold(cell))}\n`;
      for (const m of messages) {
        const unread = m.labelIds.includes('UNREAD');
        const last = 1 + (layout.date ? 1 : 0) + (layout.fromWidth > 0 ? 1 : 0);
        const style = (cell: string, column: number): string =>
          column === 0 || (column === 1 && layout.date) ? c.dim(cell) : column === last && unread ? c.bold(cell) : cell;
        chunk += `${line(m.id, localDate(m.date), toSingleLine(displayName(m.from)), toSingleLine(m.subject), style)}\n`;
      }
      rows += messages.length;
      await io.write(chunk);
    },
    async end(outcome) {
      if (rows === 0 && outcome === 'complete') io.info('No messages match.');
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
