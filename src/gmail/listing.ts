/**
 * Listing: pages of message ids from users.messages.list, followed to the end or to --max,
 * and (for formats that show more than ids) each page's metadata fetched concurrently while
 * the next list page is already on its way (the paging itself: src/gmail/pager.ts, which
 * threads share). Pages come out in the API's order, each message once, as an async
 * iterable: the consumer's pace (and its stopping) drives the work.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { idOnly, toSummary, type MessageSummary } from './message.js';
import type { PartReply } from './batch.js';
import { getEach, unlessGone, type CallGoogle } from './batch-get.js';
import type { GmailClient } from './client.js';
import { fetchAhead, MESSAGES_LIST, pagesOf, wellFormed, type ListQuery, type Page } from './pager.js';
import { UNIT_COSTS, type QuotaPacer } from './quota-pacer.js';

export { wellFormed, type ListQuery } from './pager.js';

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
const METADATA_PAGE_SIZE = 100;
const METADATA_HEADERS = ['From', 'To', 'Subject', 'Date'];
/** Quota units one message costs in a metadata listing: its get, and a share of the list call that listed it. */
export const METADATA_UNITS_PER_MESSAGE = UNIT_COSTS['messages.get'] + UNIT_COSTS['messages.list'] / METADATA_PAGE_SIZE;

export type IdPage = Page<gmail_v1.Schema$Message>;

/** Pages of bare ids: list calls only, 500 at a time. */
export function listIdPages(deps: ListDeps, query: ListQuery, pageSize = MAX_PAGE_SIZE): AsyncGenerator<IdPage> {
  return pagesOf(deps, query, MESSAGES_LIST, pageSize);
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
export function listMessageSummaries(deps: ListDeps, query: ListQuery, ids: AsyncIterable<IdPage> = listIdPages(deps, query, METADATA_PAGE_SIZE)): AsyncGenerator<ListPage> {
  return fetchAhead(ids, (page) => fetchSummaries(deps, page), deps.signal);
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

