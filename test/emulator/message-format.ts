/**
 * A seeded message rendered as users.messages.get returns it, in each `format`:
 * minimal, metadata (headers only, optionally filtered), full (MIME tree with base64url
 * bodies) and raw (the whole RFC 822 message, base64url). Every message is a MIME tree
 * (mime.ts): the ordinary ones are multipart/alternative, the hard cases their own; a message
 * imported as RFC 822 bytes (raw-message.ts) is served from those bytes and their part tree.
 */
import { hardCase } from './hard-cases.js';
import { escapeHtml } from './html.js';
import { messageBody, messageHeaders, type Header, type MailboxMessage } from './mailbox.js';
import { fullPayload, leafByPartId, partTreeOf, serializeMessage, type MimeLeaf, type MimeMessage, type MimeNode, type PartTree } from './mime.js';

export const MESSAGE_FORMATS = ['minimal', 'metadata', 'full', 'raw'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];
/** threads.get renders each message as messages.get would, in any format but raw. */
export const THREAD_FORMATS = ['minimal', 'metadata', 'full'] as const;
export type ThreadFormat = (typeof THREAD_FORMATS)[number];

function htmlBody(message: MailboxMessage): string {
  return `<div dir="ltr">${escapeHtml(messageBody(message)).replace(/\r\n/g, '<br>')}</div>\r\n`;
}

const textLeaf = (type: string, text: string): MimeLeaf => ({
  kind: 'leaf',
  type,
  params: { charset: 'UTF-8' },
  encoding: 'quoted-printable',
  content: Buffer.from(text, 'utf8'),
});

function bodyOf(message: MailboxMessage): MimeNode {
  if (message.hardCase !== undefined) return hardCase(message.hardCase).body;
  return {
    kind: 'multipart',
    subtype: 'alternative',
    boundary: `000000000000${message.id}`,
    parts: [textLeaf('text/plain', messageBody(message)), textLeaf('text/html', htmlBody(message))],
  };
}

/** RFC 2047 encoded word for text that is not plain printable ASCII (a tab is fine). */
function encodeWord(text: string): string {
  return /^[\x20-\x7e\t]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Splits an address list at the commas outside quotes and angle brackets. */
function splitAddresses(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && quoted) {
      current += char + (value[++i] ?? '');
      continue;
    }
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '<') angle = true;
    else if (!quoted && char === '>') angle = false;
    if (char === ',' && !quoted && !angle) {
      out.push(current.trim());
      current = '';
    } else current += char;
  }
  out.push(current.trim());
  return out;
}

/** Only a display name may be an encoded word, never the address itself. */
function encodeAddressList(value: string): string {
  return splitAddresses(value)
    .map((address) => {
      const match = /^(.*?)\s*<([^>]*)>$/.exec(address);
      if (!match || /^[\x20-\x7e]*$/.test(match[1]!)) return address;
      const name = match[1]!.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
      return `${encodeWord(name)} <${match[2]}>`;
    })
    .join(', ');
}

const ADDRESS_HEADERS = new Set(['from', 'to', 'cc', 'bcc', 'reply-to']);

/** How a header is written in the raw message. */
function written(header: Header): Header {
  if (header.raw !== undefined) return header;
  const lower = header.name.toLowerCase();
  if (ADDRESS_HEADERS.has(lower)) return { ...header, raw: encodeAddressList(header.value) };
  if (lower === 'subject') return { ...header, raw: encodeWord(header.value) };
  return header;
}

function mimeMessageOf(message: MailboxMessage): MimeMessage {
  return { headers: messageHeaders(message).map(written), body: bodyOf(message) };
}

/** The RFC 822 bytes, as format=raw serves them: an imported message's exactly as posted. */
function rawOf(message: MailboxMessage): Buffer {
  return message.imported?.raw ?? serializeMessage(mimeMessageOf(message));
}

/** The part tree that format=full, format=metadata and attachments.get show. */
function treeOf(message: MailboxMessage): PartTree {
  return message.imported?.tree ?? partTreeOf(mimeMessageOf(message));
}

/** The size of the raw message in bytes, as sizeEstimate approximates it. */
export function rawSize(message: MailboxMessage): number {
  return rawOf(message).length;
}

/** Headers named in `wanted` (case-insensitive), kept in the message's order; all when `wanted` is empty. */
function filterHeaders(headers: Header[], wanted: string[]): Header[] {
  if (wanted.length === 0) return headers;
  const names = new Set(wanted.map((name) => name.toLowerCase()));
  return headers.filter((header) => names.has(header.name.toLowerCase()));
}

/**
 * Gmail's attachment ids are long opaque strings; the emulator's carry the message and part
 * they name (and still look opaque), so users.messages.attachments.get needs no state.
 */
export function attachmentIdOf(messageId: string, partId: string): string {
  return `ANGjdJ_${Buffer.from(`${messageId}:${partId}:gmailctl-emulator-attachment`).toString('base64url')}`;
}

function partIdIn(messageId: string, attachmentId: string): string | undefined {
  if (!attachmentId.startsWith('ANGjdJ_')) return undefined;
  const [id, partId, tag] = Buffer.from(attachmentId.slice(7), 'base64url').toString().split(':');
  return id === messageId && tag === 'gmailctl-emulator-attachment' ? partId : undefined;
}

/** users.messages.attachments.get: the part's decoded bytes, or undefined when there is no such part. */
export function renderAttachment(message: MailboxMessage, attachmentId: string): object | undefined {
  const partId = partIdIn(message.id, attachmentId);
  const found = partId === undefined ? undefined : leafByPartId(treeOf(message), partId);
  return found && { size: found.content.length, data: found.content.toString('base64url') };
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
  switch (format) {
    case 'minimal':
      return { ...head, ...tail };
    case 'metadata': {
      const tree = treeOf(message);
      const payload = { partId: '', mimeType: tree.mimeType, filename: '', headers: filterHeaders(tree.headers, metadataHeaders) };
      return { ...head, payload, ...tail };
    }
    case 'full':
      return { ...head, payload: fullPayload(treeOf(message), (partId) => attachmentIdOf(message.id, partId)), ...tail };
    case 'raw':
      return { ...head, sizeEstimate: message.sizeEstimate, raw: rawOf(message).toString('base64url'), historyId: tail.historyId, internalDate: tail.internalDate };
  }
}
