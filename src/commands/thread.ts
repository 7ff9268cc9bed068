/**
 * `gmailctl thread ID…`: whole conversations by thread id, oldest message first, each
 * message as `show` prints it; or every message raw, as an mbox. Per thread: one
 * users.threads.get (gmail/threads.ts) — format=full, each message read from Gmail's part
 * tree (mail/read-message.ts, the same shown message as show's from the raw bytes) —, then
 * written (output/whole-threads.ts). Only mbox fetches each message raw.
 */
import type { IO } from '../basics/io.js';
import type { MessageDeps } from '../gmail/messages.js';
import type { GmailThread } from '../gmail/threads.js';
import type { Outcome } from '../output/index.js';
import { THREAD_FORMATS, type ThreadFormat } from '../output/whole-threads.js';
import type { CommandContext, ContextSource } from './context.js';
import { byIdCommand } from './define.js';
import { collectIds } from './ids.js';
import { notFound, printEach } from './print-each.js';
import { parseAccount } from './options.js';

function defineThread() {
  return byIdCommand(
    'thread',
    'print whole conversations by thread id, oldest message first: as text, JSON, NDJSON or an mbox',
    [
      'gmailctl thread 18c1f0e2a5b3d4e6',
      `gmailctl list --threads -q 'subject:offsite' --format ids | gmailctl thread -`,
      `gmailctl thread 18c1f0e2a5b3d4e6 --json | jq -r '.[0].messages[] | "\\(.date) \\(.from)"'`,
      'gmailctl thread 18c1f0e2a5b3d4e6 --format mbox > conversation.mbox',
    ],
    {
      ids: 'thread ids, as `list --threads --format ids` prints them (or the threadId of any of its messages); - reads them from stdin, one a line',
      stdin: 'read thread ids from stdin, one a line (same as -)',
      format: 'text (default), json, ndjson, or mbox (every message raw)',
    },
    THREAD_FORMATS,
  )
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount);
}

type ThreadFlags = ReturnType<ReturnType<typeof defineThread>['opts']>;

export function threadCommand(context: ContextSource) {
  return defineThread().action((ids, flags) => runThread(context(), ids, flags));
}

async function runThread({ io, signal, mailbox: openMailbox }: CommandContext, args: readonly string[], flags: ThreadFlags): Promise<void> {
  const ids = await collectIds(io, args, flags.stdin ?? false, { noun: 'thread', command: 'thread' });
  const format: ThreadFormat = flags.format ?? (flags.json ? 'json' : 'text');
  const [threads, print] = await Promise.all([import('../gmail/threads.js'), format === 'mbox' ? mboxPrinter(io) : threadPrinter(io, format)]);
  const mailbox = await openMailbox(flags.account);
  const missing: string[] = [];
  await printEach({
    io,
    signal,
    mailbox,
    items: threads.getThreads(mailbox, ids, format === 'mbox' ? 'minimal' : 'full'),
    print: async (fetched) => (fetched.found ? print.write(mailbox, fetched.thread) : void missing.push(fetched.id)),
    end: (outcome) => print.end(outcome),
  });
  const missed = notFound(
    'Thread',
    missing,
    'It was deleted, or the id belongs to another account (--account). Thread ids are what `gmailctl list --threads --format ids` prints (or the threadId of any of its messages).',
  );
  if (missed) throw missed;
}

interface ThreadPrinter {
  write(mailbox: MessageDeps, thread: GmailThread): Promise<void>;
  end(outcome: Outcome): Promise<void>;
}

/** text/json/ndjson: each message read from the thread's part tree, none fetched again (a part Gmail keeps apart: one attachments.get). */
async function threadPrinter(io: IO, format: Exclude<ThreadFormat, 'mbox'>): Promise<ThreadPrinter> {
  const [{ readThread }, { createThreadWriter }] = await Promise.all([import('../mail/read-thread.js'), import('../output/whole-threads.js')]);
  const writer = createThreadWriter(format, io);
  return {
    async write(mailbox, thread) {
      const read = await readThread(mailbox, thread);
      for (const warning of read.warnings) io.warn(warning);
      await writer.write(read.thread);
    },
    end: (outcome) => writer.end(outcome),
  };
}

/** mbox: every message of each thread raw (one messages.get format=raw each), through show's mbox writer. */
async function mboxPrinter(io: IO): Promise<ThreadPrinter> {
  const [{ getRawMessages }, { oldestFirst }, { createWholeMessageWriter }] = await Promise.all([
    import('../gmail/messages.js'),
    import('../mail/read-thread.js'),
    import('../output/whole-messages.js'),
  ]);
  const writer = createWholeMessageWriter('mbox', io, Number.POSITIVE_INFINITY);
  return {
    async write(mailbox, thread) {
      const ids = oldestFirst(thread.messages).flatMap((message) => (message.id ? [message.id] : []));
      for await (const fetched of getRawMessages(mailbox, ids)) {
        // Deleted between the two calls: the thread is printed without it, and says so.
        if (!fetched.found) io.warn(`message ${fetched.id} of thread ${thread.id} was deleted while it was read: the mbox leaves it out.`);
        else await writer.write({ id: fetched.id, raw: fetched.raw, internalDate: Number(fetched.message.internalDate), shown: undefined });
      }
    },
    end: (outcome) => writer.end(outcome),
  };
}
