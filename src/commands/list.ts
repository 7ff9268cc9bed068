/**
 * `gmailctl list`: the messages of a Gmail search (or with --threads its conversations),
 * streamed page by page in the chosen format, with a progress line on a terminal. The mailbox (src/auth/mailbox.ts) does the
 * fetching, the message cache (src/cache/) answers what it already knows; this module keeps
 * the format, the progress, the writer loop and when a --since-last cursor moves.
 */
import { Option } from '@commander-js/extra-typings';
import type { ListCache } from '../cache/list-cache.js';
import { describeCacheNotice } from '../cache/notices.js';
import { cacheEnabled } from '../cache/paths.js';
import { CacheError, InterruptedError, UsageError } from '../basics/errors.js';
import { afterDelivering, caughtUp, START, type CursorPosition } from '../gmail/cursor-position.js';
import type { ListDeps, ListPage, ListQuery } from '../gmail/listing.js';
import type { ThreadPage } from '../gmail/thread-listing.js';
import type { PacerEvent, QuotaPacer } from '../gmail/quota-pacer.js';
import type { NewMail } from '../gmail/new-mail.js';
import type { IO } from '../basics/io.js';
import type { Mailbox } from '../auth/mailbox.js';
import { createMessageWriter, createThreadSummaryWriter, defaultFormat, OUTPUT_FORMATS, type MessageWriter, type Outcome, type OutputFormat } from '../output/index.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { checkFollowFlags, DEFAULT_INTERVAL_SECONDS, rememberingWriter, writeFollowing, type FollowCursor } from './list-follow.js';
import { parseAccount, parseCursorName, parseInterval, parseLabel, parseMax } from './options.js';

function defineList() {
  return newCommand('list', 'list the messages (or with --threads, the conversations) that match a Gmail search', [
    'gmailctl list -q label:UNREAD',
    'gmailctl list -q is:unread --since-last notifier --format ndjson   # cron: only new mail',
    'gmailctl list -q is:unread --since-last n --no-commit --format ndjson | ./process && gmailctl cursor commit n',
    `gmailctl list -q 'from:boss@example.com after:2026/01/01' --max 20`,
    'gmailctl list -q is:unread --format ids | wc -l',
    `gmailctl list -q 'is:unread' -n 5 --follow --format ndjson   # the newest 5, then new mail as it comes`,
    `gmailctl list -q 'is:unread' --since-last n --follow --format tsv   # a restart resumes: nothing twice, nothing missed`,
    `gmailctl list --label INBOX --label IMPORTANT --json | jq -r '.[].subject'`,
    `gmailctl list --label Receipts               # a label's name works too`,
    `gmailctl list -q 'has:attachment' --format ndjson | jq -c '{id, from}'`,
    `gmailctl list --threads -q 'subject:offsite'   # a conversation a row: newest date and sender, messages, first subject`,
    `gmailctl list --threads --label INBOX -q is:unread --format ids | gmailctl thread -`,
  ])
    .option('-q, --query <query>', 'Gmail search, as in the search box (sent verbatim)')
    .addOption(new Option('--label <label>', 'only messages with this label, by id or name (repeatable)').argParser(collectLabel).default([] as string[], 'none'))
    .option('-n, --max <n>', 'stop after n messages (with --threads: n conversations; default: all)', parseMax)
    .option('--include-spam-trash', 'include messages in SPAM and TRASH')
    .option('--threads', 'one row per conversation (users.threads.list): id, the newest date and sender, the message count, the first subject; a repeat run reads again only the conversations that changed (not with --since-last or --follow)')
    .addOption(
      new Option(
        '--format <format>',
        'output format (default: table on a terminal, tsv otherwise). The table fits the terminal: it leaves DATE out below 58 columns and FROM below 40 columns, and never cuts the id',
      ).choices(OUTPUT_FORMATS),
    )
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount)
    .option('--since-last <name>', 'only messages that arrived since the last complete run with this name (a cursor kept per account)', parseCursorName)
    .option('--no-commit', "with --since-last: leave the cursor where it is, and record where this run got for 'gmailctl cursor commit NAME'")
    .option('--no-cache', "fetch every message's metadata (with --threads: every conversation's) instead of using the local cache (also GMAILCTL_NO_CACHE=1)")
    .option('--follow', 'after the listing, keep running and print each new matching message as it arrives (not with --format json); with --since-last, the cursor advances after each message')
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
  if (flags.commit === false && !flags.sinceLast) throw new UsageError('--no-commit goes with --since-last NAME: it leaves that cursor for gmailctl cursor commit.');
  const [{ listMessageIds, listMessageSummaries, METADATA_UNITS_PER_MESSAGE }, { resolveLabelIds }, { currentHistoryId }, { newMessageIdPages, positionAfter, readNewMail }] = await Promise.all([
    import('../gmail/listing.js'),
    import('../gmail/labels.js'),
    import('../gmail/history.js'),
    import('../gmail/new-mail.js'),
  ]);
  const format: OutputFormat = flags.format ?? (flags.json ? 'json' : defaultFormat(io));
  checkFollowFlags(flags, format);
  if (flags.threads) return runListThreads(context, flags, format);
  // Stop fetching when the user presses Ctrl-C or the reader of stdout goes away.
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  const mailbox = await context.mailbox(flags.account);
  const query = await listQuery(mailbox, flags, resolveLabelIds);
  const labelIds = query.labelIds;
  let cache: OpenCache | undefined;
  let pages: AsyncIterable<ListPage>;
  let followFrom: string | undefined;
  let deps: ListDeps = mailbox;
  let since: SinceLast | undefined;
  try {
    cache = await openCache(context, flags, format, mailbox);
    const store = cache?.store;
    if (flags.sinceLast) {
      const name = flags.sinceLast;
      since = { name, position: store?.cursorPosition(name) ?? START, unsaved: cache?.unusable };
      // A --no-commit run starts by forgetting what an earlier one left pending: should this
      // one fail, `cursor commit` must not commit what that one printed to a failed consumer.
      if (store && flags.commit === false) since.unsaved ??= store.saveCursor(name, undefined, { pending: true });
      if (store) {
        since.newMail = cache?.messages ? await store.syncAndReadNewMail(since.position, query) : await readNewMail(mailbox, since.position, query);
        if (since.newMail.expired) printNotice(io, describeCacheNotice({ kind: 'cursor-expired', name }));
      }
    } else if (cache?.messages) await store?.sync();
    // Following starts from where the mailbox was when the listing began: nothing in between is missed.
    if (flags.follow) followFrom = since?.newMail?.historyId ?? (await currentHistoryId(mailbox));
    deps = cache?.messages && store ? { ...mailbox, known: store.known } : mailbox;
    const delivered = since?.position.delivered ?? [];
    const listing = delivered.length > 0 ? { ...query, except: new Set(delivered) } : query;
    const candidates = since?.newMail?.candidates;
    const ids = candidates ? newMessageIdPages(deps, listing, candidates, since?.position.readAt) : undefined;
    pages = format === 'ids' ? listMessageIds(deps, listing, ids) : listMessageSummaries(deps, listing, ids);
  } catch (error) {
    cache?.store?.close();
    await mailbox.close();
    // Ctrl-C during the history read or the label lookup makes that request fail: it was the interrupt.
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
    throw error;
  }

  const listed = rememberingWriter(await createMessageWriter(format, io));
  const writer = listed.writer;
  const written: string[] = [];
  // With --follow, a --since-last cursor moves after each page written, then after each message followed.
  const cursor = since && flags.follow ? followCursor(since, cache?.store) : undefined;
  try {
    const outcome = await writePages(io, pages, (page) => page.messages, writer, {
      ...listProgress(format, flags, mailbox, stop),
      noun: 'messages',
      unitsPerRow: METADATA_UNITS_PER_MESSAGE,
      onWritten: since
        ? async (messages) => {
            const ids = messages.map((m) => m.id);
            written.push(...ids);
            if (!cursor) return;
            await io.flush();
            if (!stop.aborted) cursor.delivered(ids);
          }
        : undefined,
    });
    // The cursor moves only when the run succeeds, and only past what reached stdout.
    if (since && outcome === 'complete') {
      if (cursor && since.newMail) cursor.caughtUp(since.newMail.historyId, since.newMail.readAt);
      else {
        const next = since.newMail && positionAfter(since.position, since.newMail, written, !(flags.max !== undefined && written.length >= flags.max));
        moveCursor(since, cache?.store, next, flags.commit === false);
      }
    }
    if (followFrom !== undefined && outcome === 'complete') {
      await writeFollowing(io, deps, writer, {
        query: { query: query.query, labelIds, includeSpamTrash: query.includeSpamTrash },
        from: followFrom,
        intervalSeconds: flags.interval ?? DEFAULT_INTERVAL_SECONDS,
        printed: [...listed.printed, ...(since?.position.delivered ?? [])],
        newestSeen: listed.newestSeen(),
        stop,
        ...(cursor ? { cursor } : {}),
      });
    }
  } finally {
    cache?.store?.close();
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/**
 * `list --threads`: the conversations of the search, a row each, from users.threads.list;
 * a conversation's summary comes from the cache while its historyId has not moved, else from
 * one threads.get (format=metadata). `--format ids` makes list calls only. No cursor and no
 * following: those are about messages arriving (--since-last, --follow are usage errors).
 */
async function runListThreads(context: CommandContext, flags: ListFlags, format: OutputFormat): Promise<void> {
  const { io, signal } = context;
  if (flags.sinceLast !== undefined) {
    throw new UsageError('--threads cannot go with --since-last: a cursor follows messages as they arrive, not conversations.', {
      hint: "Use --since-last without --threads for new mail; its messages' threadId names their conversations.",
    });
  }
  if (flags.follow) throw new UsageError('--threads cannot go with --follow: following prints messages as they arrive, not conversations.', { hint: 'Use --follow without --threads.' });
  const [{ listThreadIds, listThreadSummaries, UNITS_PER_THREAD }, { resolveLabelIds }] = await Promise.all([import('../gmail/thread-listing.js'), import('../gmail/labels.js')]);
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  const mailbox = await context.mailbox(flags.account);
  const query = await listQuery(mailbox, flags, resolveLabelIds);
  let cache: OpenCache | undefined;
  let pages: AsyncIterable<ThreadPage>;
  try {
    // Summaries are checked against the historyId threads.list gives each thread: no history read.
    cache = await openCache(context, flags, format, mailbox);
    const knownThreads = cache?.messages ? cache.store?.knownThreads : undefined;
    pages = format === 'ids' ? listThreadIds(mailbox, query) : listThreadSummaries({ ...mailbox, knownThreads }, query);
  } catch (error) {
    cache?.store?.close();
    await mailbox.close();
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
    throw error;
  }
  const writer = await createThreadSummaryWriter(format, io);
  try {
    await writePages(io, pages, (page) => page.threads, writer, { ...listProgress(format, flags, mailbox, stop), noun: 'conversations', unitsPerRow: UNITS_PER_THREAD });
  } finally {
    cache?.store?.close();
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** The search and filters of a run: --label names resolved to ids (the mailbox is closed if that fails). */
async function listQuery(mailbox: Mailbox, flags: ListFlags, resolveLabelIds: (mailbox: Mailbox, labels: string[]) => Promise<string[]>): Promise<ListQuery> {
  const labelIds = flags.label.length > 0 ? await resolveLabelIds(mailbox, flags.label).catch(async (error: unknown) => {
    await mailbox.close();
    throw error;
  }) : [];
  return { query: flags.query, labelIds, includeSpamTrash: flags.includeSpamTrash ?? false, max: flags.max };
}

/** What writePages needs of a run for its progress line: where it stops, the quota pacer that knows the time left. */
function listProgress(format: OutputFormat, flags: ListFlags, mailbox: Mailbox, stop: AbortSignal): Pick<WriteOptions<unknown>, 'stop' | 'progress' | 'max' | 'pacer'> {
  return { stop, progress: format !== 'ids', max: flags.max, pacer: mailbox.pacer };
}

/** A --since-last run: its cursor's position, the new mail read from it, and why it cannot be saved (if known early). */
interface SinceLast {
  name: string;
  position: CursorPosition;
  newMail?: NewMail;
  unsaved?: string | undefined;
}

/**
 * After a run that wrote all it had to: the cursor moves past what was written (all the new
 * mail, or with -n what was printed), or with --no-commit that position is recorded for
 * `gmailctl cursor commit`. A cursor that cannot be saved is exit 1, after the output.
 */
function moveCursor(since: SinceLast, store: ListCache | undefined, next: CursorPosition | undefined, pending: boolean): void {
  const problem = since.unsaved ?? (store && next ? store.saveCursor(since.name, next, { pending }) : 'the cache file cannot be used');
  if (problem !== undefined) {
    throw new CacheError(`--since-last ${since.name}: the cursor could not be saved (${problem}); the next run prints these messages again.`, {
      hint: 'Free some disk space, or set GMAILCTL_CACHE_DIR to a directory you can write to.',
    });
  }
}

/**
 * A --since-last cursor moved step by step while following: past each message written, and
 * to each position following has dealt with. Each step is saved at once (a kill -9 loses
 * none); one that cannot be saved ends the run with exit 1.
 */
function followCursor(since: SinceLast, store: ListCache | undefined): FollowCursor {
  let position = since.position;
  const save = (next: CursorPosition): void => {
    moveCursor(since, store, next, false);
    position = next;
  };
  return {
    delivered: (ids) => save(afterDelivering(position, ids)),
    caughtUp: (historyId, readAt) => {
      // An idle poll changes nothing: no write.
      if (position.historyId !== historyId || position.delivered.length > 0) save(caughtUp(historyId, readAt));
    },
  };
}

/**
 * Writes each page as it comes, with a progress line between pages. Whatever was written
 * stays valid (a JSON array is closed), even on error or Ctrl-C. Answers how it ended.
 */
interface WriteOptions<T> {
  /** What the rows are, for the progress line and warnings ("messages", "conversations"). */
  noun: 'messages' | 'conversations';
  stop: AbortSignal;
  progress: boolean;
  max: number | undefined;
  /** Tells how long the rest takes at Gmail's per-user limit once learned, and of its pauses (a spent per-minute quota). */
  pacer?: Pick<QuotaPacer, 'secondsFor' | 'observe'>;
  /** Quota units a row costs, for the time left. */
  unitsPerRow: number;
  /** Told each page's rows once the writer has taken them. */
  onWritten?: ((rows: readonly T[]) => void | Promise<void>) | undefined;
}

async function writePages<P extends { resultSizeEstimate: number; leftOut?: number | undefined }, T>(
  io: IO,
  pages: AsyncIterable<P>,
  rowsOf: (page: P) => readonly T[],
  writer: MessageWriter<T>,
  { noun, stop, progress: showProgress, max, pacer, unitsPerRow, onWritten }: WriteOptions<T>,
): Promise<Outcome> {
  const progress = showProgress ? io.progress() : undefined;
  // A long wait for Gmail's quota shows on the progress line, as it begins.
  const unlisten = progress
    ? pacer?.observe((event) => {
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
      const rows = rowsOf(page);
      progress?.clear();
      await writer.writePage(rows);
      await onWritten?.(rows);
      written += rows.length;
      leftOut += page.leftOut ?? 0;
      if (stop.aborted) break;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const expected = Math.max(Math.min(page.resultSizeEstimate, max ?? Number.POSITIVE_INFINITY), written);
      progress?.update(progressText({ written, expected, perSecond: written / seconds, secondsLeft: pacer?.secondsFor((expected - written) * unitsPerRow), noun }));
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
    const one = noun === 'messages' ? 'message' : 'conversation';
    io.warn(`${leftOut} ${leftOut === 1 ? `${one} was` : `${one}s were`} deleted while listing and left out.`);
  }
  return stop.aborted ? 'stopped' : outcome;
}

/**
 * The progress line: messages written of Gmail's estimate, the rate, and once the quota
 * pacer has learned Gmail's per-user limit, the time the rest will take at it.
 */
export function progressText({
  written,
  expected,
  perSecond,
  secondsLeft,
  noun = 'messages',
}: {
  written: number;
  expected: number;
  perSecond: number;
  secondsLeft?: number | undefined;
  noun?: 'messages' | 'conversations';
}): string {
  const line = `${written} of ~${expected} ${noun}, ${Math.round(perSecond)}/s`;
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
  store?: ListCache;
  /** Whether cached messages are used (else the file serves the --since-last cursor only). */
  messages: boolean;
  /** Why the file cannot be used (--since-last goes on without its cursor, and fails at the end). */
  unusable?: string;
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
  let unusable: string | undefined;
  const store = await openListCache({
    env,
    account: mailbox.session.account,
    deps: mailbox,
    notify: (notice) => {
      if (notice.kind === 'unusable') unusable = notice.reason;
      printNotice(io, describeCacheNotice(notice));
    },
  });
  if (store) return { store, messages };
  // --since-last without its file: every match is printed, then the run fails (the cursor cannot move).
  return flags.sinceLast ? { messages: false, unusable: unusable ?? 'the cache file cannot be used' } : undefined;
}

function printNotice(io: IO, notice: { level: 'warn' | 'info'; text: string }): void {
  if (notice.level === 'warn') io.warn(notice.text);
  else io.info(notice.text);
}
