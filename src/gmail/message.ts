/**
 * One message as every output format sees it (the JSON formats print exactly this), and
 * how Gmail's answers become one.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { MessageSummary } from '../schemas/objects.js';

/** A message as `list` prints it in JSON: declared once, with its published schema, in src/schemas/objects.ts. */
export type { MessageSummary };

/** A message known only by its ids (`list --format ids`). */
export function idOnly(message: gmail_v1.Schema$Message): MessageSummary {
  return { id: message.id ?? '', threadId: message.threadId ?? '', labelIds: [], date: '', from: '', to: '', subject: '', snippet: '' };
}

export function toSummary(message: gmail_v1.Schema$Message): MessageSummary {
  const headers = message.payload?.headers ?? [];
  const header = (name: string): string => {
    const lower = name.toLowerCase();
    return headers.find((h) => h.name?.toLowerCase() === lower)?.value ?? '';
  };
  const millis = Number(message.internalDate);
  const date = message.internalDate ? new Date(millis) : undefined;
  return {
    id: message.id ?? '',
    threadId: message.threadId ?? '',
    labelIds: message.labelIds ?? [],
    // Out of Date's range (a garbage value) is no date, rather than an exception.
    date: date && Number.isFinite(date.getTime()) ? date.toISOString() : '',
    from: header('From'),
    to: header('To'),
    subject: header('Subject'),
    snippet: decodeHtmlEntities(message.snippet ?? ''),
  };
}

/** Gmail's snippets are HTML-escaped ("&#39;", "&amp;"); scripts want the text. */
export function decodeHtmlEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code = entity[1]?.toLowerCase() === 'x' ? Number.parseInt(entity.slice(2), 16) : Number.parseInt(entity.slice(1), 10);
      const isCharacter = Number.isFinite(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return isCharacter ? String.fromCodePoint(code) : whole;
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}
