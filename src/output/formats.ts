/**
 * The streaming writers behind `list --format`. Each page is written as one chunk as soon
 * as it arrives; nothing is buffered across pages, so memory stays flat and a reader sees
 * rows while later pages are still being fetched.
 */
import type { IO } from '../basics/io.js';
import type { MessageSummary } from '../gmail/message.js';
import type { ThreadSummary } from './objects.js';
import { toJson, toSingleLine } from '../basics/single-line.js';
import type { ItemWriter, MessageWriter } from './writer.js';

export type { ItemWriter, MessageWriter, Outcome } from './writer.js';

export const OUTPUT_FORMATS = ['ids', 'tsv', 'table', 'json', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `gmailctl labels --format` (src/output/labels.ts). */
export const LABEL_FORMATS = ['table', 'tsv', 'json', 'ndjson'] as const;
export type LabelFormat = (typeof LABEL_FORMATS)[number];

/** What a person at a terminal wants to read; what a pipe wants to parse. */
export function defaultFormat(io: IO): OutputFormat {
  return io.isStdoutTTY ? 'table' : 'tsv';
}

/** The table writer (and the width tables it needs) loads only when a table is asked for. */
export function createMessageWriter(format: OutputFormat, io: IO): Promise<MessageWriter> {
  return rowWriter<MessageSummary>(format, io, (m) => [m.id, m.date, m.from, m.subject], async () => (await import('./table.js')).tableWriter(io));
}

/**
 * `list --threads`: the same formats, a conversation a row. TSV: id, the newest message's
 * date and sender, the message count, the first subject; JSON/NDJSON: the thread objects.
 */
export function createThreadSummaryWriter(format: OutputFormat, io: IO): Promise<MessageWriter<ThreadSummary>> {
  return rowWriter<ThreadSummary>(format, io, (t) => [t.id, t.date, t.from, String(t.messageCount), t.subject], async () => (await import('./table.js')).threadTableWriter(io));
}

/** A format's writer for rows with an id: `tsvFields` for TSV (each cleaned onto one line), `table` for the table. */
async function rowWriter<T extends { id: string }>(format: OutputFormat, io: IO, tsvFields: (row: T) => string[], table: () => Promise<MessageWriter<T>>): Promise<MessageWriter<T>> {
  switch (format) {
    case 'ids':
      return lineWriter<T>(io, (row) => row.id);
    case 'tsv':
      return lineWriter<T>(io, (row) => tsvFields(row).map(toSingleLine).join('\t'));
    case 'ndjson':
      return lineWriter<T>(io, (row) => toJson(row));
    case 'json':
      return jsonArrayWriter<T>(io);
    case 'table':
      return table();
  }
}

export function lineWriter<T>(io: IO, line: (message: T) => string): MessageWriter<T> {
  return {
    async writePage(messages) {
      if (messages.length > 0) await io.write(`${messages.map(line).join('\n')}\n`);
    },
    async end() {},
  };
}

/** One JSON array, opened with the first page: `[]` when empty, closed even when cut short. */
export function jsonArrayWriter<T>(io: IO): MessageWriter<T> {
  let opened = false;
  return {
    async writePage(messages) {
      if (messages.length === 0) return;
      const items = messages.map((m) => `  ${toJson(m)}`).join(',\n');
      await io.write(`${opened ? ',\n' : '[\n'}${items}`);
      opened = true;
    },
    async end(outcome) {
      if (opened) await io.write('\n]\n');
      // A failure before anything was written prints nothing: no `[]` that looks like "no mail".
      else if (outcome !== 'failed') await io.write('[]\n');
    },
  };
}

/** Whole objects one at a time, as one JSON array (`json`) or one object a line (`ndjson`). */
export function jsonItemWriter<T>(format: 'json' | 'ndjson', io: IO): ItemWriter<T> {
  const pages = format === 'json' ? jsonArrayWriter<T>(io) : lineWriter<T>(io, (item) => toJson(item));
  return { write: (item) => pages.writePage([item]), end: (outcome) => pages.end(outcome) };
}
