/**
 * One account's mailbox as messages.list sees it: lookup by id, and filtered listings
 * (query, labelIds, spam/trash exclusion). A listing is computed once per distinct filter
 * and then paged through by offset: every page of a repeated query sees the same order, and
 * each message comes out exactly once. Tests change the mailbox between runs (labels, new
 * and deleted messages); each change is a history record and drops the computed listings.
 */
import { MailboxHistory } from './history.js';
import { generateMailbox, MAILBOX_LABELS, toSnippet, type GmailLabel, type MailboxMessage } from './mailbox.js';
import { rawSize } from './message-format.js';
import { matches, parseQuery, reachesSpamTrash, searchable } from './query.js';
import { fieldOf, readableText, readRawMessage } from './raw-message.js';

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
  /** A reply in this thread (default: each message starts a thread of its own). */
  threadId?: string;
  /**
   * gog#379: history reports the new message at once, but messages.get answers 404 and
   * messages.list leaves it out for this long (ms), as Gmail's storage can lag its history.
   */
  servedAfterMs?: number;
  /**
   * When Gmail accepted it (ms since the epoch). Default: now, as for mail that arrives now,
   * and never before the newest message. An earlier date is mail imported or migrated with
   * its old date (internalDate from the Date header): it lands among the older messages.
   */
  internalDate?: number;
}

/** A message given as its RFC 822 bytes (importMessage). */
export interface ImportOptions {
  /** Default: a new unread message in the inbox (INBOX, UNREAD), as addMessages. */
  labelIds?: string[];
  /** When Gmail accepted it (ms since the epoch). Default: its Date header, else now. */
  internalDate?: number;
  /** The thread it joins, which must exist. Default: threaded as Gmail does (threadFor). */
  threadId?: string;
}

/** The labels of new mail when none are named. */
const NEW_MAIL_LABELS = ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL'];

/** A subject as threading compares it: without Re:/Fwd: prefixes, spaces and case. */
function threadSubject(subject: string | undefined): string {
  let rest = (subject ?? '').trim();
  for (let before = ''; before !== rest; ) {
    before = rest;
    rest = rest.replace(/^(?:re|fwd?|aw|sv|wg)(?:\[\d+\])?\s*:\s*/i, '');
  }
  return rest.replace(/\s+/g, ' ').toLowerCase();
}

/** A label's counts, as users.labels.get answers them. */
export interface LabelCounts {
  messagesTotal: number;
  messagesUnread: number;
  threadsTotal: number;
  threadsUnread: number;
}

/** A thread as users.threads.list shows it. */
export interface ThreadRef {
  id: string;
  snippet: string;
  historyId: number;
}

export class AccountMailbox {
  private all: MailboxMessage[];
  private readonly byId: Map<string, MailboxMessage>;
  private readonly listings = new Map<string, readonly MailboxMessage[]>();
  readonly history: MailboxHistory;
  private added = 0;
  /** Each thread's messages, oldest first; built on first use, dropped on every change. */
  private threadIndex: Map<string, MailboxMessage[]> | undefined;
  /** The history record that last touched a thread without leaving a message behind (a deletion). */
  private readonly threadTouched = new Map<string, number>();
  private readonly labelList: GmailLabel[];
  /** New messages that history reports but get and list do not serve yet: id → when they will. */
  private readonly notServedUntil = new Map<string, number>();
  /** Imported messages by their Message-ID header, for threading replies to them. */
  private readonly importedIds = new Map<string, string>();

  /** `extraLabels`: user labels beyond the seeded ones (Label_4 "Project 004"…), for mailboxes with many labels. */
  constructor(
    private readonly seed: number,
    readonly email: string,
    count: number,
    extraLabels = 0,
  ) {
    this.all = generateMailbox(seed, email, count, rawSize);
    this.byId = new Map(this.all.map((message) => [message.id, message]));
    this.history = new MailboxHistory((this.all[0]?.historyId ?? 1000) + 1);
    const seededUsers = MAILBOX_LABELS.filter((label) => label.type === 'user').length;
    this.labelList = [
      ...MAILBOX_LABELS,
      ...Array.from({ length: extraLabels }, (_, index): GmailLabel => {
        const n = seededUsers + index + 1;
        return { id: `Label_${n}`, name: `Project ${String(n).padStart(3, '0')}`, type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' };
      }),
    ];
  }

  /** The account's labels, as users.labels.list shows them. */
  get labels(): readonly GmailLabel[] {
    return this.labelList;
  }

  /** A label's message and thread counts (spam and trash counted too, as Gmail counts them). */
  labelCounts(labelId: string): LabelCounts {
    const threads = new Map<string, boolean>();
    let messagesTotal = 0;
    let messagesUnread = 0;
    for (const message of this.all) {
      if (!message.labelIds.includes(labelId)) continue;
      const unread = message.labelIds.includes('UNREAD');
      messagesTotal += 1;
      if (unread) messagesUnread += 1;
      threads.set(message.threadId, (threads.get(message.threadId) ?? false) || unread);
    }
    return { messagesTotal, messagesUnread, threadsTotal: threads.size, threadsUnread: [...threads.values()].filter(Boolean).length };
  }

  /** A thread's messages, oldest first (as threads.get returns them); undefined when there is no such thread. */
  thread(threadId: string): readonly MailboxMessage[] | undefined {
    if (!this.threadIndex) {
      const index = new Map<string, MailboxMessage[]>();
      // `all` is newest first: walking it backwards gives each thread oldest first.
      for (let i = this.all.length - 1; i >= 0; i--) {
        const message = this.all[i]!;
        const list = index.get(message.threadId);
        if (list) list.push(message);
        else index.set(message.threadId, [message]);
      }
      this.threadIndex = index;
    }
    return this.threadIndex.get(threadId);
  }

  /** The id of the last history record that touched the thread: its newest message's, or a deletion's. */
  threadHistoryId(threadId: string): number {
    const messages = this.thread(threadId) ?? [];
    return Math.max(this.threadTouched.get(threadId) ?? 0, ...messages.map((message) => message.historyId));
  }

  /**
   * The threads with a message that matches the filter, in the order of their newest match
   * (newest first), as users.threads.list lists them; each with its newest message's snippet.
   */
  listThreads(filter: ListFilter): ThreadRef[] {
    const seen = new Set<string>();
    const threads: ThreadRef[] = [];
    for (const message of this.list(filter)) {
      if (seen.has(message.threadId)) continue;
      seen.add(message.threadId);
      const messages = this.thread(message.threadId)!;
      threads.push({ id: message.threadId, snippet: messages.at(-1)!.snippet, historyId: this.threadHistoryId(message.threadId) });
    }
    return threads;
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
    const thread = options.threadId === undefined ? undefined : this.thread(options.threadId);
    if (options.threadId !== undefined && !thread) throw new Error(`no thread ${options.threadId}`);
    const references = thread ? thread.map((message) => message.id) : [];
    const start = options.internalDate ?? this.arrivalTime();
    const created = templates.reverse().map((template, index): MailboxMessage => {
      const internalDate = start + 1000 * index;
      const id = this.newId(internalDate);
      const labelIds = Object.freeze([...(options.labelIds ?? NEW_MAIL_LABELS)]);
      const threadId = options.threadId ?? id;
      const firstSubject = thread?.[0]?.subject;
      const subject = options.subject ?? (firstSubject === undefined ? template.subject : `Re: ${firstSubject.replace(/^Re: /, '')}`);
      const historyId = this.history.record('messageAdded', { id, threadId, labelIds });
      // Replies to a thread name the messages before them, these new ones included.
      const reply = thread ? { inReplyTo: references.at(-1)!, references: references.slice() } : {};
      if (thread) references.push(id);
      const { inReplyTo: _inReplyTo, references: _references, ...rest } = template;
      return { ...rest, id, threadId, internalDate, labelIds, historyId, subject, ...reply };
    });
    this.admit(created, options.internalDate !== undefined);
    if (options.servedAfterMs !== undefined) for (const message of created) this.notServedUntil.set(message.id, Date.now() + options.servedAfterMs);
    return created;
  }

  /**
   * A message from its RFC 822 bytes, kept as posted (format=raw answers them byte for byte)
   * and read as Gmail reads it for the other formats, attachments, search and threads.
   * Throws RawMessageError when the bytes hold no header, Error for a thread that does not exist.
   */
  importMessage(raw: Buffer, options: ImportOptions = {}): MailboxMessage {
    const imported = readRawMessage(raw);
    const field = (name: string): string | undefined => fieldOf(imported.tree, name);
    if (options.threadId !== undefined && !this.thread(options.threadId)) throw new Error(`no thread ${options.threadId}`);
    const dated = Date.parse(field('date') ?? '');
    const internalDate = options.internalDate ?? (Number.isNaN(dated) || dated < 0 ? this.arrivalTime() : dated);
    const id = this.newId(internalDate);
    const subject = field('subject');
    const threadId = options.threadId ?? this.threadFor(subject, field('in-reply-to'), field('references')) ?? id;
    const labelIds = Object.freeze([...(options.labelIds ?? NEW_MAIL_LABELS)]);
    const historyId = this.history.record('messageAdded', { id, threadId, labelIds });
    const message: MailboxMessage = {
      id,
      threadId,
      labelIds,
      internalDate,
      historyId,
      sizeEstimate: raw.length,
      from: field('from') ?? '',
      to: field('to') ?? '',
      subject,
      snippet: toSnippet(readableText(imported.tree)),
      utcOffsetMinutes: 0,
      imported,
    };
    const messageId = field('message-id')?.trim();
    if (messageId) this.importedIds.set(messageId, id);
    this.admit([message], true);
    return message;
  }

  /**
   * The thread a message joins, as Gmail threads mail: a message it replies to (In-Reply-To,
   * then References from the newest) that is in this mailbox and whose subject is the same
   * but for Re:/Fwd: prefixes. Undefined: it starts a thread of its own.
   */
  private threadFor(subject: string | undefined, inReplyTo = '', references = ''): string | undefined {
    const named = (field: string): string[] => field.match(/<[^<>\s]+>/g) ?? [];
    for (const messageId of [...named(inReplyTo), ...named(references).reverse()]) {
      const found = this.byMessageId(messageId);
      if (found && threadSubject(found.subject) === threadSubject(subject)) return found.threadId;
    }
    return undefined;
  }

  /** A message by its Message-ID header: an imported one's as posted, a seeded one's messageIdOf(id). */
  private byMessageId(messageId: string): MailboxMessage | undefined {
    const id = this.importedIds.get(messageId) ?? /^<([0-9a-f]{16})@mail\.example\.com>$/.exec(messageId)?.[1];
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** When mail that arrives now is dated: now, and never before the newest message. */
  private arrivalTime(): number {
    return Math.max((this.all[0]?.internalDate ?? Date.UTC(2026, 9, 1)) + 1000, Date.now());
  }

  /** A new message's id: its time in hex, then a counter (ids grow with time, as Gmail's do). */
  private newId(internalDate: number): string {
    this.added += 1;
    return internalDate.toString(16).padStart(11, '0') + this.added.toString(16).padStart(5, '0');
  }

  /** Puts new messages in; `resort` when they may be older than others (messages.list orders by internalDate). */
  private admit(created: readonly MailboxMessage[], resort: boolean): void {
    this.all = [...[...created].reverse(), ...this.all];
    if (resort) this.all.sort((a, b) => b.internalDate - a.internalDate);
    for (const message of created) this.byId.set(message.id, message);
    this.changed();
  }

  /** Deletes for good (not to the trash), as users.messages.delete does. */
  deleteMessages(ids: readonly string[]): void {
    for (const id of ids) {
      const message = this.byId.get(id);
      if (!message) throw new Error(`no message ${id}`);
      this.threadTouched.set(message.threadId, this.history.record('messageDeleted', { id, threadId: message.threadId }));
      this.byId.delete(id);
    }
    const gone = new Set(ids);
    this.all = this.all.filter((message) => !gone.has(message.id));
    this.changed();
  }

  private replace(message: MailboxMessage): void {
    this.byId.set(message.id, message);
    this.all = this.all.map((old) => (old.id === message.id ? message : old));
    this.changed();
  }

  /** Drops what was computed from the messages: listings and the thread index. */
  private changed(): void {
    this.listings.clear();
    this.threadIndex = undefined;
  }

  get(id: string): MailboxMessage | undefined {
    return this.served(id) ? this.byId.get(id) : undefined;
  }

  /** False while a new message is reported by history but not served yet (servedAfterMs). */
  private served(id: string): boolean {
    const until = this.notServedUntil.get(id);
    if (until === undefined) return true;
    if (Date.now() < until) return false;
    this.notServedUntil.delete(id);
    return true;
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
    const listing = this.listAll(filter);
    return this.notServedUntil.size === 0 ? listing : listing.filter((message) => this.served(message.id));
  }

  private listAll(filter: ListFilter): readonly MailboxMessage[] {
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
