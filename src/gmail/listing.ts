/**
 * Listing: pages of message ids from users.messages.list, followed to the end or to --max,
 * and (for formats that show more than ids) each page's metadata fetched concurrently while
 * the next list page is already on its way. Pages come out in the API's order, each message
 * once, as an async iterable: the consumer's pace (and its stopping) drives the work.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { GoogleApiError } from '../basics/errors.js';
import { idOnly, toSummary, type MessageSummary } from './message.js';
import type { PartReply } from './batch.js';
import { getEach, unlessGone, type CallGoogle } from './batch-get.js';
import type { GmailClient } from './client.js';
import { UNIT_COSTS, type QuotaPacer } from './quota-pacer.js';

export interface ListQuery {
  query?: string;
  labelIds: string[];
  includeSpamTrash: boolean;
  /** Stop after this many messages. */
  max?: number;
  /**
   * Only these ids (`--since-last`): the others are skipped without fetching anything for
   * them, and listing stops once all of these have been seen.
   */
  only?: ReadonlySet<string>;
  /** Never these ids (delivered already by an earlier `--since-last` run cut short with -n). */
  except?: ReadonlySet<string>;
}

export interface ListPage {
  messages: MessageSummary[];
  /** Gmail's estimate of the total, from the first page. */
  resultSizeEstimate: number;
  /** Listed, but deleted before their metadata was read (404): left out of `messages`. */
  leftOut?: number;
}

export type { CallGoogle } from './batch-get.js';

export interface ListDeps {
  gmail: GmailClient;
  call: CallGoogle;
  signal: AbortSignal;
  /** Sizes each batch to the quota left (absent: batches of MAX_BATCH_SIZE). Every request waits on it anyway. */
  pacer?: Pick<QuotaPacer, 'reserve'>;
  /** Sends GETs for these API paths as one batch request (absent: one call per message). */
  batch?: (paths: string[]) => Promise<PartReply[]>;
  /** Messages already known (the local cache): only the others are fetched. */
  known?: KnownMessages;
}

/** Metadata answers kept from earlier runs, asked before fetching and told what was fetched. */
export interface KnownMessages {
  lookup(ids: readonly string[]): Map<string, gmail_v1.Schema$Message>;
  remember(messages: readonly gmail_v1.Schema$Message[]): void;
}

/** The largest page users.messages.list allows. */
export const MAX_PAGE_SIZE = 500;
/** For formats that fetch metadata: small enough that the first rows show quickly. */
export const METADATA_PAGE_SIZE = 100;
export const METADATA_HEADERS = ['From', 'To', 'Subject', 'Date'];
/** Quota units one message costs in a metadata listing: its get, and a share of the list call that listed it. */
export const METADATA_UNITS_PER_MESSAGE = UNIT_COSTS['messages.get'] + UNIT_COSTS['messages.list'] / METADATA_PAGE_SIZE;

export type IdPage = { ids: gmail_v1.Schema$Message[]; resultSizeEstimate: number };

/** Pages of bare ids: list calls only, 500 at a time. */
export async function* listIdPages(deps: ListDeps, query: ListQuery, pageSize = MAX_PAGE_SIZE): AsyncGenerator<IdPage> {
  let pageToken: string | undefined;
  let remaining = query.max ?? Number.POSITIVE_INFINITY;
  let estimate: number | undefined;
  const seen = new Set<string>();
  // Pages filtered down to `only` stay full-sized: --max counts what is kept, not what is listed.
  const only = query.only;
  const wanted = (count: number): number => (only ? Number.POSITIVE_INFINITY : count);
  let unseen = only?.size ?? Number.POSITIVE_INFINITY;
  let next: Promise<gmail_v1.Schema$ListMessagesResponse> | undefined = unseen > 0 ? fetchPage(undefined, wanted(remaining)) : undefined;

  function fetchPage(token: string | undefined, wanted: number): Promise<gmail_v1.Schema$ListMessagesResponse> {
    const promise = deps.call('listing messages', async () => {
      const response = await deps.gmail.users.messages.list(
        {
          userId: 'me',
          maxResults: Math.min(pageSize, wanted),
          ...(query.query !== undefined ? { q: query.query } : {}),
          ...(query.labelIds.length > 0 ? { labelIds: query.labelIds } : {}),
          ...(query.includeSpamTrash ? { includeSpamTrash: true } : {}),
          ...(token ? { pageToken: token } : {}),
        },
        { signal: deps.signal },
      );
      return wellFormed(response.data, 'a page of messages');
    });
    promise.catch(() => undefined); // handled when awaited; no unhandled rejection meanwhile
    return promise;
  }

  while (next && remaining > 0) {
    const data: gmail_v1.Schema$ListMessagesResponse = await next;
    estimate ??= only ? only.size : (data.resultSizeEstimate ?? 0);
    pageToken = data.nextPageToken ?? undefined;
    const listed = data.messages ?? [];
    // Gmail pages can overlap when mail arrives while we page; each message once.
    const take = (): gmail_v1.Schema$Message[] => {
      const fresh: gmail_v1.Schema$Message[] = [];
      for (const m of listed) {
        if (fresh.length === remaining) break;
        if (!m.id || seen.has(m.id)) continue;
        seen.add(m.id);
        if ((only && !only.has(m.id)) || query.except?.has(m.id)) continue;
        fresh.push(m);
      }
      unseen -= only ? fresh.length : 0;
      return fresh;
    };
    // With `only`, whether to go on depends on this page: filter first (it takes microseconds).
    let fresh = only ? take() : undefined;
    // Ask for the next page before anything else: it is all that stands between one round
    // trip and the next. (Should this page repeat messages, the few still missing are asked
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

/** `idPages`: where the ids come from (default: the listing of `query`; `--since-last` lists its new mail). */
export async function* listMessageIds(deps: ListDeps, query: ListQuery, idPages: AsyncIterable<IdPage> = listIdPages(deps, query, MAX_PAGE_SIZE)): AsyncGenerator<ListPage> {
  for await (const page of idPages) {
    yield { messages: page.ids.map((m) => idOnly(m)), resultSizeEstimate: page.resultSizeEstimate };
  }
}

/**
 * Pages of full summaries: list + metadata for each message — in batches sized to the quota
 * left (src/gmail/quota-pacer.ts), and one call per message for whatever a batch could not
 * answer (a rate-limited or failed part: retried, with the same pacing).
 *
 * Each page comes out as soon as its metadata is in (and the pages before it are out),
 * never waiting for the next list page, which can take seconds on a big mailbox. Fetching
 * runs ahead of writing by one page at most, so memory stays flat.
 */
export async function* listMessageSummaries(
  deps: ListDeps,
  query: ListQuery,
  ids: AsyncIterable<IdPage> = listIdPages(deps, query, METADATA_PAGE_SIZE),
): AsyncGenerator<ListPage> {
  const idPages = ids[Symbol.asyncIterator]();
  /** Pages whose metadata is being fetched, in the API's order. */
  const fetching: Array<Promise<ListPage>> = [];
  let nextIds: Promise<IteratorResult<IdPage>> | undefined;
  let listed = false;
  try {
    while (!listed || fetching.length > 0) {
      // Ask for the next id page while at most one page is being fetched.
      if (!listed && !nextIds && fetching.length < 2) nextIds = idPages.next();
      const head = fetching[0];
      let winner = await Promise.race([
        ...(nextIds ? [nextIds.then(() => 'ids' as const)] : []),
        ...(head ? [head.then(() => 'page' as const)] : []),
      ]);
      // An id page that is in (or arrives within this turn) gets its metadata started
      // before the finished page is handed over: the consumer's writing then overlaps it.
      if (winner === 'page' && nextIds && (await settlesNow(nextIds))) winner = 'ids';
      if (winner === 'page') {
        fetching.shift();
        yield await head!;
        continue;
      }
      const ids = await nextIds!;
      nextIds = undefined;
      if (ids.done) listed = true;
      else {
        const page = fetchSummaries(deps, ids.value);
        page.catch(() => undefined); // awaited in turn; no unhandled rejection meanwhile
        fetching.push(page);
      }
    }
  } catch (error) {
    // A list page failed: what was already fetched is still written, then the failure.
    if (!deps.signal.aborted) for (const page of fetching.splice(0)) yield await page;
    throw error;
  } finally {
    // Not awaited: a list call still under way ends with the signal, or is left to finish.
    idPages.return?.(undefined).catch(() => undefined);
  }
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

/** A message's metadata, or undefined when it no longer exists (deleted since the list). */
export type Fetched = gmail_v1.Schema$Message | undefined;

async function fetchSummaries(deps: ListDeps, page: IdPage): Promise<ListPage> {
  const ids = page.ids.map((ref) => ref.id as string);
  const fetched = await fetchMetadata(deps, ids);
  const messages = ids.map((id) => fetched.get(id)).filter((m): m is gmail_v1.Schema$Message => m !== undefined);
  return { messages: messages.map(toSummary), resultSizeEstimate: page.resultSizeEstimate, leftOut: ids.length - messages.length };
}

/**
 * Each id's metadata: what the cache knows, the rest fetched (in batches sized to the quota
 * left, one by one for what a batch could not answer) and told to the cache; undefined for
 * an id that Gmail answers 404 (deleted, or not readable yet).
 */
export async function fetchMetadata(deps: ListDeps, ids: readonly string[]): Promise<Map<string, Fetched>> {
  const known = deps.known?.lookup(ids) ?? new Map<string, gmail_v1.Schema$Message>();
  const missing = ids.filter((id) => !known.has(id));
  const fetched = await getEach(deps, missing, {
    doing: 'reading message metadata',
    path: metadataPath,
    one: (id) => fetchOne(deps, id),
    unitCost: UNIT_COSTS['messages.get'],
    parse: (body, id) => wellFormed(body as gmail_v1.Schema$Message | string, `message ${id}`),
  });
  for (const [id, message] of known) fetched.set(id, message);
  const found = ids.map((id) => fetched.get(id)).filter((m): m is gmail_v1.Schema$Message => m !== undefined);
  deps.known?.remember(found.filter((m) => !known.has(m.id as string)));
  return fetched;
}

/** One users.messages.get, with the client's retries and the session's refresh on 401. */
function fetchOne(deps: ListDeps, id: string): Promise<gmail_v1.Schema$Message | undefined> {
  return deps.call('reading message metadata', () =>
    unlessGone(async () => {
      const response = await deps.gmail.users.messages.get(
        { userId: 'me', id, format: 'metadata', metadataHeaders: METADATA_HEADERS },
        { signal: deps.signal },
      );
      return wellFormed(response.data, `message ${id}`);
    }),
  );
}

/** The API path (relative to the root) of one metadata get, as a batch part asks for it. */
function metadataPath(id: string): string {
  const query = new URLSearchParams([['format', 'metadata'], ...METADATA_HEADERS.map((name): [string, string] => ['metadataHeaders', name])]);
  return `gmail/v1/users/me/messages/${encodeURIComponent(id)}?${query}`;
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
