/**
 * One account's mailbox as messages.list sees it: lookup by id, and filtered listings
 * (query, labelIds, spam/trash exclusion). The mailbox never changes, so a listing is
 * computed once per distinct filter and then paged through by offset: every page of a
 * repeated query sees the same order, and each message comes out exactly once.
 */
import { generateMailbox, type MailboxMessage } from './mailbox.js';
import { rawSize } from './message-format.js';
import { matches, parseQuery, reachesSpamTrash, searchable } from './query.js';

export interface ListFilter {
  q: string;
  labelIds: string[];
  includeSpamTrash: boolean;
}

/** Enough for a benchmark's handful of queries; older listings are recomputed if asked again. */
const CACHED_LISTINGS = 16;

export class AccountMailbox {
  readonly messages: readonly MailboxMessage[];
  private readonly byId: Map<string, MailboxMessage>;
  private readonly listings = new Map<string, readonly MailboxMessage[]>();

  constructor(seed: number, readonly email: string, count: number) {
    this.messages = generateMailbox(seed, email, count, rawSize);
    this.byId = new Map(this.messages.map((message) => [message.id, message]));
  }

  get(id: string): MailboxMessage | undefined {
    return this.byId.get(id);
  }

  /** Distinct thread ids, for the profile's threadsTotal. */
  threadCount(): number {
    return new Set(this.messages.map((message) => message.threadId)).size;
  }

  /** A stable key for a filter: equal filters share listings and page tokens. */
  static filterKey(filter: ListFilter): string {
    return JSON.stringify([filter.q.trim(), [...filter.labelIds].sort(), filter.includeSpamTrash]);
  }

  /** The matching messages, newest first. Throws QuerySyntaxError for a malformed query. */
  list(filter: ListFilter): readonly MailboxMessage[] {
    const key = AccountMailbox.filterKey(filter);
    const cached = this.listings.get(key);
    if (cached) return cached;
    const query = parseQuery(filter.q);
    const spamTrashAllowed =
      filter.includeSpamTrash || (query !== undefined && reachesSpamTrash(query)) || filter.labelIds.some((id) => id === 'SPAM' || id === 'TRASH');
    const listing = this.messages.filter(
      (message) =>
        (spamTrashAllowed || !message.labelIds.some((id) => id === 'SPAM' || id === 'TRASH')) &&
        filter.labelIds.every((id) => message.labelIds.includes(id)) &&
        (query === undefined || matches(query, searchable(message))),
    );
    if (this.listings.size >= CACHED_LISTINGS) this.listings.delete(this.listings.keys().next().value!);
    this.listings.set(key, listing);
    return listing;
  }
}
