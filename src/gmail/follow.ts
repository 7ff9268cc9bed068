/**
 * Following a mailbox (`list --follow`): new mail as it arrives, from Gmail's history —
 * one users.history.list per interval when nothing happens (2 quota units), and for the
 * messages it reports: their metadata (through the message cache), then at most one
 * messages.list to learn which of them match the query (Gmail's query language is Gmail's
 * to evaluate), whatever their number. What the caller gets is an async iterable of events
 * (a use case never prints): each matching message once, in the order Gmail recorded them,
 * with the history position to resume after it; a "checked" event per poll; and the
 * outage, resync and left-out facts for the command to tell.
 */
import { GoogleApiError } from '../basics/errors.js';
import { failureFacts } from './google-error.js';
import { currentHistoryId, readHistory } from './history.js';
import { fetchMetadata, listIdPages, MAX_PAGE_SIZE, type Fetched, type ListDeps } from './listing.js';
import { toSummary, type MessageSummary } from './message.js';
import { withinDates } from './new-mail.js';
import { classifyFailure } from './retry.js';

export interface FollowQuery {
  query?: string;
  labelIds: string[];
  includeSpamTrash: boolean;
}

interface FollowClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

interface FollowOptions {
  query: FollowQuery;
  /** The mailbox's historyId when the run before following began: changes after it are news. */
  from: string;
  intervalMs: number;
  /** Ids the run before following printed (the newest ones suffice): never printed again. */
  printed?: Iterable<string>;
  /**
   * The newest internalDate (ms) of the messages printed before following; a resync after
   * a history gap lists the matches after the newest message seen (or, with none seen, those
   * after the start, less a margin for clocks).
   */
  newestSeen?: number;
  clock?: FollowClock;
  /** Waits before asking again for a message that history reported but Gmail does not serve yet (gog#379). */
  notReadyDelaysMs?: readonly number[];
}

export type FollowEvent =
  /** A new matching message; `historyId`: the position that a restart may resume after once it is written. */
  | { kind: 'message'; message: MessageSummary; historyId: string }
  /** A poll went through: everything up to `historyId` is dealt with; `readAt`: when it began (this machine's ms). */
  | { kind: 'checked'; historyId: string; readAt: number }
  /** Google could not be reached (after the usual retries); told once per outage. */
  | { kind: 'unreachable'; reason: string }
  /** The first poll that went through after an outage. */
  | { kind: 'reachable' }
  /** Gmail no longer had the history since `from`: matches after the newest seen message are listed instead. */
  | { kind: 'resynced'; from: string }
  /** Reported new by history but never served by Gmail (deleted at once?): left out, never silently. */
  | { kind: 'unreadable'; ids: string[] };

interface FollowState {
  /** Where the next poll reads history from. */
  position: string;
  /** The newest internalDate (ms) of any message seen: printed, or looked at and not matching. */
  newestSeen: number | undefined;
  /** The clock when following began. */
  started: number;
}

/** With no message seen, a resync lists from the start less this (clocks differ). */
const CLOCK_MARGIN_MS = 10 * 60_000;

/** How many printed ids are remembered to print nothing twice (a resync, the run before following). */
const REMEMBERED = 2000;
/** gog#379: history can name a message a moment before messages.get serves it. */
const NOT_READY_DELAYS_MS = [1000, 2000, 4000];

const realClock: FollowClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

/**
 * The events of following, until the signal aborts (then it ends) or a failure that is not
 * an outage (a revoked login, a refused query) is thrown.
 */
export async function* followMailbox(deps: ListDeps, options: FollowOptions): AsyncGenerator<FollowEvent> {
  const clock = options.clock ?? realClock;
  const printed = new RecentIds(REMEMBERED);
  for (const id of options.printed ?? []) printed.add(id);
  const run: FollowRun = { deps, options, clock, printed, state: { position: options.from, newestSeen: options.newestSeen, started: clock.now() } };
  let down = false;
  while (!deps.signal.aborted) {
    const started = clock.now();
    let events: FollowEvent[] | undefined;
    try {
      events = await poll(run, started);
    } catch (error) {
      if (deps.signal.aborted) return;
      if (!isOutage(error)) throw error;
      if (!down) yield { kind: 'unreachable', reason: (error as Error).message };
      down = true;
    }
    if (events) {
      if (down) yield { kind: 'reachable' };
      down = false;
      for (const event of events) yield event;
    }
    // The next poll one interval after this one began: the idle cost stays one call per interval.
    await clock.sleep(Math.max(0, options.intervalMs - (clock.now() - started)), deps.signal);
  }
}

/** What following keeps from one poll to the next. */
interface FollowRun {
  deps: ListDeps;
  options: FollowOptions;
  clock: FollowClock;
  /** The ids printed lately: none is printed twice. */
  printed: RecentIds;
  state: FollowState;
}

/** One poll, begun at `readAt`: what happened since `state.position`, as events; `state` moves only when it succeeds. */
async function poll(run: FollowRun, readAt: number): Promise<FollowEvent[]> {
  const { deps, options, state, printed, clock } = run;
  const read = await readHistory(deps, state.position, ['messageAdded', 'messageDeleted']);
  if (read === 'expired') return resync(run);
  const candidates = [...read.added.keys()].filter((id) => !printed.has(id));
  const { found, unreadable } = await readWhenReady(deps, candidates, options.notReadyDelaysMs ?? NOT_READY_DELAYS_MS, clock);
  for (const message of found.values()) noteSeen(state, message);
  const matching = await matches(deps, options.query, [...found.values()]);
  const events: FollowEvent[] = [];
  for (const id of candidates) {
    const message = found.get(id);
    if (!message || !matching.has(id)) continue;
    printed.add(id);
    events.push({ kind: 'message', message: toSummary(message), historyId: read.added.get(id)?.historyId ?? state.position });
  }
  if (unreadable.length > 0) events.push({ kind: 'unreadable', ids: unreadable });
  events.push({ kind: 'checked', historyId: read.historyId, readAt });
  state.position = read.historyId;
  return events;
}

/**
 * The metadata of these ids; one that Gmail answers 404 is asked again after each of the
 * delays (history can run ahead of what Gmail serves), then given up as unreadable.
 */
async function readWhenReady(
  deps: ListDeps,
  ids: readonly string[],
  delaysMs: readonly number[],
  clock: FollowClock,
): Promise<{ found: Map<string, NonNullable<Fetched>>; unreadable: string[] }> {
  const found = new Map<string, NonNullable<Fetched>>();
  let missing = [...ids];
  for (let attempt = 0; missing.length > 0; attempt++) {
    const fetched = await fetchMetadata(deps, missing);
    for (const [id, message] of fetched) if (message) found.set(id, message);
    missing = missing.filter((id) => !found.has(id));
    const delay = delaysMs[attempt];
    if (missing.length === 0 || delay === undefined || deps.signal.aborted) break;
    await clock.sleep(delay, deps.signal);
  }
  return { found, unreadable: missing };
}

/**
 * Which of these messages the query and filters match. The filters (labels, spam and
 * trash) are read off the messages; a query costs one messages.list restricted to the time
 * of the oldest of them (paged only when more than 500 newer messages match).
 */
async function matches(deps: ListDeps, query: FollowQuery, messages: ReadonlyArray<NonNullable<Fetched>>): Promise<Set<string>> {
  const filtered = messages.filter((message) => passesFilters(query, message.labelIds ?? []));
  const ids = new Set(filtered.map((message) => message.id as string));
  if (ids.size === 0 || !query.query?.trim()) return ids;
  const dates = filtered.map((message) => Number(message.internalDate)).filter((date) => date > 0);
  // Without dates (never seen from Gmail), the query alone: paged only until all are seen.
  const oldest = dates.length === filtered.length ? Math.min(...dates) : 0;
  const listed = new Set<string>();
  const restricted = { ...query, query: oldest > 0 ? withinDates(query.query, afterSeconds(oldest)) : query.query, only: ids };
  for await (const page of listIdPages(deps, restricted, MAX_PAGE_SIZE)) for (const ref of page.ids) listed.add(ref.id as string);
  return listed;
}

/** messages.list's own filters: every --label, and no SPAM or TRASH unless asked for. */
function passesFilters(query: FollowQuery, labels: readonly string[]): boolean {
  if (!query.includeSpamTrash && (labels.includes('SPAM') || labels.includes('TRASH'))) return false;
  return query.labelIds.every((label) => labels.includes(label));
}

function noteSeen(state: FollowState, message: NonNullable<Fetched>): void {
  const date = Number(message.internalDate);
  if (date > 0) state.newestSeen = Math.max(state.newestSeen ?? date, date);
}

/** `after:` in epoch seconds, a second early: Gmail's after: is on whole seconds. */
function afterSeconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000) - 1);
}

/**
 * Gmail no longer has the history after our position (a gap of about a week): start again
 * from now, and list what matches after the newest message already seen, leaving out what
 * was printed — printing nothing twice.
 */
async function resync({ deps, options, state, printed, clock }: FollowRun): Promise<FollowEvent[]> {
  const readAt = clock.now();
  const now = await currentHistoryId(deps);
  const listing = { ...options.query, query: withinDates(options.query.query, afterSeconds(state.newestSeen ?? state.started - CLOCK_MARGIN_MS)) };
  const ids: string[] = [];
  for await (const page of listIdPages(deps, listing, MAX_PAGE_SIZE)) for (const ref of page.ids) if (!printed.has(ref.id as string)) ids.push(ref.id as string);
  ids.reverse(); // oldest first, as history reports
  const fetched = await fetchMetadata(deps, ids);
  const events: FollowEvent[] = [{ kind: 'resynced', from: state.position }];
  for (const id of ids) {
    const message = fetched.get(id);
    if (!message) continue;
    noteSeen(state, message);
    printed.add(id);
    // Resumable only from where history was lost: a restart lists them again (at least once).
    events.push({ kind: 'message', message: toSummary(message), historyId: state.position });
  }
  events.push({ kind: 'checked', historyId: now, readAt });
  state.position = now;
  return events;
}

/**
 * A failure that following outlives: Google unreachable, a server error or a rate limit
 * that the retry policy gave up on. A revoked login or a refused query is not one.
 */
export function isOutage(error: unknown): boolean {
  if (!(error instanceof GoogleApiError)) return false;
  if (error.status === undefined) return true;
  return error.status >= 500 || error.status === 429 || classifyFailure(failureFacts(error.cause)) !== 'final';
}

/** A set that forgets its oldest ids beyond a size: memory stays flat however long it runs. */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(private readonly size: number) {}

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    if (this.#ids.size > this.size) this.#ids.delete(this.#ids.values().next().value as string);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }
}
