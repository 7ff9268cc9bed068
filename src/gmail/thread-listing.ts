/**
 * Listing conversations: pages of users.threads.list for a search, each page's threads
 * summarised from users.threads.get with format=metadata (From, Subject and the dates of
 * every message, no bodies), batched in sizes the quota pacer allows. Pages come out in the
 * API's order (newest activity first), each thread once, as an async iterable.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import type { ThreadSummary } from '../schemas/objects.js';
import { getEach, unlessGone } from './batch-get.js';
import { decodeHtmlEntities } from './message.js';
import { wellFormed, type ListDeps, type ListQuery } from './listing.js';
import { UNIT_COSTS } from './quota-pacer.js';

export interface ThreadPage {
  threads: ThreadSummary[];
  /** Gmail's estimate of the total, from the first page. */
  resultSizeEstimate: number;
  /** Listed, but deleted before they were read (404): left out of `threads`. */
  leftOut: number;
}

/** Small enough that the first rows show quickly; a threads.get costs twice a message get. */
export const THREAD_PAGE_SIZE = 50;
const THREAD_HEADERS = ['From', 'Subject'];

/** Pages of thread ids (list calls only), `pageSize` at a time, to `query.max` threads. */
export async function* listThreadIdPages(deps: ListDeps, query: ListQuery, pageSize = 500): AsyncGenerator<{ ids: string[]; resultSizeEstimate: number }> {
  let pageToken: string | undefined;
  let remaining = query.max ?? Number.POSITIVE_INFINITY;
  let estimate: number | undefined;
  const seen = new Set<string>();
  do {
    const token = pageToken;
    const data = await deps.call('listing conversations', async () => {
      const response = await deps.gmail.users.threads.list(
        {
          userId: 'me',
          maxResults: Math.min(pageSize, remaining),
          ...(query.query !== undefined ? { q: query.query } : {}),
          ...(query.labelIds.length > 0 ? { labelIds: query.labelIds } : {}),
          ...(query.includeSpamTrash ? { includeSpamTrash: true } : {}),
          ...(token ? { pageToken: token } : {}),
        },
        { signal: deps.signal },
      );
      return wellFormed(response.data, 'a page of conversations');
    });
    estimate ??= data.resultSizeEstimate ?? 0;
    pageToken = data.nextPageToken ?? undefined;
    // Pages can overlap when mail arrives while we page: each thread once.
    const ids = (data.threads ?? []).flatMap((thread) => (thread.id && !seen.has(thread.id) ? [thread.id] : [])).slice(0, remaining);
    for (const id of ids) seen.add(id);
    remaining -= ids.length;
    if (ids.length > 0) yield { ids, resultSizeEstimate: estimate };
  } while (pageToken && remaining > 0);
}

/** Pages of thread summaries: a list call per THREAD_PAGE_SIZE threads, then their metadata. */
export async function* listThreadSummaries(deps: ListDeps, query: ListQuery): AsyncGenerator<ThreadPage> {
  for await (const page of listThreadIdPages(deps, query, THREAD_PAGE_SIZE)) {
    const fetched = await getEach(deps, page.ids, {
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
    const threads = page.ids.flatMap((id) => {
      const thread = fetched.get(id);
      return thread ? [toThreadSummary(id, thread)] : [];
    });
    yield { threads, resultSizeEstimate: page.resultSizeEstimate, leftOut: page.ids.length - threads.length };
  }
}

/** A conversation in a search, as search_threads answers it: the newest message's date, sender and snippet, the first one's subject. */
export function toThreadSummary(id: string, thread: gmail_v1.Schema$Thread): ThreadSummary {
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
