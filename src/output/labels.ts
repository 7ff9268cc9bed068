/**
 * The writers behind `gmailctl labels --format`: a table for people (names fitted to the
 * terminal, counts right-aligned, labels with unread mail in bold), TSV for awk, JSON and
 * NDJSON for jq. Labels are few: they are written in one go.
 */
import stringWidth from 'string-width';
import type { IO } from '../basics/io.js';
import { isSystemLabelId, type GmailLabel } from '../gmail/labels.js';
import { jsonArrayWriter, lineWriter, type LabelFormat } from './formats.js';
import type { LabelObject } from './objects.js';
import { toJson, toSingleLine } from '../basics/single-line.js';
import { fitToWidth } from './text.js';


const COUNTS = ['messagesTotal', 'messagesUnread', 'threadsTotal', 'threadsUnread'] as const;

/** System labels in the order Gmail's own list shows them; others of Gmail's after these, by id. */
const SYSTEM_ORDER = ['INBOX', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'SPAM', 'TRASH', 'UNREAD', 'CHAT', 'CATEGORY_PERSONAL', 'CATEGORY_SOCIAL', 'CATEGORY_PROMOTIONS', 'CATEGORY_UPDATES', 'CATEGORY_FORUMS'];

/** The printed objects, in the printed order: Gmail's labels first, then the user's by name. `counts`: with the four counts (0 when Gmail leaves one out). */
export function toLabelObjects(labels: readonly GmailLabel[], counts: boolean): LabelObject[] {
  return sortLabels(
    labels.map((label) => ({
      id: label.id,
      name: label.name ?? label.id,
      type: label.type === 'user' || label.type === 'system' ? label.type : isSystemLabelId(label.id) ? 'system' : 'user',
      ...(counts ? Object.fromEntries(COUNTS.map((field) => [field, typeof label[field] === 'number' ? label[field] : 0])) : {}),
    })),
  );
}

/** System labels first, in Gmail's order; then the user's by name (case-insensitively, numbers as numbers, then exactly). */
export function sortLabels(labels: readonly LabelObject[]): LabelObject[] {
  const rank = (label: LabelObject): number => {
    if (label.type !== 'system') return Number.POSITIVE_INFINITY;
    const known = SYSTEM_ORDER.indexOf(label.id);
    return known < 0 ? SYSTEM_ORDER.length : known;
  };
  const byName = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
  return [...labels].sort((a, b) => rank(a) - rank(b) || byName.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.id < b.id ? -1 : 1));
}

/** `id⇥name⇥type⇥messagesTotal⇥messagesUnread⇥threadsTotal⇥threadsUnread`; without counts, the first three. */
export function labelTsvLine(label: LabelObject): string {
  const counts = label.messagesTotal === undefined ? [] : COUNTS.map((field) => String(label[field] ?? 0));
  return [label.id, label.name, label.type, ...counts].map(toSingleLine).join('\t');
}

export async function writeLabels(io: IO, format: LabelFormat, labels: readonly LabelObject[]): Promise<void> {
  switch (format) {
    case 'tsv': {
      const writer = lineWriter<LabelObject>(io, labelTsvLine);
      await writer.writePage(labels);
      return writer.end('complete');
    }
    case 'ndjson': {
      const writer = lineWriter<LabelObject>(io, (label) => toJson(label));
      await writer.writePage(labels);
      return writer.end('complete');
    }
    case 'json': {
      const writer = jsonArrayWriter<LabelObject>(io);
      await writer.writePage(labels);
      return writer.end('complete');
    }
    case 'table':
      return io.write(labelTable(labels, io.terminalWidth, io.out));
  }
}

const GAP = '  ';
const MIN_NAME_WIDTH = 12;

/**
 * NAME, then MESSAGES UNREAD THREADS UNREAD (right-aligned) when counted, then TYPE and ID
 * while they fit; the name takes what is left, cut with "…". Never wider than `width`.
 */
export function labelTable(labels: readonly LabelObject[], width: number, style: { bold(text: string): string; dim(text: string): string }): string {
  const counted = labels.some((label) => label.messagesTotal !== undefined);
  const numbers: Array<{ title: string; value: (label: LabelObject) => string }> = counted
    ? [
        { title: 'MESSAGES', value: (l) => String(l.messagesTotal ?? '') },
        { title: 'UNREAD', value: (l) => String(l.messagesUnread ?? '') },
        { title: 'THREADS', value: (l) => String(l.threadsTotal ?? '') },
        { title: 'UNREAD', value: (l) => String(l.threadsUnread ?? '') },
      ]
    : [];
  const widths = numbers.map((column) => Math.max(column.title.length, ...labels.map((label) => column.value(label).length)));
  const typeWidth = 'TYPE'.length + 2;
  const idWidth = Math.max(2, ...labels.map((label) => toSingleLine(label.id).length));
  const fixed = widths.reduce((sum, w) => sum + w + GAP.length, 0);
  const longestName = Math.max(4, ...labels.map((label) => stringWidth(toSingleLine(label.name))));
  // TYPE and ID go first when the terminal is narrow: the name and the counts are what is read.
  const showType = width - fixed - typeWidth - GAP.length >= MIN_NAME_WIDTH;
  const showId = showType && width - fixed - typeWidth - idWidth - 2 * GAP.length >= MIN_NAME_WIDTH;
  const nameWidth = Math.max(1, Math.min(longestName, width - fixed - (showType ? typeWidth + GAP.length : 0) - (showId ? idWidth + GAP.length : 0)));
  const row = (name: string, cells: string[], type: string, id: string, bold: boolean): string => {
    const parts = [bold ? style.bold(fitToWidth(name, nameWidth)) : fitToWidth(name, nameWidth), ...cells.map((cell, index) => cell.padStart(widths[index]!))];
    if (showType) parts.push(type.padEnd(typeWidth));
    if (showId) parts.push(style.dim(id));
    return parts.join(GAP).trimEnd();
  };
  const lines = [style.bold(row('NAME', numbers.map((column) => column.title), 'TYPE', 'ID', false))];
  for (const label of labels) {
    const unread = (label.messagesUnread ?? 0) > 0 && label.id !== 'UNREAD';
    lines.push(row(toSingleLine(label.name), numbers.map((column) => column.value(label)), label.type, toSingleLine(label.id), unread));
  }
  return `${lines.join('\n')}\n`;
}
