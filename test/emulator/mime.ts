/**
 * A message as a MIME tree, rendered the two ways users.messages.get shows a whole message:
 * `raw` (the RFC 822 bytes, transfer-encoded) and `full` (Gmail's JSON tree: headers as
 * Gmail shows them, each leaf's body transfer-decoded but left in its own charset, as
 * base64url — or, for attachments and very large parts, only an attachmentId to fetch with
 * users.messages.attachments.get).
 */

export type TransferEncoding = '7bit' | '8bit' | 'quoted-printable' | 'base64';

export interface MimeLeaf {
  kind: 'leaf';
  /** e.g. text/plain */
  type: string;
  /** Content-Type parameters besides the name (charset, format…). */
  params?: Record<string, string>;
  encoding: TransferEncoding;
  disposition?: 'inline' | 'attachment';
  /** Decoded file name; `rawFilename` overrides how its parameter is written (`filename*=UTF-8''…`). */
  filename?: string;
  rawFilename?: string;
  contentId?: string;
  /** The decoded bytes (after the transfer encoding, before the charset). */
  content: Buffer;
}

export interface MimeMultipart {
  kind: 'multipart';
  subtype: 'alternative' | 'mixed' | 'related';
  boundary: string;
  parts: MimeNode[];
}

export type MimeNode = MimeLeaf | MimeMultipart;

export interface MimeHeader {
  name: string;
  /** As Gmail shows it in format=full / metadata: encoded words decoded. */
  value: string;
  /** As written in the message, when it differs (an RFC 2047 encoded word). */
  raw?: string;
}

export interface MimeMessage {
  headers: MimeHeader[];
  body: MimeNode;
}

/** Gmail serves larger parts by attachmentId even when they are not attachments. */
export const INLINE_DATA_LIMIT = 1024 * 1024;

function contentTypeOf(node: MimeNode): string {
  if (node.kind === 'multipart') return `multipart/${node.subtype}; boundary="${node.boundary}"`;
  const params = Object.entries(node.params ?? {}).map(([key, value]) => `; ${key}="${value}"`);
  const raw = node.rawFilename ?? `filename="${node.filename}"`;
  const name = node.filename === undefined ? '' : `; ${raw.replace(/^filename/, 'name')}`;
  return `${node.type}${params.join('')}${name}`;
}

/** The part headers of a node, as written in the message. */
function partHeaders(node: MimeNode): MimeHeader[] {
  const headers: MimeHeader[] = [{ name: 'Content-Type', value: contentTypeOf(node) }];
  if (node.kind === 'multipart') return headers;
  headers.push({ name: 'Content-Transfer-Encoding', value: node.encoding });
  if (node.disposition) {
    const filename = node.filename === undefined ? '' : `; ${node.rawFilename ?? `filename="${node.filename}"`}`;
    headers.push({ name: 'Content-Disposition', value: `${node.disposition}${filename}` });
  }
  if (node.contentId) headers.push({ name: 'Content-ID', value: `<${node.contentId}>` });
  return headers;
}

/** Quoted-printable (RFC 2045 §6.7): CRLF line breaks kept, soft breaks under 76 columns. */
export function encodeQuotedPrintable(content: Buffer): string {
  const text = content.toString('latin1');
  return text
    .split('\r\n')
    .map((line) => {
      const encoded = Array.from(line, (char, index) => {
        const code = char.charCodeAt(0);
        const trailingSpace = (code === 0x20 || code === 0x09) && index === line.length - 1;
        return code === 0x3d || code > 0x7e || (code < 0x20 && code !== 0x09) || trailingSpace ? `=${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
      });
      let out = '';
      let column = 0;
      for (const piece of encoded) {
        if (column + piece.length > 75) {
          out += '=\r\n';
          column = 0;
        }
        out += piece;
        column += piece.length;
      }
      return out;
    })
    .join('\r\n');
}

function encodeBody(leaf: MimeLeaf): Buffer {
  switch (leaf.encoding) {
    case 'base64':
      return Buffer.from((leaf.content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'), 'latin1');
    case 'quoted-printable':
      return Buffer.from(encodeQuotedPrintable(leaf.content), 'latin1');
    default:
      return leaf.content;
  }
}

function serializeNode(node: MimeNode): Buffer[] {
  if (node.kind === 'leaf') return [encodeBody(node), Buffer.from('\r\n')];
  const chunks: Buffer[] = [];
  for (const part of node.parts) {
    const head = partHeaders(part).map((h) => `${h.name}: ${h.value}\r\n`).join('');
    chunks.push(Buffer.from(`--${node.boundary}\r\n${head}\r\n`, 'latin1'), ...serializeNode(part));
  }
  chunks.push(Buffer.from(`--${node.boundary}--\r\n`));
  return chunks;
}

/** The RFC 822 bytes: the message headers (as written), the body's MIME headers, the body. */
export function serializeMessage(message: MimeMessage): Buffer {
  const head = [...message.headers, ...partHeaders(message.body)].map((h) => `${h.name}: ${h.raw ?? h.value}\r\n`).join('');
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'utf8'), ...serializeNode(message.body)]);
}

export function mimeTypeOf(node: MimeNode): string {
  return node.kind === 'multipart' ? `multipart/${node.subtype}` : node.type;
}

export interface FullPart {
  partId: string;
  mimeType: string;
  filename: string;
  headers: MimeHeader[];
  body: { size: number; data?: string; attachmentId?: string };
  parts?: FullPart[];
}

/**
 * A message as Gmail's part tree sees it, whatever it was made from (a seeded MIME tree, or
 * the RFC 822 bytes of an imported message: raw-message.ts): each part with its headers as
 * written (encoded words decoded), its MIME type and file name, and a leaf's decoded bytes.
 */
export interface PartTree {
  mimeType: string;
  filename: string;
  headers: MimeHeader[];
  /** A leaf's bytes after the transfer encoding (empty for a multipart). */
  content: Buffer;
  /** A multipart's parts; undefined for a leaf. */
  parts?: PartTree[];
}

const NO_BYTES = Buffer.alloc(0);

/** A seeded message's part tree: its own headers and its body's MIME headers on top. */
export function partTreeOf(message: MimeMessage): PartTree {
  const build = (node: MimeNode, headers: MimeHeader[]): PartTree => {
    const shown = headers.map(({ name, value }) => ({ name, value }));
    if (node.kind === 'multipart') {
      return { mimeType: mimeTypeOf(node), filename: '', headers: shown, content: NO_BYTES, parts: node.parts.map((part) => build(part, partHeaders(part))) };
    }
    return { mimeType: node.type, filename: node.filename ?? '', headers: shown, content: node.content };
  };
  return build(message.body, [...message.headers, ...partHeaders(message.body)]);
}

/** The leaf at Gmail's partId ("0", "1.2"), for users.messages.attachments.get. */
export function leafByPartId(tree: PartTree, partId: string): PartTree | undefined {
  let node: PartTree | undefined = tree;
  for (const index of partId === '' ? [] : partId.split('.')) node = node?.parts?.[Number(index)];
  return node && node.parts === undefined ? node : undefined;
}

/**
 * Gmail's format=full payload. `attachmentId(partId)` names a part served by
 * attachments.get: every part with a file name and bytes, and any part over
 * INLINE_DATA_LIMIT. A part without a name is inlined in body.data, whatever its
 * disposition (an attachment too); an empty part has neither data nor an attachmentId.
 */
export function fullPayload(tree: PartTree, attachmentId: (partId: string) => string): FullPart {
  const render = (node: PartTree, partId: string): FullPart => {
    const head = { partId, mimeType: node.mimeType, filename: node.filename, headers: node.headers };
    if (node.parts !== undefined) {
      return { ...head, body: { size: 0 }, parts: node.parts.map((part, index) => render(part, partId === '' ? String(index) : `${partId}.${index}`)) };
    }
    const size = node.content.length;
    const external = size > 0 && (node.filename !== '' || size > INLINE_DATA_LIMIT);
    const body = external ? { attachmentId: attachmentId(partId), size } : size === 0 ? { size } : { size, data: node.content.toString('base64url') };
    return { ...head, body };
  };
  return render(tree, '');
}
