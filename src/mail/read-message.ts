/**
 * Reading a message: what `show` and `thread` print of it, from either of the two forms
 * Gmail serves a whole message in — the RFC 822 bytes (users.messages.get format=raw) or
 * its parsed part tree (format=full, as users.threads.get returns each message). Both go
 * through the same tree (mime-parts.ts), so the same message reads the same either way.
 * A use case: it fetches nothing itself but what the caller lets it (a body Gmail keeps
 * apart) and prints nothing (warnings come back for the caller to print).
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { addressParser, decodeWords, type Address } from 'postal-mime';
import { toSummary } from '../gmail/message.js';
import type { AttachmentSummary, ShownMessage } from '../output/whole-messages.js';
import { decodeCharset, headerOf, headersOf, parseStructured, partsFromGmail, partsFromRaw, type MessagePart } from './mime-parts.js';
import { MAX_HTML_DEPTH, readableBody } from './readable.js';

/**
 * A message as Gmail serves it. `raw`: a messages.get format=raw answer and its decoded
 * bytes. `full`: a format=full message (a users.threads.get entry), and how to fetch a
 * part Gmail did not inline (one users.messages.attachments.get; called only for a text
 * body that is needed, or an attachment's content when asked for).
 */
type MessageSource =
  | { message: gmail_v1.Schema$Message; raw: Uint8Array }
  | { message: gmail_v1.Schema$Message; attachment: (attachmentId: string) => Promise<Uint8Array> };

export interface MessageRead {
  shown: ShownMessage;
  /** The attachments' bytes, in the order of `shown.attachments`. */
  files: Array<{ attachment: AttachmentSummary; content: () => Promise<Uint8Array> }>;
  /**
   * What a person should know about how the message was read, one sentence each, naming the
   * message (a charset no decoder knows: its text read as UTF-8). The caller warns with them.
   */
  warnings: string[];
}

export async function readMessage(source: MessageSource): Promise<MessageRead> {
  const root = 'raw' in source ? partsFromRaw(source.raw) : partsFromGmail(source.message.payload ?? {});
  const bytesOf = async (part: MessagePart): Promise<Uint8Array> => {
    if ('bytes' in part.body) return part.body.bytes;
    if ('raw' in source) return new Uint8Array(0);
    return source.attachment(part.body.attachmentId);
  };
  const unknown = new Set<string>();
  const textOf = async (parts: MessagePart[]): Promise<string | undefined> => {
    if (parts.length === 0) return undefined;
    const texts = await Promise.all(
      parts.map(async (part) => {
        const { params } = parseStructured(headerOf(part, 'content-type') ?? '');
        const charset = params.charset ?? 'utf-8';
        const decoded = decodeCharset(await bytesOf(part), charset);
        if (decoded.unknown) unknown.add(charset);
        return params.format?.toLowerCase() === 'flowed' ? unflow(decoded.text, params.delsp?.toLowerCase() === 'yes') : decoded.text;
      }),
    );
    return texts.join('\n');
  };
  const { plain, html, attachments } = sortLeaves(root);
  const [text, htmlText] = [await textOf(plain), await textOf(html)];
  const body = await readableBody({ text, html: htmlText });
  const files = attachments.map((part) => ({ attachment: toAttachmentSummary(part), content: () => bytesOf(part) }));
  const addresses = (name: string): string => formatAddresses(headersOf(root, name).flatMap((value) => addressParser(value)));
  const shown: ShownMessage = {
    ...toSummary(source.message),
    from: formatAddresses(headersOf(root, 'from').flatMap((value) => addressParser(value)).slice(0, 1)),
    to: addresses('to'),
    subject: decodeWords(headerOf(root, 'subject') ?? ''),
    cc: addresses('cc'),
    bcc: addresses('bcc'),
    replyTo: addresses('reply-to'),
    messageId: decodeWords(headerOf(root, 'message-id') ?? ''),
    text: body.text,
    textSource: body.source,
    html: htmlText ?? '',
    attachments: files.map((file) => file.attachment),
  };
  const warnings = [...unknown].map(
    (label) => `message ${shown.id} declares the charset "${label}", which gmailctl cannot decode: its text is read as UTF-8, with \ufffd for what could not be read.`,
  );
  if (body.flattened) {
    warnings.push(`message ${shown.id} has HTML nested deeper than ${MAX_HTML_DEPTH} levels: what lies deeper is shown as flatter text.`);
  }
  return { shown, files, warnings };
}

/**
 * The leaves in order: the text/plain and text/html bodies (inline, unnamed), and the
 * attachments (every other leaf: files, inline images, a forwarded message, even empty).
 */
function sortLeaves(root: MessagePart): { plain: MessagePart[]; html: MessagePart[]; attachments: MessagePart[] } {
  const found = { plain: [] as MessagePart[], html: [] as MessagePart[], attachments: [] as MessagePart[] };
  const walk = (part: MessagePart): void => {
    if (part.parts.length > 0) {
      part.parts.forEach(walk);
      return;
    }
    if (part.mimeType.startsWith('multipart/')) return; // an empty multipart holds nothing
    const disposition = parseStructured(headerOf(part, 'content-disposition') ?? '').value;
    const isBody = part.filename === '' && disposition !== 'attachment';
    if (isBody && part.mimeType === 'text/plain') found.plain.push(part);
    else if (isBody && part.mimeType === 'text/html') found.html.push(part);
    else found.attachments.push(part);
  };
  walk(root);
  return found;
}

/**
 * RFC 3676 format=flowed: a line that ends in a space goes on in the next line of the same
 * quote depth (its space dropped too with delsp=yes); a leading space is stuffing; the
 * signature separator "-- " ends no paragraph.
 */
export function unflow(text: string, delSp: boolean): string {
  const out: string[] = [];
  let open: { depth: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    const quotes = /^>*/.exec(line)![0];
    let content = line.slice(quotes.length);
    if (content.startsWith(' ')) content = content.slice(1);
    const flowed = content.endsWith(' ') && content !== '-- ';
    if (flowed && delSp) content = content.slice(0, -1);
    if (open && open.depth === quotes.length) out[out.length - 1] += content;
    else out.push(quotes.length > 0 ? `${quotes} ${content}` : content);
    open = flowed ? { depth: quotes.length } : undefined;
  }
  return out.join('\n');
}

function toAttachmentSummary(part: MessagePart): AttachmentSummary {
  const disposition = parseStructured(headerOf(part, 'content-disposition') ?? '').value;
  return {
    filename: part.filename,
    mimeType: part.mimeType,
    size: part.body.size,
    disposition: disposition === 'inline' ? 'inline' : 'attachment',
    contentId: (headerOf(part, 'content-id') ?? '').trim().replace(/^<|>$/g, ''),
    partId: part.partId,
  };
}

/** "Name <address>" joined with ", ", as mail clients show an address header. */
function formatAddresses(addresses: readonly Address[]): string {
  return addresses.map(formatAddress).join(', ');
}

function formatAddress(address: Address): string {
  if (address.group) return `${quoteName(address.name)}: ${address.group.map(formatAddress).join(', ')};`;
  if (!address.name) return address.address;
  return address.address ? `${quoteName(address.name)} <${address.address}>` : address.name;
}

/** A display name with RFC 5322 specials (a comma…) is quoted, as it was in the message. */
function quoteName(name: string): string {
  return /[()<>[\]:;@\\,"]/.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
}
