/**
 * Paging through a Gmail search: users.messages.list and users.threads.list alike. One loop
 * for both: the query and filters sent the same way, the next page asked for before the
 * consumer sees this one, each item once (pages overlap when mail arrives meanwhile), `--max`
 * counted on what is kept. And the step after it: each page's details fetched while the
 * next page is listed (fetchAhead).
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { GoogleApiError } from '../basics/errors.js';
import type { CallGoogle } from './batch-get.js';
import type { GmailClient } from './client.js';

/** A search and its filters, as `list` and the MCP search tools take them. */
export interface ListQuery {
  query?: string;
  labelIds: string[];
  includeSpamTrash: boolean;
  /** Stop after this many items (messages, or threads). */
  max?: number;
  /**
   * Only these ids (`--since-last`): the others are skipped without fetching anything for
   * them, and listing stops once all of these have been seen.
   */
  only?: ReadonlySet<string>;
  /** Never these ids (delivered already by an earlier `--since-last` run cut short with -n). */
  except?: ReadonlySet<string>;
}

/** What a list method is asked for one page: the search, its filters, the page size and where to go on. */
export interface ListParams {
  userId: 'me';
  maxResults: number;
  q?: string;
  labelIds?: string[];
  includeSpamTrash?: boolean;
  pageToken?: string;
}

/** What a list method answers for one page (users.messages.list and users.threads.list alike). */
interface ListedPage {
  nextPageToken?: string | null | undefined;
  resultSizeEstimate?: number | null | undefined;
}

interface ListMethod<R extends ListedPage, T> {
  /** What the call does, for errors and retries ("listing messages"). */
  doing: string;
  /** What one answer is, should it be malformed ("a page of messages"). */
  what: string;
  /** One page: the API call. */
  call(gmail: GmailClient, params: ListParams, signal: AbortSignal): Promise<{ data: R | string }>;
  /** The page's items (message or thread refs). */
  items(page: R): T[] | null | undefined;
}

/** users.messages.list: message refs (id, threadId). */
export const MESSAGES_LIST: ListMethod<gmail_v1.Schema$ListMessagesResponse, gmail_v1.Schema$Message> = {
  doing: 'listing messages',
  what: 'a page of messages',
  call: (gmail, params, signal) => gmail.users.messages.list(params, { signal }),
  items: (page) => page.messages,
};

/** users.threads.list: thread refs (id, historyId, snippet). */
export const THREADS_LIST: ListMethod<gmail_v1.Schema$ListThreadsResponse, gmail_v1.Schema$Thread> = {
  doing: 'listing conversations',
  what: 'a page of conversations',
  call: (gmail, params, signal) => gmail.users.threads.list(params, { signal }),
  items: (page) => page.threads,
};

interface PagerDeps {
  gmail: GmailClient;
  call: CallGoogle;
  signal: AbortSignal;
}

/** A page of items (message or thread refs), in the API's order, with Gmail's estimate of the total. */
export interface Page<T> {
  ids: T[];
  resultSizeEstimate: number;
}

/**
 * The pages of `query` from one list method, `pageSize` at a time (asked again for each
 * page when it is a function), to `query.max` items.
 * `query.only` keeps just those ids (pages stay full-sized: --max counts what is kept) and
 * stops once all were seen; `query.except` leaves those out.
 */
export async function* pagesOf<R extends ListedPage, T extends { id?: string | null | undefined }>(deps: PagerDeps, query: ListQuery, method: ListMethod<R, T>, pageSize: number | (() => number)): AsyncGenerator<Page<T>> {
  let pageToken: string | undefined;
  let remaining = query.max ?? Number.POSITIVE_INFINITY;
  let estimate: number | undefined;
  const seen = new Set<string>();
  const only = query.only;
  const wanted = (count: number): number => (only ? Number.POSITIVE_INFINITY : count);
  let unseen = only?.size ?? Number.POSITIVE_INFINITY;
  let next: Promise<R> | undefined = unseen > 0 ? fetchPage(undefined, wanted(remaining)) : undefined;

  function fetchPage(token: string | undefined, wanted: number): Promise<R> {
    const params: ListParams = {
      userId: 'me',
      maxResults: Math.min(typeof pageSize === 'number' ? pageSize : pageSize(), wanted),
      ...(query.query !== undefined ? { q: query.query } : {}),
      ...(query.labelIds.length > 0 ? { labelIds: query.labelIds } : {}),
      ...(query.includeSpamTrash ? { includeSpamTrash: true } : {}),
      ...(token ? { pageToken: token } : {}),
    };
    const promise = deps.call(method.doing, async () => wellFormed((await method.call(deps.gmail, params, deps.signal)).data, method.what));
    promise.catch(() => undefined); // handled when awaited; no unhandled rejection meanwhile
    return promise;
  }

  while (next && remaining > 0) {
    const data: R = await next;
    estimate ??= only ? only.size : (data.resultSizeEstimate ?? 0);
    pageToken = data.nextPageToken ?? undefined;
    const listed = method.items(data) ?? [];
    // Gmail pages can overlap when mail arrives while we page; each item once.
    const take = (): T[] => {
      const fresh: T[] = [];
      for (const item of listed) {
        if (fresh.length === remaining) break;
        if (!item.id || seen.has(item.id)) continue;
        seen.add(item.id);
        if ((only && !only.has(item.id)) || query.except?.has(item.id)) continue;
        fresh.push(item);
      }
      unseen -= only ? fresh.length : 0;
      return fresh;
    };
    // With `only`, whether to go on depends on this page: filter first (it takes microseconds).
    let fresh = only ? take() : undefined;
    // Ask for the next page before anything else: it is all that stands between one round
    // trip and the next. (Should this page repeat items, the few still missing are asked
    // for afterwards.)
    const stillWanted = remaining - (fresh?.length ?? listed.length);
    next = pageToken && stillWanted > 0 && unseen > 0 ? fetchPage(pageToken, wanted(stillWanted)) : undefined;
    fresh ??= take();
    remaining -= fresh.length;
    if (!next && pageToken && remaining > 0 && unseen > 0) next = fetchPage(pageToken, wanted(remaining));
    // Let the request for the next page reach the socket before the consumer writes this
    // page: it takes a few promise hops inside Google's client to get there.
    if (next) await new Promise((resolve) => setImmediate(resolve));
    if (fresh.length > 0) yield { ids: fresh, resultSizeEstimate: estimate ?? 0 };
  }
}

/**
 * Each page of `pages` turned into its details by `fetch` (metadata gets, in batches), in
 * order: a page comes out as soon as its details are in and the pages before it are out,
 * never waiting for the next list page. Fetching runs ahead of the consumer by one page at
 * most, so memory stays flat. Should listing fail, what was already fetched still comes out,
 * then the failure.
 */
export async function* fetchAhead<I, O>(pages: AsyncIterable<I>, fetch: (page: I) => Promise<O>, signal: AbortSignal): AsyncGenerator<O> {
  const source = pages[Symbol.asyncIterator]();
  /** Pages whose details are being fetched, in the API's order. */
  const fetching: Array<Promise<O>> = [];
  let nextPage: Promise<IteratorResult<I>> | undefined;
  let listed = false;
  try {
    while (!listed || fetching.length > 0) {
      // Ask for the next list page while at most one page is being fetched.
      if (!listed && !nextPage && fetching.length < 2) nextPage = source.next();
      const head = fetching[0];
      let winner = await Promise.race([
        ...(nextPage ? [nextPage.then(() => 'list' as const)] : []),
        ...(head ? [head.then(() => 'page' as const)] : []),
      ]);
      // A list page that is in (or arrives within this turn) gets its details started
      // before the finished page is handed over: the consumer's writing then overlaps it.
      if (winner === 'page' && nextPage && (await settlesNow(nextPage))) winner = 'list';
      if (winner === 'page') {
        fetching.shift();
        yield await head!;
        continue;
      }
      const page = await nextPage!;
      nextPage = undefined;
      if (page.done) listed = true;
      else {
        const details = fetch(page.value);
        details.catch(() => undefined); // awaited in turn; no unhandled rejection meanwhile
        fetching.push(details);
      }
    }
  } catch (error) {
    // A list page failed: what was already fetched is still written, then the failure.
    if (!signal.aborted) for (const page of fetching.splice(0)) yield await page;
    throw error;
  } finally {
    // Not awaited: a list call still under way ends with the signal, or is left to finish.
    source.return?.(undefined).catch(() => undefined);
  }
}

/**
 * gaxios hands over a body that is not JSON as a string rather than failing: reading it as
 * an empty page would end the listing early and silently. Fail loudly instead.
 */
export function wellFormed<T extends object>(data: T | string | null | undefined, what: string): T {
  if (typeof data === 'object' && data !== null) return data;
  throw new GoogleApiError(`Gmail answered with a malformed body for ${what} (not a JSON object).`, undefined, {
    hint: 'This is usually a proxy or a transient fault between you and Google; try again.',
  });
}

/** True when the promise settles before the event loop's next turn. */
function settlesNow(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => setImmediate(() => resolve(false))),
  ]);
}
