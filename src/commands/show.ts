/**
 * `gmailctl show ID…`: whole messages by id, as text for a person, the raw message (an
 * mbox for several), or JSON; optionally their attachments saved. Per message: one
 * format=raw get (gmail/messages.ts), read into what is shown (mail/read-message.ts: the
 * MIME split, the text, the attachments), then written (output/whole-messages.ts).
 */
import { GmailctlError } from '../basics/errors.js';
import { unwritableReason } from '../basics/make-directory.js';
import type { IO } from '../basics/io.js';
import type { MessageRead } from '../mail/read-message.js';
import { WHOLE_MESSAGE_FORMATS, type WholeMessageFormat, type WholeMessage } from '../output/whole-messages.js';
import type { CommandContext, ContextSource } from './context.js';
import { byIdCommand } from './define.js';
import { collectIds } from './ids.js';
import { notFound, printEach } from './print-each.js';
import { parseAccount } from './options.js';

function defineShow() {
  return byIdCommand(
    'show',
    'print messages by id: the text a person reads, the raw message (mbox for several), or JSON',
    [
      'gmailctl show 18c1f0e2a5b3d4e6',
      `gmailctl list -q 'from:boss@example.com newer_than:1d' --format ids | gmailctl show -`,
      'gmailctl show 18c1f0e2a5b3d4e6 --format raw > message.eml',
      `gmailctl list -q 'label:receipts' --format ids | gmailctl show - --format mbox > receipts.mbox`,
      `gmailctl show 18c1f0e2a5b3d4e6 --json | jq -r '.[0].attachments[].filename'`,
      'gmailctl show 18c1f0e2a5b3d4e6 --save-attachments ~/Downloads/mail',
    ],
    {
      ids: 'message ids, as `list --format ids` prints them; - reads them from stdin, one a line',
      stdin: 'read message ids from stdin, one a line (same as -)',
      format: 'text (default), raw (the RFC 822 message; an mbox for several ids), mbox, json or ndjson',
    },
    WHOLE_MESSAGE_FORMATS,
  )
    .option('--save-attachments <dir>', 'also write each attachment into this directory (mode 0600, safe names)')
    .option('--force', 'with --save-attachments: replace files that exist')
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount);
}

type ShowFlags = ReturnType<ReturnType<typeof defineShow>['opts']>;

export function showCommand(context: ContextSource) {
  return defineShow().action((ids, flags) => runShow(context(), ids, flags));
}

export async function runShow({ io, signal, mailbox: openMailbox }: CommandContext, args: readonly string[], flags: ShowFlags): Promise<void> {
  const ids = await collectIds(io, args, flags.stdin ?? false);
  const format: WholeMessageFormat = flags.format ?? (flags.json ? 'json' : 'text');
  const [messages, { createWholeMessageWriter, needsReading }] = await Promise.all([
    import('../gmail/messages.js'),
    import('../output/whole-messages.js'),
  ]);
  const mailbox = await openMailbox(flags.account);
  const writer = createWholeMessageWriter(format, io, new Set(ids).size);
  const saver = flags.saveAttachments === undefined ? undefined : await attachmentSaver(io, flags.saveAttachments, flags.force ?? false);
  const missing: string[] = [];
  await printEach({
    io,
    signal,
    mailbox,
    items: messages.getRawMessages(mailbox, ids),
    async print(fetched) {
      if (!fetched.found) return void missing.push(fetched.id);
      const item: WholeMessage = { id: fetched.id, raw: fetched.raw, internalDate: Number(fetched.message.internalDate), shown: undefined };
      if (needsReading(format) || saver) {
        const { readMessage } = await import('../mail/read-message.js');
        const read = await readMessage({ message: fetched.message, raw: fetched.raw });
        for (const warning of read.warnings) io.warn(warning);
        item.shown = read.shown;
        await saver?.save(fetched.id, read.files);
      }
      await writer.write(item);
    },
    end: (outcome) => writer.end(outcome),
  });
  saver?.finish();
  const missed = notFound('Message', missing, 'It was deleted, or the id belongs to another account (--account).');
  if (missed) throw missed;
}

/** How many refused files "Not overwritten" names. */
const NAMED_REFUSALS = 5;

/** Saves attachments as they come (their bytes decoded from the message); says on stderr what went where; refuses to overwrite. */
async function attachmentSaver(io: IO, wanted: string, force: boolean) {
  const { NameAllocator, prepareSaveDirectory, safeFileName, saveAttachment } = await import('../mail/save-attachments.js');
  const dir = await prepareSaveDirectory(wanted);
  const names = new NameAllocator();
  const refused: string[] = [];
  return {
    async save(messageId: string, files: MessageRead['files']): Promise<void> {
      for (const [index, { attachment, content }] of files.entries()) {
        const name = names.allocate(safeFileName(attachment.filename, { messageId, index, mimeType: attachment.mimeType }));
        let outcome;
        try {
          outcome = await saveAttachment(dir, name, { messageId, filename: attachment.filename, mimeType: attachment.mimeType, content: await content() }, force);
        } catch (error) {
          throw new GmailctlError(`Could not save an attachment of message ${messageId}: ${dir} ${unwritableReason(error)}.`, { cause: error });
        }
        if (outcome.kind === 'exists') refused.push(outcome.path);
        else io.info(`saved ${outcome.path}`);
      }
    },
    finish(): void {
      if (refused.length === 0) return;
      // The first few by name, the rest counted: a second save of many messages refuses hundreds.
      const named = refused.slice(0, NAMED_REFUSALS).join(', ');
      const more = refused.length > NAMED_REFUSALS ? ` and ${refused.length - NAMED_REFUSALS} more` : '';
      throw new GmailctlError(`Not overwritten: ${named}${more} (${refused.length === 1 ? 'the file exists' : 'the files exist'}).`, {
        hint: 'Save into an empty directory, or pass --force to replace them.',
      });
    },
  };
}
