/**
 * `gmailctl list`: the messages of a Gmail search, streamed page by page in the chosen
 * format, with a progress line on a terminal. The mailbox (src/auth/mailbox.ts) does the
 * fetching, the message cache (src/cache/) answers what it already knows; this module keeps
 * the format, the progress, the writer loop and when a --since-last cursor moves.
 */
import { Option } from '@commander-js/extra-typings';
import type { ListCache } from '../cache/list-cache.js';
import { describeCacheNotice } from '../cache/notices.js';
import { cacheEnabled } from '../cache/paths.js';
import { CacheError, InterruptedError, UsageError } from '../basics/errors.js';
import type { ListDeps, ListPage } from '../gmail/listing.js';
import type { PacerEvent } from '../gmail/quota-pacer.js';
import type { IO } from '../basics/io.js';
import type { Mailbox } from '../auth/mailbox.js';
import { createMessageWriter, defaultFormat, OUTPUT_FORMATS, type MessageWriter, type Outcome, type OutputFormat } from '../output/index.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { checkFollowFlags, DEFAULT_INTERVAL_SECONDS, rememberingWriter, writeFollowing } from './list-follow.js';
import { parseAccount, parseCursorName, parseInterval, parseLabel, parseMax } from './options.js';

function defineList() {
  return newCommand('list', 'list the messages that match a Gmail search', [
    'gmailctl list -q label:UNREAD',
    'gmailctl list -q is:unread --since-last notifier --format ndjson   # cron: only new mail',
    `gmailctl list -q 'from:boss@example.com after:2026/01/01' --max 20`,
    'gmailctl list -q is:unread --format ids | wc -l',
    `gmailctl list -q 'is:unread' -n 5 --follow --format ndjson   # the newest 5, then new mail as it comes`,
    `gmailctl list --label INBOX --label IMPORTANT --json | jq -r '.[].subject'`,
    `gmailctl list --label Receipts               # a label's name works too`,
    `gmailctl list -q 'has:attachment' --format ndjson | jq -c '{id, from}'`,
  ])
    .option('-q, --query <query>', 'Gmail search, as in the search box (sent verbatim)')
    .addOption(new Option('--label <label>', 'only messages with this label, by id or name (repeatable)').argParser(collectLabel).default([] as string[], 'none'))
    .option('-n, --max <n>', 'stop after n messages (default: all)', parseMax)
    .option('--include-spam-trash', 'include messages in SPAM and TRASH')
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: table on a terminal, tsv otherwise). The table fits the terminal: it leaves DATE out below 58 columns and FROM below 40 columns, and never cuts the id',
      ).choices(OUTPUT_FORMATS),
    )
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount)
    .option('--since-last <name>', 'only messages that arrived since the last complete run with this name (a cursor kept per account)', parseCursorName)
    .option('--no-cache', "fetch every message's metadata instead of using the local cache (also GMAILCTL_NO_CACHE=1)")
    .option('--follow', 'after the listing, keep running and print each new matching message as it arrives (not with --format json)')
    .option('--interval <seconds>', `with --follow: how often to ask Gmail for new mail (default ${DEFAULT_INTERVAL_SECONDS}, at least 5)`, parseInterval);
}

export type ListFlags = ReturnType<ReturnType<typeof defineList>['opts']>;

export function listCommand(context: ContextSource) {
  return defineList().action((flags) => runList(context(), flags));
}

function collectLabel(value: string, previous: string[]): string[] {
  return [...previous, parseLabel(value)];
}

export async function runList(context: CommandContext, flags: ListFlags): Promise<void> {
  const { io, signal } = context;
  const [{ listMessageIds, listMessageSummaries, METADATA_UNITS_PER_MESSAGE }, { resolveLabelIds }, { currentHistoryId }] = await Promise.all([
    import('../gmail/listing.js'),
    import('../gmail/labels.js'),
    import('../gmail/history.js'),
  ]);
  const format: OutputFormat = flags.format ?? (flags.json ? 'json' : defaultFormat(io));
  checkFollowFlags(flags, format);
  if (flags.follow && flags.sinceLast) throw new UsageError('--follow with --since-last is not available yet.');
  // Stop fetching when the user presses Ctrl-C or the reader of stdout goes away.
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  const mailbox = await context.mailbox(flags.account);
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
  let cache: OpenCache | undefined;
  let pages: AsyncIterable<ListPage>;
  let followFrom: string | undefined;
  let deps: ListDeps = mailbox;
  try {
    cache = await openCache(context, flags, format, mailbox);
    if (cache?.messages) await cache.store.sync();
    // Following starts from where the mailbox was when the listing began: nothing in between is missed.
    if (flags.follow) followFrom = await currentHistoryId(mailbox);
    const only = flags.sinceLast && cache ? await cache.store.addedSince(flags.sinceLast) : undefined;
    deps = cache?.messages ? { ...mailbox, known: cache.store.known } : mailbox;
    const listing = only ? { ...query, only } : query;
    pages = format === 'ids' ? listMessageIds(deps, listing) : listMessageSummaries(deps, listing);
  } catch (error) {
    cache?.store.close();
    await mailbox.close();
    throw error;
  }

  const listed = rememberingWriter(await createMessageWriter(format, io));
  const writer = listed.writer;
  try {
    const outcome = await writePages(io, pages, writer, {
      stop,
      progress: format !== 'ids',
      max: flags.max,
      secondsLeft: (messages) => mailbox.pacer.secondsFor(messages * METADATA_UNITS_PER_MESSAGE),
      pauses: (listener) => mailbox.pacer.observe(listener),
    });
    // The cursor moves only past output that was complete and reached stdout.
    if (flags.sinceLast && outcome === 'complete' && !cache?.store.advanceCursor()) {
      io.warn(`--since-last ${flags.sinceLast}: the cursor could not be saved; the next run lists these messages again.`);
    }
    if (followFrom !== undefined && outcome === 'complete') {
      await writeFollowing(io, deps, writer, {
        query: { query: query.query, labelIds, includeSpamTrash: query.includeSpamTrash },
        from: followFrom,
        intervalSeconds: flags.interval ?? DEFAULT_INTERVAL_SECONDS,
        printed: listed.printed,
        newestSeen: listed.newestSeen(),
        stop,
      });
    }
  } finally {
    cache?.store.close();
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/**
 * Writes each page as it comes, with a progress line between pages. Whatever was written
 * stays valid (a JSON array is closed), even on error or Ctrl-C. Answers how it ended.
 */
async function writePages(
  io: IO,
  pages: AsyncIterable<ListPage>,
  writer: MessageWriter,
  {
    stop,
    progress: showProgress,
    max,
    secondsLeft,
    pauses,
  }: {
    stop: AbortSignal;
    progress: boolean;
    max: number | undefined;
    /** How long `messages` more will take at Gmail's per-user limit, once it has been learned. */
    secondsLeft?: (messages: number) => number | undefined;
    /** Tells of the quota pacer's pauses (a spent per-minute quota); answers how to stop listening. */
    pauses?: (listener: (event: PacerEvent) => void) => () => void;
  },
): Promise<Outcome> {
  const progress = showProgress ? io.progress() : undefined;
  // A long wait for Gmail's quota shows on the progress line, as it begins.
  const unlisten = progress
    ? pauses?.((event) => {
        const text = pauseText(event, Date.now());
        if (text !== undefined) progress.update(text);
      })
    : undefined;
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
      progress?.update(progressText({ written, expected, perSecond: written / seconds, secondsLeft: secondsLeft?.(expected - written) }));
    }
    outcome = 'complete';
  } catch (error) {
    // A closed stdout or Ctrl-C makes in-flight requests fail with an abort: a normal end.
    if (!stop.aborted) throw error;
  } finally {
    unlisten?.();
    progress?.clear();
    await writer.end(stop.aborted ? 'stopped' : outcome);
  }
  if (leftOut > 0) {
    io.warn(`${leftOut} message${leftOut === 1 ? ' was' : 's were'} deleted while listing and left out.`);
  }
  return stop.aborted ? 'stopped' : outcome;
}

/**
 * The progress line: messages written of Gmail's estimate, the rate, and once the quota
 * pacer has learned Gmail's per-user limit, the time the rest will take at it.
 */
export function progressText({ written, expected, perSecond, secondsLeft }: { written: number; expected: number; perSecond: number; secondsLeft?: number | undefined }): string {
  const line = `${written} of ~${expected} messages, ${Math.round(perSecond)}/s`;
  return secondsLeft === undefined || expected <= written ? line : `${line}, ~${duration(secondsLeft)} left at Gmail's per-user limit`;
}

/** A pause of the pacer worth a line: a second or more for Gmail's quota. */
const TOLD_PAUSE_MS = 1000;

/**
 * The progress line during a long pause for Gmail's quota: "Gmail's per-minute quota is
 * spent: waiting 15 s, until 12:01:00"; undefined for the short waits that are the pace.
 */
export function pauseText(event: PacerEvent, now: number): string | undefined {
  if (event.kind !== 'pause' || event.ms < TOLD_PAUSE_MS) return undefined;
  const until = new Date(now + event.ms);
  const clock = [until.getHours(), until.getMinutes(), until.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const seconds = Math.ceil(event.ms / 1000);
  return event.perMinute ? `Gmail's per-minute quota is spent: waiting ${seconds} s, until ${clock}` : `Gmail asked to wait: ${seconds} s, until ${clock}`;
}

/** "40 s", "3 min", "1 h 5 min": as precise as an estimate deserves. */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

interface OpenCache {
  store: ListCache;
  /** Whether cached messages are used (else the file serves the --since-last cursor only). */
  messages: boolean;
}

/**
 * The account's cache for this run: its messages (unless turned off, or the format needs
 * ids only) and the --since-last cursors. A login from the environment (CI) uses no files.
 */
async function openCache({ io, env, environmentLogin }: CommandContext, flags: ListFlags, format: OutputFormat, mailbox: Mailbox): Promise<OpenCache | undefined> {
  if ((await environmentLogin()) !== undefined) {
    if (flags.sinceLast) throw new UsageError('--since-last keeps its cursor in the cache directory, which a login from the environment (GMAILCTL_REFRESH_TOKEN, GMAILCTL_ACCESS_TOKEN) does not use.');
    return undefined;
  }
  const messages = format !== 'ids' && cacheEnabled(flags.cache, env, mailbox.session.settings ?? {});
  if (!messages && !flags.sinceLast) return undefined;
  const { openListCache } = await import('../cache/list-cache.js');
  const store = await openListCache({ env, account: mailbox.session.account, deps: mailbox, notify: (notice) => printNotice(io, describeCacheNotice(notice)) });
  if (!store && flags.sinceLast) throw new CacheError(`--since-last ${flags.sinceLast} needs the cache file, which cannot be used (see the warning above).`);
  return store && { store, messages };
}

function printNotice(io: IO, notice: { level: 'warn' | 'info'; text: string }): void {
  if (notice.level === 'warn') io.warn(notice.text);
  else io.info(notice.text);
}
