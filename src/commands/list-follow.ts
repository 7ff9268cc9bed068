/**
 * `gmailctl list --follow`: after the listing, new mail as it arrives (src/gmail/follow.ts
 * finds it), written a line at a time with the listing's writer; on a terminal an idle line
 * says when Gmail was last asked; outages, history gaps and left-out messages are told on
 * stderr. `list` (list.ts) keeps the listing; this module only the following after it.
 */
import { UsageError } from '../basics/errors.js';
import { settleIntoLongRun } from '../basics/long-run.js';
import type { FollowEvent, FollowQuery } from '../gmail/follow.js';
import type { ListDeps } from '../gmail/listing.js';
import type { MessageSummary } from '../gmail/message.js';
import type { IO } from '../basics/io.js';
import type { MessageWriter, OutputFormat } from '../output/index.js';

/** --interval when not given, in seconds. */
export const DEFAULT_INTERVAL_SECONDS = 30;
/** How many ids of the listing are remembered so that following prints none of them again (the newest come first). */
const LISTED_REMEMBERED = 2000;

/** The --follow flags as commander parses them. */
interface FollowFlags {
  follow?: boolean;
  interval?: number;
  max?: number;
  sinceLast?: string;
  commit?: boolean;
}

/** Usage errors of --follow and --interval, before anything is asked of Google. */
export function checkFollowFlags(flags: FollowFlags, format: OutputFormat): void {
  if (!flags.follow) {
    if (flags.interval !== undefined) throw new UsageError('--interval sets how often --follow asks Gmail for news: it needs --follow.');
    return;
  }
  if (format === 'json') {
    throw new UsageError('--follow cannot write --format json: an array that never ends is not JSON.', { hint: 'Use --format ndjson (one object a line) with --follow.' });
  }
  if (!flags.sinceLast) return;
  // A run that never ends has no end to commit at: with --follow the cursor moves after each printed message.
  if (flags.commit === false) {
    throw new UsageError('--no-commit cannot go with --follow: a run that follows never ends, so there is no end to commit at; with --follow the cursor advances after each printed message.', {
      hint: 'Leave out --no-commit (a consumer that may fail: run list --since-last NAME --no-commit from cron, then gmailctl cursor commit NAME).',
    });
  }
  if (flags.max !== undefined) {
    throw new UsageError('-n cannot go with --follow --since-last: -n leaves the rest of the new mail for a later run, and following would pass over it.', {
      hint: 'To start a cursor without printing the mail so far: gmailctl list … --since-last NAME --format ids > /dev/null',
    });
  }
}

/**
 * Wraps the listing's writer to remember what it wrote: the newest ids (following prints
 * none of them again) and the newest date (a resync after a history gap starts there).
 */
export function rememberingWriter(writer: MessageWriter): { writer: MessageWriter; printed: string[]; newestSeen: () => number | undefined } {
  const printed: string[] = [];
  let newest: number | undefined;
  return {
    printed,
    newestSeen: () => newest,
    writer: {
      async writePage(messages: readonly MessageSummary[]) {
        for (const message of messages) {
          if (printed.length < LISTED_REMEMBERED) printed.push(message.id);
          const date = Date.parse(message.date);
          if (Number.isFinite(date)) newest = Math.max(newest ?? date, date);
        }
        await writer.writePage(messages);
      },
      end: (outcome) => writer.end(outcome),
    },
  };
}

export interface FollowRun {
  query: FollowQuery;
  /** The mailbox's historyId when the listing began. */
  from: string;
  intervalSeconds: number;
  printed: Iterable<string>;
  newestSeen: number | undefined;
  /** Aborted by Ctrl-C, SIGTERM or the reader of stdout going away: following ends. */
  stop: AbortSignal;
  /** A --since-last cursor, moved after each message written and each poll dealt with. */
  cursor?: FollowCursor;
}

/** Where following tells a --since-last cursor how far it got (each step saved; a failure to save is thrown). */
export interface FollowCursor {
  /** These messages reached stdout. */
  delivered(ids: readonly string[]): void;
  /** Everything added up to `historyId` was written or cannot match; `readAt`: when that was read. */
  caughtUp(historyId: string, readAt: number): void;
}

/** Follows until stopped; a failure that is not an outage (a revoked login) is thrown. */
export async function writeFollowing(io: IO, deps: ListDeps, writer: MessageWriter, run: FollowRun): Promise<void> {
  const { followMailbox } = await import('../gmail/follow.js');
  settleIntoLongRun();
  const events = followMailbox(
    { ...deps, signal: run.stop },
    {
      query: run.query,
      from: run.from,
      intervalMs: run.intervalSeconds * 1000,
      printed: run.printed,
      ...(run.newestSeen !== undefined ? { newestSeen: run.newestSeen } : {}),
    },
  );
  const idle = io.progress();
  // Nothing may be written for hours: the reader of stdout going away meanwhile ends it too.
  const unwatch = io.watchReader();
  try {
    for await (const event of events) {
      if (event.kind !== 'checked') idle.clear();
      await tell(io, writer, event, run);
      if (run.stop.aborted) break;
      if (event.kind === 'checked') idle.update(idleText(event.readAt, run.intervalSeconds));
    }
  } catch (error) {
    // Ctrl-C or a closed stdout makes the request in flight fail with an abort: a normal end.
    if (!run.stop.aborted) throw error;
  } finally {
    unwatch();
    idle.clear();
  }
}

async function tell(io: IO, writer: MessageWriter, event: FollowEvent, run: FollowRun): Promise<void> {
  switch (event.kind) {
    case 'message':
      await writer.writePage([event.message]);
      // Handed to the OS (a reader gone shows up now, not after the cursor moved past it).
      if (run.cursor) await io.flush();
      if (!run.stop.aborted) run.cursor?.delivered([event.message.id]);
      return;
    case 'checked':
      if (!run.stop.aborted) run.cursor?.caughtUp(event.historyId, event.readAt);
      return;
    case 'unreachable':
      io.warn(`Google cannot be reached (${event.reason.replace(/\.$/, '')}); still following, asking again every ${run.intervalSeconds} s.`);
      return;
    case 'reachable':
      io.info('Google can be reached again; following.');
      return;
    case 'resynced':
      io.warn(
        "Gmail no longer has the mailbox's history since the last check (it keeps about a week): resynced; " +
          'matches newer than the newest message seen are printed, none twice.',
      );
      return;
    case 'unreadable':
      io.warn(
        `${event.ids.length} new message${event.ids.length === 1 ? '' : 's'} that Gmail reported could not be read and ` +
          `${event.ids.length === 1 ? 'was' : 'were'} left out (deleted as ${event.ids.length === 1 ? 'it' : 'they'} arrived?): ${event.ids.join(' ')}`,
      );
      return;
  }
}

/** "following: checked 14:05:09, every 30 s": when Gmail was last asked. */
export function idleText(at: number, intervalSeconds: number): string {
  const time = new Date(at).toLocaleTimeString('en-GB', { hour12: false });
  return `following: last checked ${time}, every ${intervalSeconds} s (Ctrl-C to stop)`;
}
