/**
 * The mail added since a `--since-last` cursor's position, and the pages of it that match a
 * listing — at a cost in proportion to the new mail, never a walk through every match:
 *
 * 1. One users.history.list read (all four kinds of change) says which messages were added
 *    since the position, and their labels now. Those delivered already, and those whose
 *    labels cannot match (src/gmail/could-match.ts), are left out without another call.
 * 2. The rest are looked for in the query's listing bounded by date (`after:`, from when the
 *    position was read, less a margin): new mail is dated about when it arrived.
 * 3. A candidate that did not show up there either does not match or carries an older date
 *    (imported mail keeps its own): its date is looked up (the cache, else one minimal get),
 *    and only old-dated ones are looked for again, in a listing bounded to around their dates.
 *
 * Gmail's `after:`/`before:` with epoch seconds compare at second precision: every bound here
 * is widened by a second, and only the candidates' ids are kept from what they list.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { failureFacts } from './google-error.js';
import { afterDelivering, caughtUp, type CursorPosition } from './cursor-position.js';
import { labelsCouldMatch } from './could-match.js';
import { ALL_HISTORY_TYPES, currentHistoryId, readHistory, type HistoryDeps, type MailboxChanges } from './history.js';
import { listIdPages, MAX_PAGE_SIZE, wellFormed, type IdPage, type ListDeps, type ListQuery } from './listing.js';

export interface NewMail {
  /**
   * Added since the position, not delivered, and possibly matching. Undefined when every
   * match counts: the cursor has not started, or Gmail no longer has its history.
   */
  candidates: ReadonlySet<string> | undefined;
  /** The mailbox's historyId when read: where the cursor stands once every candidate is delivered. */
  historyId: string;
  /** When it was read (ms, this machine's clock), taken before the read. */
  readAt: number;
  /** Gmail no longer had the history since the position (it keeps about a week). */
  expired: boolean;
}

interface NewMailSources {
  /** Reads history from a start (default: readHistory with every type). The message cache shares one read with its own sync. */
  history?: (startHistoryId: string) => Promise<MailboxChanges | 'expired'>;
  /** The mailbox's historyId now (default: getProfile). */
  current?: () => Promise<string>;
  now?: () => number;
}

/** What was added since `position` that could be in the listing of `filter`. One history call when the position has one. */
export async function readNewMail(deps: HistoryDeps, position: CursorPosition, filter: ListQuery, sources: NewMailSources = {}): Promise<NewMail> {
  const readAt = (sources.now ?? Date.now)();
  const current = sources.current ?? (() => currentHistoryId(deps));
  if (position.historyId === undefined) return { candidates: undefined, historyId: await current(), readAt, expired: false };
  const read = await (sources.history ?? ((start) => readHistory(deps, start, ALL_HISTORY_TYPES)))(position.historyId);
  if (read === 'expired') return { candidates: undefined, historyId: await current(), readAt, expired: true };
  const delivered = new Set(position.delivered);
  const candidates = new Set<string>();
  for (const [id, added] of read.added) if (!delivered.has(id) && labelsCouldMatch(added.labelIds, filter)) candidates.add(id);
  return { candidates, historyId: read.historyId, readAt, expired: false };
}

/**
 * New mail may be dated this much before the position was read: Gmail dates a message when
 * it accepts it, and records it in the history after its filters ran; clocks differ too. A
 * message dated earlier still is found by step 3, at the cost of one get.
 */
const DATE_MARGIN_MS = 60 * 60 * 1000;
/** Old-dated candidates further apart than this are looked for in separate date windows. */
const WINDOW_GAP_MS = 60 * 60 * 1000;

/** The query's listing narrowed by date (epoch seconds); the query itself is kept whole in parentheses. */
export function withinDates(query: string | undefined, after: number, before?: number): string {
  const bounds = [`after:${after}`, ...(before !== undefined ? [`before:${before}`] : [])].join(' ');
  return query?.trim() ? `(${query}) ${bounds}` : bounds;
}

/**
 * Pages of the candidates that match `query`, in the listing's order (old-dated ones last).
 * `readAt`: when the position they were added after was read (undefined: no date bound).
 */
export async function* newMessageIdPages(deps: ListDeps, query: ListQuery, candidates: ReadonlySet<string>, readAt: number | undefined): AsyncGenerator<IdPage> {
  let remaining = query.max ?? Number.POSITIVE_INFINITY;
  if (candidates.size === 0 || remaining <= 0) return;
  const seen = new Set<string>();
  const after = readAt === undefined ? undefined : Math.floor((readAt - DATE_MARGIN_MS) / 1000);
  const listed = async function* (q: string | undefined, only: ReadonlySet<string>): AsyncGenerator<IdPage> {
    for await (const page of listIdPages(deps, { ...query, query: q, only, max: remaining }, MAX_PAGE_SIZE)) {
      for (const ref of page.ids) seen.add(ref.id as string);
      remaining -= page.ids.length;
      yield { ids: page.ids, resultSizeEstimate: candidates.size };
    }
  };
  yield* listed(after === undefined ? query.query : withinDates(query.query, after), candidates);
  if (after === undefined || remaining <= 0) return;

  const unseen = [...candidates].filter((id) => !seen.has(id));
  if (unseen.length === 0) return;
  // A message dated after the bound (plus a second for Gmail's precision) was in that listing if it matched.
  const covered = (after + 1) * 1000;
  const dated = [...(await datesOf(deps, unseen))].filter(([, message]) => labelsCouldMatch(message.labelIds, query));
  const old = dated.filter(([, message]) => message.internalDate !== undefined && message.internalDate < covered) as Array<[string, Required<Pick<Dated, 'internalDate'>>]>;
  for (const window of windows(old.sort(([, a], [, b]) => a.internalDate - b.internalDate))) {
    if (remaining <= 0) return;
    const from = Math.floor(window.from / 1000) - 1;
    const to = Math.ceil(window.to / 1000) + 1;
    yield* listed(withinDates(query.query, from, to), new Set(window.ids));
  }
  // Gmail always dates a message; should one come without, it is looked for without a bound rather than lost.
  const undated = dated.filter(([, message]) => message.internalDate === undefined).map(([id]) => id);
  if (undated.length > 0 && remaining > 0) yield* listed(query.query, new Set(undated));
}

interface Dated {
  internalDate?: number;
  labelIds?: string[];
}

/** The date and labels of each message, from the cache or one minimal get; a deleted one is left out. */
async function datesOf(deps: ListDeps, ids: readonly string[]): Promise<Map<string, Dated>> {
  const known = deps.known?.lookup(ids) ?? new Map<string, gmail_v1.Schema$Message>();
  const dated = new Map<string, Dated>();
  const record = (id: string, message: gmail_v1.Schema$Message | undefined): void => {
    const date = Number(message?.internalDate ?? Number.NaN);
    if (message) dated.set(id, { ...(Number.isFinite(date) ? { internalDate: date } : {}), ...(message.labelIds ? { labelIds: message.labelIds } : {}) });
  };
  await Promise.all(ids.map(async (id) => record(id, known.get(id) ?? (await minimalGet(deps, id)))));
  return dated;
}

/** One users.messages.get format=minimal (id, labels, internalDate); undefined when it no longer exists. */
function minimalGet(deps: ListDeps, id: string): Promise<gmail_v1.Schema$Message | undefined> {
  return deps.call('reading the date of a new message', async () => {
    try {
      const response = await deps.gmail.users.messages.get({ userId: 'me', id, format: 'minimal' }, { signal: deps.signal });
      return wellFormed(response.data, `message ${id}`);
    } catch (error) {
      if (failureFacts(error).status === 404) return undefined;
      throw error;
    }
  });
}

/** Sorted dated messages grouped into windows of dates close together. */
function windows(sorted: ReadonlyArray<[string, { internalDate: number }]>): Array<{ from: number; to: number; ids: string[] }> {
  const result: Array<{ from: number; to: number; ids: string[] }> = [];
  for (const [id, { internalDate }] of sorted) {
    const last = result.at(-1);
    if (last && internalDate - last.to <= WINDOW_GAP_MS) {
      last.to = internalDate;
      last.ids.push(id);
    } else result.push({ from: internalDate, to: internalDate, ids: [id] });
  }
  return result;
}

/** Where the cursor moves after a run that wrote `written` of the new mail. */
export function positionAfter(position: CursorPosition, newMail: NewMail, written: readonly string[], complete: boolean): CursorPosition {
  return complete ? caughtUp(newMail.historyId, newMail.readAt) : afterDelivering(position, written);
}
