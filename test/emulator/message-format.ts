/**
 * A seeded message rendered as users.messages.get returns it, in each `format`:
 * minimal, metadata (headers only, optionally filtered), full (MIME tree with base64url
 * bodies) and raw (the whole RFC 822 message, base64url).
 */
import { escapeHtml } from './html.js';
import { messageBody, messageHeaders, type Header, type MailboxMessage } from './mailbox.js';

export const MESSAGE_FORMATS = ['minimal', 'metadata', 'full', 'raw'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

function htmlBody(message: MailboxMessage): string {
  return `<div dir="ltr">${escapeHtml(messageBody(message)).replace(/\r\n/g, '<br>')}</div>\r\n`;
}

function bodyPart(partId: string, mimeType: string, text: string): object {
  return {
    partId,
    mimeType,
    filename: '',
    headers: [
      { name: 'Content-Type', value: `${mimeType}; charset="UTF-8"` },
      { name: 'Content-Transfer-Encoding', value: 'quoted-printable' },
    ],
    body: { size: Buffer.byteLength(text), data: base64url(text) },
  };
}

/** RFC 2047 encoded-word for header values that are not plain printable ASCII. */
function encodeHeaderValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function rawMessage(message: MailboxMessage): string {
  const boundary = `000000000000${message.id}`;
  const headers = messageHeaders(message)
    .map(({ name, value }) => `${name}: ${name === 'From' || name === 'To' || name === 'Subject' ? encodeHeaderValue(value) : value}`)
    .join('\r\n');
  const part = (mimeType: string, text: string): string =>
    `--${boundary}\r\nContent-Type: ${mimeType}; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(text).toString('base64')}\r\n`;
  return `${headers}\r\n\r\n${part('text/plain', messageBody(message))}${part('text/html', htmlBody(message))}--${boundary}--\r\n`;
}

/** Headers named in `wanted` (case-insensitive), kept in the message's order; all when `wanted` is empty. */
function filterHeaders(headers: Header[], wanted: string[]): Header[] {
  if (wanted.length === 0) return headers;
  const names = new Set(wanted.map((name) => name.toLowerCase()));
  return headers.filter((header) => names.has(header.name.toLowerCase()));
}

export function renderMessage(message: MailboxMessage, format: MessageFormat, metadataHeaders: string[]): object {
  // Gmail leaves labelIds out altogether when a message has none.
  const head = {
    id: message.id,
    threadId: message.threadId,
    ...(message.labelIds.length > 0 ? { labelIds: message.labelIds } : {}),
    snippet: message.snippet,
  };
  const tail = { sizeEstimate: message.sizeEstimate, historyId: String(message.historyId), internalDate: String(message.internalDate) };
  const mimeType = 'multipart/alternative';
  switch (format) {
    case 'minimal':
      return { ...head, ...tail };
    case 'metadata':
      return { ...head, payload: { partId: '', mimeType, filename: '', headers: filterHeaders(messageHeaders(message), metadataHeaders) }, ...tail };
    case 'full':
      return {
        ...head,
        payload: {
          partId: '',
          mimeType,
          filename: '',
          headers: messageHeaders(message),
          body: { size: 0 },
          parts: [bodyPart('0', 'text/plain', messageBody(message)), bodyPart('1', 'text/html', htmlBody(message))],
        },
        ...tail,
      };
    case 'raw':
      return { ...head, sizeEstimate: message.sizeEstimate, raw: base64url(rawMessage(message)), historyId: tail.historyId, internalDate: tail.internalDate };
  }
}
