/**
 * `gmailctl list`: the messages of a Gmail search, streamed page by page in the chosen
 * format, with a progress line on a terminal. The mailbox (src/mailbox.ts) does the
 * fetching; this module keeps the format, the progress and the writer loop.
 */
import { Command, Option } from '@commander-js/extra-typings';
import { InterruptedError } from '../errors.js';
import type { ListPage } from '../gmail/listing.js';
import type { IO } from '../io.js';
import { createMessageWriter, defaultFormat, OUTPUT_FORMATS, type MessageWriter, type Outcome, type OutputFormat } from '../output/index.js';
import type { CommandContext, ContextSource } from './context.js';
import { parseAccount, parseLabel, parseMax } from './options.js';

function defineList() {
  return new Command('list')
    .description('list the messages that match a Gmail search')
    .option('-q, --query <query>', 'Gmail search, as in the search box (sent verbatim)')
    .option('--label <label>', 'only messages with this label, by id or name (repeatable)', collectLabel, [] as string[])
    .option('-n, --max <n>', 'stop after n messages (default: all)', parseMax)
    .option('--include-spam-trash', 'include messages in SPAM and TRASH')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, tsv otherwise)').choices(OUTPUT_FORMATS))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount)
    .addHelpText(
      'after',
      `
Examples:
  $ gmailctl list -q label:UNREAD
  $ gmailctl list -q 'from:boss@example.com after:2026/01/01' --max 20
  $ gmailctl list -q is:unread --format ids | wc -l
  $ gmailctl list --label INBOX --label IMPORTANT --json | jq -r '.[].subject'
  $ gmailctl list --label Receipts               # a label's name works too
  $ gmailctl list -q 'has:attachment' --format ndjson | jq -c '{id, from}'`,
    );
}

export type ListFlags = ReturnType<ReturnType<typeof defineList>['opts']>;

export function listCommand(context: ContextSource) {
  return defineList().action((flags) => runList(context(), flags));
}

function collectLabel(value: string, previous: string[]): string[] {
  return [...previous, parseLabel(value)];
}

export async function runList({ io, env, signal }: CommandContext, flags: ListFlags): Promise<void> {
  const [{ openMailbox }, { listMessageIds, listMessageSummaries }, { resolveLabelIds }] = await Promise.all([
    import('../mailbox.js'),
    import('../gmail/listing.js'),
    import('../gmail/labels.js'),
  ]);
  const format: OutputFormat = flags.format ?? (flags.json ? 'json' : defaultFormat(io));
  // Stop fetching when the user presses Ctrl-C or the reader of stdout goes away.
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  const mailbox = await openMailbox({ env, account: flags.account, signal: stop, debug: (line) => io.debug(line) });
  const labelIds = flags.label.length > 0 ? await resolveLabelIds(mailbox, flags.label).catch(async (error: unknown) => {
    await mailbox.close();
    throw error;
  }) : [];
  const query = {
    query: flags.query,
    labelIds,
    includeSpamTrash: flags.includeSpamTrash ?? false,
    max: flags.max,
  };
  const pages: AsyncIterable<ListPage> = format === 'ids' ? listMessageIds(mailbox, query) : listMessageSummaries(mailbox, query);

  const writer = await createMessageWriter(format, io);
  try {
    await writePages(io, pages, writer, { stop, progress: format !== 'ids', max: flags.max });
  } finally {
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/**
 * Writes each page as it comes, with a progress line between pages. Whatever was written
 * stays valid (a JSON array is closed), even on error or Ctrl-C.
 */
async function writePages(
  io: IO,
  pages: AsyncIterable<ListPage>,
  writer: MessageWriter,
  { stop, progress: showProgress, max }: { stop: AbortSignal; progress: boolean; max: number | undefined },
): Promise<void> {
  const progress = showProgress ? io.progress() : undefined;
  const started = Date.now();
  let written = 0;
  let leftOut = 0;
  let outcome: Outcome = 'failed';
  try {
    for await (const page of pages) {
      progress?.clear();
      await writer.writePage(page.messages);
      written += page.messages.length;
      leftOut += page.leftOut ?? 0;
      if (stop.aborted) break;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const expected = Math.max(Math.min(page.resultSizeEstimate, max ?? Number.POSITIVE_INFINITY), written);
      progress?.update(io.err.dim(`${written} of ~${expected} messages, ${Math.round(written / seconds)}/s`));
    }
    outcome = 'complete';
  } catch (error) {
    // A closed stdout or Ctrl-C makes in-flight requests fail with an abort: a normal end.
    if (!stop.aborted) throw error;
  } finally {
    progress?.clear();
    await writer.end(stop.aborted ? 'stopped' : outcome);
  }
  if (leftOut > 0) {
    io.warn(`${leftOut} message${leftOut === 1 ? ' was' : 's were'} deleted while listing and left out.`);
  }
}
