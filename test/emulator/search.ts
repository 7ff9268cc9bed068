/**
 * One account's mailbox as messages.list sees it: lookup by id, and filtered listings
 * (query, labelIds, spam/trash exclusion). A listing is computed once per distinct filter
 * and then paged through by offset: every page of a repeated query sees the same order, and
 * each message comes out exactly once. Tests change the mailbox between runs (labels, new
 * and deleted messages); each change is a history record and drops the computed listings.
 */
import { MailboxHistory } from './history.js';
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

export interface NewMessageOptions {
  /** Default: a new unread message in the inbox. */
  labelIds?: string[];
  subject?: string;
}

export class AccountMailbox {
  private all: MailboxMessage[];
  private readonly byId: Map<string, MailboxMessage>;
  private readonly listings = new Map<string, readonly MailboxMessage[]>();
  readonly history: MailboxHistory;
  private added = 0;

  constructor(
    private readonly seed: number,
    readonly email: string,
    count: number,
  ) {
    this.all = generateMailbox(seed, email, count, rawSize);
    this.byId = new Map(this.all.map((message) => [message.id, message]));
    this.history = new MailboxHistory((this.all[0]?.historyId ?? 1000) + 1);
  }

  /** Newest first, as messages.list returns them. */
  get messages(): readonly MailboxMessage[] {
    return this.all;
  }

  /** Adds and removes labels, one history record per message and kind of change. */
  changeLabels(ids: readonly string[], add: readonly string[], remove: readonly string[]): void {
    for (const id of ids) {
      const message = this.byId.get(id);
      if (!message) throw new Error(`no message ${id}`);
      const added = add.filter((label) => !message.labelIds.includes(label));
      const removed = remove.filter((label) => message.labelIds.includes(label) && !add.includes(label));
      if (added.length === 0 && removed.length === 0) continue;
      const labelIds = Object.freeze([...message.labelIds.filter((label) => !removed.includes(label)), ...added]);
      let historyId = message.historyId;
      const ref = { id, threadId: message.threadId, labelIds };
      if (added.length > 0) historyId = this.history.record('labelAdded', ref, added);
      if (removed.length > 0) historyId = this.history.record('labelRemoved', ref, removed);
      this.replace({ ...message, labelIds, historyId });
    }
  }

  /** New messages, newer than every other one (their content comes from the seeded generator). */
  addMessages(count: number, options: NewMessageOptions = {}): MailboxMessage[] {
    const templates = generateMailbox(this.seed + 7919 * (this.added + 1), this.email, count, rawSize);
    const newest = this.all[0]?.internalDate ?? Date.UTC(2026, 9, 1);
    const created = templates.reverse().map((template, index) => {
      this.added += 1;
      const internalDate = newest + 1000 * (index + 1);
      const id = internalDate.toString(16).padStart(11, '0') + this.added.toString(16).padStart(5, '0');
      const labelIds = Object.freeze([...(options.labelIds ?? ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL'])]);
      const subject = options.subject ?? template.subject;
      const historyId = this.history.record('messageAdded', { id, threadId: id, labelIds });
      return { ...template, id, threadId: id, internalDate, labelIds, historyId, subject };
    });
    this.all = [...[...created].reverse(), ...this.all];
    for (const message of created) this.byId.set(message.id, message);
    this.listings.clear();
    return created;
  }

  /** Deletes for good (not to the trash), as users.messages.delete does. */
  deleteMessages(ids: readonly string[]): void {
    for (const id of ids) {
      const message = this.byId.get(id);
      if (!message) throw new Error(`no message ${id}`);
      this.history.record('messageDeleted', { id, threadId: message.threadId });
      this.byId.delete(id);
    }
    const gone = new Set(ids);
    this.all = this.all.filter((message) => !gone.has(message.id));
    this.listings.clear();
  }

  private replace(message: MailboxMessage): void {
    this.byId.set(message.id, message);
    this.all = this.all.map((old) => (old.id === message.id ? message : old));
    this.listings.clear();
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
