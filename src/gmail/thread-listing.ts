/**
 * Listing conversations: pages of users.threads.list for a search (the pager that message
 * listing uses, src/gmail/pager.ts), each page's threads summarised from users.threads.get
 * with format=metadata (From, Subject and the dates of every message, no bodies), batched in
 * sizes the quota pacer allows, while the next page is listed. A summary kept from an
 * earlier run (the message cache) is used while the thread's historyId is still the one
 * threads.list answers: a thread that did not change costs nothing but its share of the
 * list call. Pages come out in the API's order (newest activity first), each thread once.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { ThreadSummary } from '../schemas/objects.js';
import { getEach, unlessGone } from './batch-get.js';
import { decodeHtmlEntities } from './message.js';
import { MAX_PAGE_SIZE, wellFormed, type ListDeps, type ListQuery } from './listing.js';
import { fetchAhead, pagesOf, THREADS_LIST, type Page } from './pager.js';
import { UNIT_COSTS } from './quota-pacer.js';

export interface ThreadPage {
  threads: ThreadSummary[];
  /** Gmail's estimate of the total, from the first page. */
  resultSizeEstimate: number;
  /** Listed, but deleted before they were read (404): left out of `threads`. */
  leftOut: number;
}

/** A thread as users.threads.list names it: its id and the id of its last change. */
export interface ThreadRef {
  id: string;
  historyId: string;
}

/**
 * Summaries kept from earlier runs. A summary is true for as long as its thread's historyId
 * stays the one it was made from (any new message, label change or deletion in the thread
 * gives the thread a new one), so `lookup` answers only those whose historyId matches.
 */
export interface KnownThreads {
  lookup(refs: readonly ThreadRef[]): Map<string, ThreadSummary>;
  remember(threads: readonly ThreadSummary[]): void;
}

interface ThreadListDeps extends ListDeps {
  /** Summaries already known (the local cache): only the other threads are fetched. */
  knownThreads?: KnownThreads | undefined;
}

/** Small enough that the first rows show quickly; a threads.get costs twice a message get. */
const THREAD_PAGE_SIZE = 50;
/** Quota units one thread costs in a listing that reads it: its threads.get, and a share of the list call. */
export const UNITS_PER_THREAD = UNIT_COSTS['threads.get'] + UNIT_COSTS['threads.list'] / THREAD_PAGE_SIZE;
const THREAD_HEADERS = ['From', 'Subject'];

/** Pages of thread refs (list calls only), `pageSize` at a time (asked for each page when a function), to `query.max` threads. */
function listThreadIdPages(deps: ListDeps, query: ListQuery, pageSize: number | (() => number) = MAX_PAGE_SIZE): AsyncGenerator<Page<gmail_v1.Schema$Thread>> {
  return pagesOf(deps, query, THREADS_LIST, pageSize);
}

/** Pages of bare thread ids (`list --threads --format ids`): list calls only, 500 at a time. */
export async function* listThreadIds(deps: ListDeps, query: ListQuery): AsyncGenerator<ThreadPage> {
  for await (const page of listThreadIdPages(deps, query, MAX_PAGE_SIZE)) {
    yield { threads: page.ids.map((ref) => idOnly(ref)), resultSizeEstimate: page.resultSizeEstimate, leftOut: 0 };
  }
}

/**
 * Pages of thread summaries: a list call per THREAD_PAGE_SIZE threads, then the metadata of
 * those the cache does not know. Once the cache has known every thread of a page (a repeat
 * run, little changed), the next list calls ask for the largest page (500): a repeat of a
 * big search costs a tenth of the list calls, and its rows need no fetching to show.
 */
export function listThreadSummaries(deps: ThreadListDeps, query: ListQuery): AsyncGenerator<ThreadPage> {
  let allKnown = false;
  const pageSize = (): number => (allKnown ? MAX_PAGE_SIZE : THREAD_PAGE_SIZE);
  return fetchAhead(
    listThreadIdPages(deps, query, pageSize),
    (page) =>
      summarise(deps, page, (known) => {
        allKnown = known === page.ids.length;
      }),
    deps.signal,
  );
}

/** One page's summaries: the cache's (`onKnown` is told how many it knew), then the others fetched. */
async function summarise(deps: ThreadListDeps, page: Page<gmail_v1.Schema$Thread>, onKnown: (known: number) => void = () => undefined): Promise<ThreadPage> {
  const refs = page.ids.map((thread) => ({ id: thread.id as string, historyId: thread.historyId ?? '' }));
  const known = deps.knownThreads?.lookup(refs.filter((ref) => ref.historyId !== '')) ?? new Map<string, ThreadSummary>();
  onKnown(known.size);
  const fetched = await getEach(deps, refs.map((ref) => ref.id).filter((id) => !known.has(id)), {
    doing: 'reading conversations',
    path: (id) => `gmail/v1/users/me/threads/${encodeURIComponent(id)}?format=metadata&${THREAD_HEADERS.map((h) => `metadataHeaders=${h}`).join('&')}`,
    one: (id) =>
      deps.call('reading conversations', () =>
        unlessGone(async () => {
          const response = await deps.gmail.users.threads.get({ userId: 'me', id, format: 'metadata', metadataHeaders: THREAD_HEADERS }, { signal: deps.signal });
          return wellFormed(response.data, `thread ${id}`);
        }),
      ),
    unitCost: UNIT_COSTS['threads.get'],
    parse: (body, id) => wellFormed(body as gmail_v1.Schema$Thread | string, `thread ${id}`),
  });
  const made = new Map([...fetched].flatMap(([id, thread]) => (thread ? [[id, toThreadSummary(id, thread)] as const] : [])));
  if (made.size > 0) deps.knownThreads?.remember([...made.values()]);
  const threads = refs.flatMap((ref) => {
    const summary = known.get(ref.id) ?? made.get(ref.id);
    return summary ? [summary] : [];
  });
  return { threads, resultSizeEstimate: page.resultSizeEstimate, leftOut: refs.length - threads.length };
}

/** A thread known by its id only (`--format ids` prints nothing else). */
function idOnly(ref: gmail_v1.Schema$Thread): ThreadSummary {
  return { id: ref.id ?? '', historyId: ref.historyId ?? '', messageCount: 0, date: '', from: '', subject: '', snippet: '', labelIds: [] };
}

/** A conversation in a search, as `list --threads` prints it and search_threads answers it: the newest message's date, sender and snippet, the first one's subject. */
function toThreadSummary(id: string, thread: gmail_v1.Schema$Thread): ThreadSummary {
  const at = (message: gmail_v1.Schema$Message): number => Number(message.internalDate ?? 0);
  const messages = [...(thread.messages ?? [])].sort((a, b) => at(a) - at(b));
  const header = (message: gmail_v1.Schema$Message | undefined, name: string): string =>
    message?.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? '';
  const first = messages[0];
  const newest = messages.at(-1);
  const date = newest?.internalDate ? new Date(Number(newest.internalDate)) : undefined;
  return {
    id: thread.id ?? id,
    historyId: thread.historyId ?? '',
    messageCount: messages.length,
    date: date && Number.isFinite(date.getTime()) ? date.toISOString() : '',
    from: header(newest, 'From'),
    subject: header(first, 'Subject'),
    snippet: decodeHtmlEntities(newest?.snippet ?? thread.snippet ?? ''),
    labelIds: [...new Set(messages.flatMap((message) => message.labelIds ?? []))],
  };
}
