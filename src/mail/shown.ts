/**
 * A fetched message as `show` prints it: the list's fields from Gmail's answer, the rest
 * from the parsed MIME message, the body a person reads, and Gmail's attachment ids.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { toSummary } from '../gmail/message.js';
import type { GmailAttachmentRef } from '../gmail/messages.js';
import type { AttachmentSummary, ShownMessage } from '../output/shown-message.js';
import type { MailAttachment, ParsedMail } from './parse.js';
import type { ReadableBody } from './readable.js';

export function toShownMessage(message: gmail_v1.Schema$Message, mail: ParsedMail, body: ReadableBody, refs: readonly GmailAttachmentRef[] = []): ShownMessage {
  const summary = toSummary(message);
  return {
    ...summary,
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    cc: mail.cc,
    bcc: mail.bcc,
    replyTo: mail.replyTo,
    messageId: mail.messageId,
    text: body.text,
    textSource: body.source,
    html: mail.html ?? '',
    attachments: matchAttachmentIds(mail.attachments, refs),
  };
}

/**
 * Pairs each parsed attachment with Gmail's part of the same name and type, in order (a
 * message may carry two files of one name); a part Gmail gives no id gets "".
 */
export function matchAttachmentIds(attachments: readonly MailAttachment[], refs: readonly GmailAttachmentRef[]): AttachmentSummary[] {
  const unused = [...refs];
  return attachments.map((a) => {
    const index = unused.findIndex((ref) => ref.filename === a.filename && ref.mimeType.toLowerCase() === a.mimeType.toLowerCase());
    const [ref] = index < 0 ? [] : unused.splice(index, 1);
    // Gmail's size is that of the decoded bytes as sent; the parser may have changed the line ends of a text part.
    return { filename: a.filename, mimeType: a.mimeType, size: ref?.size ?? a.size, attachmentId: ref?.attachmentId ?? '', disposition: a.disposition };
  });
}
