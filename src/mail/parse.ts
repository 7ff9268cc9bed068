/**
 * Reading an RFC 822 message (the bytes of Gmail's format=raw) into what `show` prints:
 * decoded headers, the text/plain and text/html bodies in their charsets, and the
 * attachments. The MIME work is postal-mime's (see the README for why this parser); it is
 * loaded on first use, so commands that do not read mail never pay for it.
 */
import type { Address, Attachment as ParsedAttachment } from 'postal-mime';

export interface MailAttachment {
  /** As the message names it (decoded); "" when it names none. */
  filename: string;
  mimeType: string;
  /** Decoded size in bytes. */
  size: number;
  disposition: 'attachment' | 'inline';
  /** Content-ID without the angle brackets, when the HTML refers to the part by it. */
  contentId: string | undefined;
  content: Uint8Array;
}

export interface ParsedMail {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  replyTo: string;
  subject: string;
  messageId: string;
  /** The text/plain body (every text/plain part, in order), undefined when there is none. */
  text: string | undefined;
  html: string | undefined;
  attachments: MailAttachment[];
  /** Charsets the message declares that no decoder knows; their bytes were read as UTF-8. */
  unknownCharsets: string[];
}

export async function parseMail(raw: Uint8Array): Promise<ParsedMail> {
  const { default: PostalMime } = await import('postal-mime');
  const checked = replaceUnknownCharsets(raw);
  const email = await PostalMime.parse(checked.raw);
  return {
    from: formatAddresses(email.from ? [email.from] : []),
    to: formatAddresses(email.to),
    cc: formatAddresses(email.cc),
    bcc: formatAddresses(email.bcc),
    replyTo: formatAddresses(email.replyTo),
    subject: email.subject ?? '',
    messageId: email.messageId ?? '',
    text: email.text,
    html: email.html,
    attachments: email.attachments.map(toAttachment),
    unknownCharsets: checked.unknown,
  };
}

function toAttachment(attachment: ParsedAttachment): MailAttachment {
  const content = typeof attachment.content === 'string' ? Buffer.from(attachment.content) : new Uint8Array(attachment.content);
  return {
    filename: attachment.filename ?? '',
    mimeType: attachment.mimeType,
    size: content.byteLength,
    disposition: attachment.disposition === 'inline' ? 'inline' : 'attachment',
    contentId: attachment.contentId?.replace(/^<|>$/g, ''),
    content,
  };
}

/** "Name <address>" joined with ", ", as mail clients show an address header. */
export function formatAddresses(addresses: readonly Address[] | undefined): string {
  return (addresses ?? []).map(formatAddress).join(', ');
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

// A Content-Type header with its folded continuation lines, and its charset parameter.
const CONTENT_TYPE = /^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/gim;
const CHARSET = /(charset\s*=\s*)("?)([^";\s]+)\2/i;

/**
 * A charset that no decoder knows would be read as windows-1252 by the parser: text that
 * looks plausible and is wrong, with nothing to tell. Such labels are replaced by UTF-8
 * before parsing, so that ASCII reads right and every other byte shows as U+FFFD, and the
 * caller can warn. Only Content-Type headers are touched, and only in the copy parsed.
 */
export function replaceUnknownCharsets(raw: Uint8Array): { raw: Uint8Array; unknown: string[] } {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const unknown = new Set<string>();
  const replaced = text.replace(CONTENT_TYPE, (header) =>
    header.replace(CHARSET, (whole, prefix: string, quote: string, label: string) => {
      if (isKnownCharset(label)) return whole;
      unknown.add(label);
      return `${prefix}${quote}utf-8${quote}`;
    }),
  );
  return unknown.size === 0 ? { raw, unknown: [] } : { raw: Buffer.from(replaced, 'latin1'), unknown: [...unknown] };
}

/** Whether TextDecoder knows the label, as written or without the x-/cs prefixes and separators mail uses. */
export function isKnownCharset(label: string): boolean {
  const candidates = [label, label.toLowerCase().replace(/^(?:x-ms-|x-|cs)/, ''), label.toLowerCase().replace(/^(?:x-ms-|x-|cs)/, '').replace(/[\s._-]+/g, '')];
  return candidates.some((candidate) => {
    try {
      new TextDecoder(candidate);
      return true;
    } catch {
      return false;
    }
  });
}
