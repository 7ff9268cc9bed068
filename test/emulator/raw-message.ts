/**
 * A message given as its RFC 822 bytes (POST /__emulator/mailbox/import) as Gmail reads it:
 * the part tree that format=full, format=metadata and attachments.get show, the header
 * fields that search and threading use, and the text its snippet is made of.
 *
 * The emulator's own reading, written apart from gmailctl's (src/mail/mime-parts.ts), so
 * that the CLI is checked against it rather than against itself; fidelity.test.ts holds it
 * to the seeded hard cases (each one's raw bytes read back give the tree they were made from).
 */
import { decodeWords } from 'postal-mime';
import type { MimeHeader, PartTree } from './mime.js';

/** What the mailbox keeps of an imported message: the bytes as posted and how Gmail reads them. */
export interface ImportedMessage {
  raw: Buffer;
  tree: PartTree;
}

export class RawMessageError extends Error {}

/** Multiparts nested deeper than this are kept as one opaque part. */
const MAX_NESTING = 100;

/** Reads the bytes; throws RawMessageError when they hold no header field at all. */
export function readRawMessage(raw: Buffer): ImportedMessage {
  // latin1 maps every byte to one UTF-16 unit and back: slicing never alters the bytes.
  const text = raw.toString('latin1');
  const tree = readEntity(text.replace(/\r?\n$/, ''), 'text/plain', 0);
  if (tree.headers.length === 0) throw new RawMessageError('raw must be an RFC 822 message: header fields, a blank line, then the body');
  return { raw, tree };
}

/** The first header field of that name (case-insensitive), as Gmail shows it. */
export function fieldOf(tree: PartTree, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return tree.headers.find((header) => header.name.toLowerCase() === wanted)?.value;
}

function readEntity(text: string, defaultType: string, depth: number): PartTree {
  const blank = /^\r?\n|\r?\n\r?\n/.exec(text);
  const head = blank ? text.slice(0, blank.index) : text;
  const body = blank ? text.slice(blank.index + blank[0].length) : '';
  const headers = readFields(head);
  const field = (name: string): string | undefined => headers.find((header) => header.name.toLowerCase() === name)?.value;
  const type = readParameters(field('content-type') ?? defaultType);
  const mimeType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type.value) ? type.value : 'text/plain';
  const boundary = type.params.get('boundary');
  if (mimeType.startsWith('multipart/') && boundary !== undefined && boundary !== '' && depth < MAX_NESTING) {
    const inner = mimeType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    return { mimeType, filename: '', headers, content: Buffer.alloc(0), parts: bodyParts(body, boundary).map((part) => readEntity(part, inner, depth + 1)) };
  }
  const disposition = readParameters(field('content-disposition') ?? '');
  const filename = disposition.params.get('filename') ?? type.params.get('name') ?? '';
  return { mimeType, filename: decodeWords(filename), headers, content: transferDecoded(body, (field('content-transfer-encoding') ?? '').trim().toLowerCase()) };
}

/** Header fields unfolded, their 8-bit bytes read as UTF-8 and their encoded words decoded. */
function readFields(head: string): MimeHeader[] {
  const fields: MimeHeader[] = [];
  for (const line of head.split(/\r?\n(?![ \t])/)) {
    const match = /^([^:\s][^:]*?)[ \t]*:(.*)$/s.exec(line);
    if (!match) continue;
    const value = Buffer.from(match[2]!.replace(/\r?\n/g, ''), 'latin1').toString('utf8').trim();
    fields.push({ name: match[1]!, value: decodeWords(value) });
  }
  return fields;
}

/**
 * A multipart body's parts: what lies between its delimiter lines (RFC 2046 §5.1.1: the line
 * break before a delimiter belongs to it). The preamble and epilogue are dropped; without a
 * closing delimiter the last part runs to the end.
 */
function bodyParts(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?:\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let from: number | undefined;
  for (const match of body.matchAll(delimiter)) {
    if (from !== undefined) parts.push(body.slice(from, match.index));
    if (match[1] === '--') return parts;
    from = match.index + match[0].length;
  }
  if (from !== undefined) parts.push(body.slice(from).replace(/\r?\n$/, ''));
  return parts;
}

function transferDecoded(body: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (encoding !== 'quoted-printable') return Buffer.from(body, 'latin1');
  // RFC 2045 §6.7: "=" ending a line is a soft break; "=XX" is one byte; hard breaks stay.
  const bytes: number[] = [];
  const unbroken = body.replace(/=[ \t]*\r?\n/g, '');
  for (let i = 0; i < unbroken.length; i++) {
    const hex = unbroken[i] === '=' ? unbroken.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(unbroken.charCodeAt(i));
  }
  return Buffer.from(bytes);
}

/**
 * `value; a=1; b="two"` with RFC 2231 parameters (`name*=utf-8''caf%C3%A9`, and sections
 * `name*0`, `name*1*`…): the lowercased value and each parameter decoded.
 */
function readParameters(field: string): { value: string; params: Map<string, string> } {
  const pieces = field.match(/(?:"(?:\\.|[^"\\])*"|[^;"])+/g) ?? [''];
  const sections = new Map<string, Array<{ order: number; text: string; encoded: boolean }>>();
  for (const piece of pieces.slice(1)) {
    const match = /^\s*([^=\s*]+)(?:\*(\d+))?(\*)?\s*=\s*(.*?)\s*$/s.exec(piece);
    if (!match) continue;
    const [, name = '', order, star, written = ''] = match;
    const text = written.startsWith('"') ? written.slice(1, -1).replace(/\\(.)/g, '$1') : written;
    const list = sections.get(name.toLowerCase()) ?? [];
    list.push({ order: Number(order ?? 0), text, encoded: star === '*' });
    sections.set(name.toLowerCase(), list);
  }
  const params = new Map<string, string>();
  for (const [name, list] of sections) {
    list.sort((a, b) => a.order - b.order);
    let charset = 'utf-8';
    const bytes = list.map(({ text, encoded }, index) => {
      if (!encoded) return Buffer.from(text, 'utf8');
      const declared = index === 0 ? /^([^']*)'[^']*'(.*)$/s.exec(text) : null;
      if (declared) charset = declared[1] || charset;
      return Buffer.from((declared ? declared[2]! : text).replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    });
    params.set(name, textIn(Buffer.concat(bytes), charset));
  }
  return { value: (pieces[0] ?? '').trim().toLowerCase(), params };
}

/** Bytes in a charset; one that TextDecoder does not know is read as UTF-8. */
export function textIn(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.trim() || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/**
 * The text Gmail makes the snippet of: the first text/plain part that is no attachment,
 * else the first such text/html part with its markup taken out.
 */
export function readableText(tree: PartTree): string {
  const leaves: PartTree[] = [];
  const walk = (node: PartTree): void => {
    if (node.parts) node.parts.forEach(walk);
    else if (node.filename === '' && !/^\s*attachment/i.test(fieldOf(node, 'content-disposition') ?? '')) leaves.push(node);
  };
  walk(tree);
  const decoded = (node: PartTree): string => textIn(node.content, readParameters(fieldOf(node, 'content-type') ?? '').params.get('charset') ?? 'utf-8');
  const plain = leaves.find((node) => node.mimeType === 'text/plain');
  if (plain) return decoded(plain);
  const html = leaves.find((node) => node.mimeType === 'text/html');
  return html ? withoutMarkup(decoded(html)) : '';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function withoutMarkup(html: string): string {
  return html
    .replace(/<(head|style|script)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(?:p|div|br|hr|tr|td|th|li|ul|ol|table|h[1-6]|blockquote|pre)\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      if (name.startsWith('#')) return String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
      return ENTITIES[name.toLowerCase()] ?? entity;
    });
}
