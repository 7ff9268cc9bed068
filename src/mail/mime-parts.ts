/**
 * A message as a tree of MIME parts, in the shape of Gmail's format=full payload: each part
 * with Gmail's partId ("" for the message, then "0", "1", "1.0"…), its MIME type, file name
 * and headers, and a leaf's body as transfer-decoded bytes (still in its own charset).
 *
 * Two ways in, one tree out: `partsFromRaw` reads the RFC 822 bytes of format=raw (what
 * `show` fetches); `partsFromGmail` takes Gmail's own parsed tree (format=full, what
 * users.threads.get returns), where a part Gmail keeps apart has an attachmentId instead
 * of bytes. We split the raw message ourselves rather than through postal-mime: the
 * parser does not expose its parts or Gmail's numbering, and it rewrites the line ends of
 * quoted-printable parts (an attachment's bytes and size must be those Gmail counts).
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { decodeWords } from 'postal-mime';

export interface MessagePart {
  /** Gmail's numbering: "" for the message itself, "0", "1" for its parts, "1.0" for a part of part 1. */
  partId: string;
  /** Lowercased, parameters left out: "text/plain", "multipart/mixed". */
  mimeType: string;
  /** As the part names itself (Content-Disposition filename, else Content-Type name), decoded; "" when it names none. */
  filename: string;
  /** In the order written; the message's own headers for the top part. */
  headers: ReadonlyArray<{ name: string; value: string }>;
  body: PartBody;
  /** The parts of a multipart; empty for a leaf. */
  parts: MessagePart[];
}

/** A leaf's transfer-decoded bytes, or (in Gmail's tree) the id to fetch them with attachments.get. */
type PartBody = { size: number; bytes: Uint8Array } | { size: number; attachmentId: string };

/** The first header of that name (case-insensitive), unfolded; undefined when absent. */
export function headerOf(part: Pick<MessagePart, 'headers'>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return part.headers.find((header) => header.name.toLowerCase() === lower)?.value;
}

/** Every header of that name, in order. */
export function headersOf(part: Pick<MessagePart, 'headers'>, name: string): string[] {
  const lower = name.toLowerCase();
  return part.headers.filter((header) => header.name.toLowerCase() === lower).map((header) => header.value);
}

/** Gmail's tree (format=full), bodies decoded from base64url; a part without data or id is empty. */
export function partsFromGmail(part: gmail_v1.Schema$MessagePart): MessagePart {
  const children = part.parts ?? [];
  const body = part.body ?? {};
  const mimeType = (part.mimeType ?? '').toLowerCase();
  // A message/rfc822 part is one attachment, as it is in a raw message.
  const isLeaf = children.length === 0 || mimeType === 'message/rfc822';
  return {
    partId: part.partId ?? '',
    mimeType,
    filename: part.filename ?? '',
    headers: (part.headers ?? []).map((header) => ({ name: header.name ?? '', value: header.value ?? '' })),
    body: body.attachmentId && !body.data ? { size: body.size ?? 0, attachmentId: body.attachmentId } : leafBytes(Buffer.from(body.data ?? '', 'base64url')),
    parts: isLeaf ? [] : children.map(partsFromGmail),
  };
}

/** How deep multiparts may nest before the rest is taken as one opaque part (postal-mime's limit too). */
const MAX_DEPTH = 256;

/** The RFC 822 bytes (format=raw) as Gmail would show them in format=full. */
export function partsFromRaw(raw: Uint8Array): MessagePart {
  // latin1 maps each byte to one character and back: splitting never touches the bytes.
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  // The line break that ends the message is not part of a single-part body (Gmail's count).
  return readPart(text.replace(/\r?\n$/, ''), '', 'text/plain', 0);
}

function readPart(text: string, partId: string, defaultType: string, depth: number): MessagePart {
  const { head, body } = splitHead(text);
  const headers = parseHeaders(head);
  const contentType = parseStructured(headerOf({ headers }, 'content-type') ?? defaultType);
  const mimeType = /^[\w.+-]+\/[\w.+-]+$/.test(contentType.value) ? contentType.value : 'text/plain';
  const boundary = contentType.params.boundary;
  if (mimeType.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    const childType = mimeType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const parts = splitMultipart(body, boundary).map((chunk, index) => readPart(chunk, partId === '' ? String(index) : `${partId}.${index}`, childType, depth + 1));
    return { partId, mimeType, filename: '', headers, body: { size: 0, bytes: new Uint8Array(0) }, parts };
  }
  const disposition = parseStructured(headerOf({ headers }, 'content-disposition') ?? '');
  const filename = disposition.params.filename ?? contentType.params.name ?? '';
  const bytes = decodeTransfer(body, (headerOf({ headers }, 'content-transfer-encoding') ?? '').trim().toLowerCase());
  return { partId, mimeType, filename: decodeWords(filename), headers, body: leafBytes(bytes), parts: [] };
}

function leafBytes(bytes: Uint8Array): PartBody {
  return { size: bytes.byteLength, bytes };
}

/** Headers, then a blank line, then the body; a part with no blank line is all headers. */
function splitHead(text: string): { head: string; body: string } {
  if (/^\r?\n/.test(text)) return { head: '', body: text.replace(/^\r?\n/, '') };
  const match = /\r?\n\r?\n/.exec(text);
  return match ? { head: text.slice(0, match.index), body: text.slice(match.index + match[0].length) } : { head: text, body: '' };
}

/** Unfolded header fields; their bytes read as UTF-8 (8-bit headers are UTF-8 in practice). */
function parseHeaders(head: string): Array<{ name: string; value: string }> {
  const unfolded = Buffer.from(head, 'latin1').toString('utf8').replace(/\r?\n(?=[ \t])/g, '');
  const headers: Array<{ name: string; value: string }> = [];
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

/**
 * The body parts between `--boundary` lines, each without the line break before the next
 * delimiter; the preamble and the epilogue are left out. A multipart whose closing
 * delimiter is missing ends with the message.
 */
function splitMultipart(body: string, boundary: string): string[] {
  const delimiter = `--${boundary}`;
  const chunks: string[] = [];
  let start: number | undefined;
  let position = 0;
  while (position <= body.length) {
    const found = body.indexOf(delimiter, position);
    if (found < 0) break;
    const atLineStart = found === 0 || body[found - 1] === '\n';
    const after = found + delimiter.length;
    const lineEnd = body.indexOf('\n', after);
    const rest = body.slice(after, lineEnd < 0 ? body.length : lineEnd);
    const closing = rest.startsWith('--');
    if (!atLineStart || !/^(--)?[ \t]*\r?$/.test(rest)) {
      position = after;
      continue;
    }
    if (start !== undefined) chunks.push(body.slice(start, found).replace(/\r?\n$/, ''));
    if (closing) return chunks;
    start = lineEnd < 0 ? body.length : lineEnd + 1;
    position = start;
  }
  if (start !== undefined) chunks.push(body.slice(start).replace(/\r?\n$/, ''));
  return chunks;
}

function decodeTransfer(body: string, encoding: string): Uint8Array {
  switch (encoding) {
    case 'base64':
      // Node's decoder skips the line breaks and whitespace between the characters.
      return Buffer.from(body, 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return Buffer.from(body, 'latin1');
  }
}

/** RFC 2045 §6.7: `=` at a line's end joins lines, `=XX` is a byte; line breaks stay as sent. */
export function decodeQuotedPrintable(body: string): Buffer {
  const joined = body.replace(/=[ \t]*\r?\n/g, '');
  return Buffer.from(
    joined.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
}

interface StructuredHeader {
  /** Lowercased: "text/plain", "attachment". */
  value: string;
  /** Lowercased names; RFC 2231 continuations joined and decoded. */
  params: Record<string, string>;
}

/** `type/subtype; name="value"; name*=utf-8''%C3%A9…` into its value and parameters. */
export function parseStructured(header: string): StructuredHeader {
  const [first = '', ...rest] = splitParameters(header);
  const raw: Record<string, string> = {};
  for (const piece of rest) {
    const equals = piece.indexOf('=');
    if (equals <= 0) continue;
    const name = piece.slice(0, equals).trim().toLowerCase();
    let value = piece.slice(equals + 1).trim();
    if (value.startsWith('"')) value = value.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1');
    raw[name] = value;
  }
  return { value: first.trim().toLowerCase(), params: joinContinuations(raw) };
}

/** Splits at the semicolons outside quotes. */
function splitParameters(header: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const char = header[i]!;
    if (char === '\\' && quoted) {
      current += char + (header[++i] ?? '');
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ';' && !quoted) {
      pieces.push(current);
      current = '';
    } else current += char;
  }
  pieces.push(current);
  return pieces;
}

/**
 * RFC 2231: `name*=charset'lang'%XX…` is percent-encoded in that charset; `name*0`, `name*1*`…
 * are sections of one value (only those ending in `*` are encoded). Plain names pass through.
 */
function joinContinuations(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  const sections = new Map<string, Array<{ index: number; value: string; encoded: boolean }>>();
  for (const [key, value] of Object.entries(raw)) {
    const match = /^(.+?)\*(?:(\d+)(\*)?)?$/.exec(key);
    if (!match) {
      params[key] = value;
      continue;
    }
    const [, name = '', index, star] = match;
    const list = sections.get(name) ?? [];
    list.push({ index: index === undefined ? 0 : Number(index), value, encoded: index === undefined || star === '*' });
    sections.set(name, list);
  }
  for (const [name, list] of sections) {
    list.sort((a, b) => a.index - b.index);
    let charset = 'utf-8';
    const first = list[0];
    if (first?.encoded) {
      const declared = /^([^']*)'[^']*'(.*)$/.exec(first.value);
      if (declared) {
        charset = declared[1] || 'utf-8';
        first.value = declared[2] ?? '';
      }
    }
    const bytes = list.map(({ value, encoded }) => (encoded ? percentDecoded(value) : Buffer.from(value, 'utf8')));
    params[name] = decodeCharset(Buffer.concat(bytes), charset).text;
  }
  return params;
}

function percentDecoded(value: string): Buffer {
  return Buffer.from(value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1');
}

/**
 * Bytes in a declared charset as text. A charset that no decoder knows is read as UTF-8
 * (ASCII reads right, every other byte shows as U+FFFD) and said, so that the caller can warn.
 */
export function decodeCharset(bytes: Uint8Array, charset: string): { text: string; unknown: boolean } {
  const decoder = decoderFor(charset);
  return { text: (decoder ?? new TextDecoder('utf-8')).decode(bytes), unknown: decoder === undefined };
}

function decoderFor(label: string): InstanceType<typeof TextDecoder> | undefined {
  const bare = label.trim().toLowerCase().replace(/^(?:x-ms-|x-|cs)/, '');
  // us-ascii is a subset of UTF-8; the WHATWG decoder would read it as windows-1252.
  if (/^(?:us-?ascii|ascii|ansi_x3\.4-1968)$/.test(bare)) return new TextDecoder('utf-8');
  for (const candidate of [label.trim(), bare, bare.replace(/[\s._-]+/g, '')]) {
    try {
      return new TextDecoder(candidate);
    } catch {
      // not this spelling
    }
  }
  return undefined;
}
