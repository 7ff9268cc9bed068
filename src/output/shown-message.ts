import type { MessageSummary } from '../gmail/message.js';

/** One attachment of a shown message (the JSON formats print exactly this). */
export interface AttachmentSummary {
  /** As the message names it; "" when it names none. */
  filename: string;
  mimeType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Gmail's id for users.messages.attachments.get; "" when Gmail gives the part none. */
  attachmentId: string;
  /** "inline" for a part the HTML shows (an image), else "attachment". */
  disposition: 'attachment' | 'inline';
}

/**
 * A whole message as `show --format json|ndjson` prints it: the list's message object plus
 * the headers and bodies a reader needs. Absent headers and bodies are "".
 */
export interface ShownMessage extends MessageSummary {
  cc: string;
  bcc: string;
  replyTo: string;
  /** The Message-ID header, angle brackets included. */
  messageId: string;
  /** The body as text: the text/plain part when it is a real one, else the HTML as text. */
  text: string;
  /** Where `text` came from. */
  textSource: 'text/plain' | 'text/html' | 'none';
  /** The text/html part as sent. */
  html: string;
  attachments: AttachmentSummary[];
}
