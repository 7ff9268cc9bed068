/**
 * The seeded mailbox: a deterministic set of realistic messages per account, generated
 * from (seed, account, count) alone so that every run, test and benchmark sees the same
 * mail. Dates count back from a fixed instant, never from the clock.
 *
 * Messages are kept small (100,000 of them are listed by the benchmark): bodies and
 * header lists are derived on demand from the stored fields.
 */
import { hardCase, HARD_CASES, type HardCaseName } from './hard-cases.js';
import { escapeHtml } from './html.js';
import type { ImportedMessage } from './raw-message.js';

/** "Now" for the mailbox and for relative queries (newer_than:), fixed for reproducibility. */
export const MAILBOX_NOW = Date.UTC(2026, 10, 1);
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;

export interface MailboxMessage {
  /** 16 hex characters, increasing with time as Gmail's are. */
  id: string;
  /** The id of the thread's first message. */
  threadId: string;
  labelIds: readonly string[];
  /** Milliseconds since the epoch (the API sends it as a string). */
  internalDate: number;
  historyId: number;
  sizeEstimate: number;
  from: string;
  to: string;
  /** Undefined when the message has no Subject header at all. */
  subject: string | undefined;
  /** As the API returns it: whitespace collapsed and HTML-escaped (&#39; &amp; &quot;). */
  snippet: string;
  /** The sender's UTC offset in minutes, for the Date header. */
  utcOffsetMinutes: number;
  /** Set on the messages whose MIME body is one of the hard cases (hard-cases.ts). */
  hardCase?: HardCaseName;
  /** A reply: the id of the thread's message before it (its Message-ID is the In-Reply-To header). */
  inReplyTo?: string;
  /** A reply: the ids of the thread's earlier messages, oldest first (their Message-IDs are the References header). */
  references?: readonly string[];
  /**
   * A message imported as RFC 822 bytes (POST /__emulator/mailbox/import): served from
   * them, its headers and replies named in them (from, to, subject and snippet read from them).
   */
  imported?: ImportedMessage;
}

export interface GmailLabel {
  id: string;
  name: string;
  type: 'system' | 'user';
  messageListVisibility?: 'show' | 'hide';
  labelListVisibility?: 'labelShow' | 'labelShowIfUnread' | 'labelHide';
}

const hidden = { messageListVisibility: 'hide', labelListVisibility: 'labelHide' } as const;

/** Every account has these labels, as users.labels.list shows them. */
export const MAILBOX_LABELS: readonly GmailLabel[] = [
  { id: 'CHAT', name: 'CHAT', type: 'system', ...hidden },
  { id: 'SENT', name: 'SENT', type: 'system' },
  { id: 'INBOX', name: 'INBOX', type: 'system' },
  { id: 'IMPORTANT', name: 'IMPORTANT', type: 'system', ...hidden },
  { id: 'TRASH', name: 'TRASH', type: 'system', ...hidden },
  { id: 'DRAFT', name: 'DRAFT', type: 'system' },
  { id: 'SPAM', name: 'SPAM', type: 'system', ...hidden },
  { id: 'CATEGORY_FORUMS', name: 'CATEGORY_FORUMS', type: 'system' },
  { id: 'CATEGORY_UPDATES', name: 'CATEGORY_UPDATES', type: 'system' },
  { id: 'CATEGORY_PERSONAL', name: 'CATEGORY_PERSONAL', type: 'system' },
  { id: 'CATEGORY_PROMOTIONS', name: 'CATEGORY_PROMOTIONS', type: 'system' },
  { id: 'CATEGORY_SOCIAL', name: 'CATEGORY_SOCIAL', type: 'system' },
  { id: 'STARRED', name: 'STARRED', type: 'system' },
  { id: 'UNREAD', name: 'UNREAD', type: 'system' },
  { id: 'Label_1', name: 'Receipts', type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' },
  { id: 'Label_2', name: 'Travel', type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' },
  { id: 'Label_3', name: 'Work/Projects', type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' },
];

/** mulberry32: tiny, fast and good enough for test data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to turn (seed, account) into one PRNG seed. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const SENDERS = [
  'Jane Doe <jane.doe@example.com>',
  '"Doe, John" <john.doe@example.org>',
  'José Müller <jose.mueller@example.de>',
  '"O\'Brien & Sons" <billing@obrien.example>',
  'François Lefèvre <francois@example.fr>',
  '田中 太郎 <taro.tanaka@example.jp>',
  'محمد علي <m.ali@example.net>',
  'GitHub <noreply@github.example>',
  'notifications@calendar.example.com',
  '"Støre, Åse" <aase.store@example.no>',
  'Amazon.example <shipment-tracking@amazon.example>',
  'Renée Zoë <renee@example.com>',
  '"Team \\"Ops\\"" <ops@example.org>',
  'Priya Raman <priya@example.in>',
  'SNCF Connect <noreply@sncf.example>',
  'Иван Петров <ivan@example.ru>',
];

const RECIPIENTS = ['Alex Smith <alex.smith@example.com>', '"Müller, Jürgen" <juergen@example.de>', 'team@lists.example.org'];

/** [subject, body]; bodies carry the characters the snippet must escape. */
const TOPICS: ReadonlyArray<readonly [string, string]> = [
  ['Your order has shipped 📦', 'Good news! Your order #{n} is on its way & should arrive Tuesday. Track it with the "Track package" button.'],
  ['Receipt for your payment', 'Thanks for your payment of €{n}.00. This is your receipt — keep it for your records & taxes.'],
  ['Lunch on Friday?', 'Hey, are you free for lunch on Friday? I\'ve heard the new place on Rue de la Paix is "très bon".'],
  ['Réunion de projet — ordre du jour', 'Bonjour, voici l\'ordre du jour pour la réunion de jeudi. Merci de relire le document avant.'],
  ['会議の議事録 日本語', '本日の会議の議事録を添付します。ご確認ください & よろしくお願いします。'],
  ['Weekly report: build times', 'Median build time fell to {n}s this week. CI queue < 2 min & flaky tests down to 3.'],
  ['[repo] Pull request #{n} merged', 'Merged #{n} into main. 3 files changed, 42 insertions(+), 7 deletions(-). Don\'t forget to rebase.'],
  ['Your flight to Zürich ✈️', 'Your booking reference is ABC{n}. Check-in opens 24 hours before departure; bring your "boarding pass".'],
  ['تأكيد الحجز', 'شكراً لك على الحجز. رقم التأكيد {n}. نتطلع إلى رؤيتك قريباً.'],
  ['Invitation: Quarterly planning @ Mon 10:00', 'You have been invited to "Quarterly planning". Agenda: budgets, hiring & roadmap.'],
  ['Security alert', 'A new sign-in on Linux. If this was you, you don\'t need to do anything. If not, we\'ll help you secure your account.'],
  ['Newsletter: 10 tips for better sleep 😴', 'Tip #1: keep a schedule. Tip #2: no screens after 10pm — "easier said than done" & all that.'],
  ['Re: Invoice {n} overdue', 'Hi, a quick reminder that invoice {n} is now 14 days overdue. Let me know if there\'s an issue.'],
  ['Photos from the weekend', 'Here are the photos from Saturday! The one of Zoë & the dog is my favourite.'],
];

/** Subjects Gmail can hold but naive clients trip over; placed at fixed positions (see `oddSubject`). */
const ODD_SUBJECTS: ReadonlyArray<string | undefined> = [
  undefined,
  'Tab\tinside the subject',
  'Line one\nline two of a folded subject',
  'A very long subject line that goes on and on about quarterly numbers, hiring plans, the office move, the new coffee machine, and everything else that happened this month in great detail',
];

/** Every hundredth block of messages carries each odd subject once. */
function oddSubject(index: number): { found: boolean; subject: string | undefined } {
  const slot = [3, 5, 8, 13].indexOf(index % 100);
  return slot < 0 ? { found: false, subject: undefined } : { found: true, subject: ODD_SUBJECTS[slot] };
}

const OFFSETS = [0, 60, -480, 540, 120, -300];

const unmeasured = (message: MailboxMessage): number => message.sizeEstimate;

/** Every hundredth block of messages carries each hard case once, from its 20th message on. */
function hardCaseAt(index: number): HardCaseName | undefined {
  return HARD_CASES[(index % 100) - 20];
}

/**
 * Every hundredth block of messages holds one whole conversation at these positions: six
 * messages, oldest first, between the account and two correspondents, the account's replies
 * sent (label SENT, not INBOX), each reply naming the one before it (In-Reply-To, References).
 * The benchmark reads it with `thread`; `conversationOf` finds it.
 */
export const CONVERSATION_SLOTS = [60, 61, 62, 63, 64, 65] as const;
export const CONVERSATION_SUBJECT = 'Offsite planning: agenda, travel & rooms';
const CONVERSATION: ReadonlyArray<{ from: 'me' | string; text: string }> = [
  { from: 'Jane Doe <jane.doe@example.com>', text: 'Hi both, here is a first agenda for the offsite: Monday strategy, Tuesday hiring & budgets. Can you book travel by Friday?' },
  { from: 'me', text: 'Thanks Jane! Agenda looks good. I\'ll book the train for the three of us; do we need rooms for two nights or three?' },
  { from: 'François Lefèvre <francois@example.fr>', text: 'Two nights is enough for me. Could we move hiring to Monday afternoon? I have a call on Tuesday at 14:00.' },
  { from: 'Jane Doe <jane.doe@example.com>', text: 'Moved hiring to Monday 15:00. Rooms: two nights at the "Hôtel du Lac", I\'ll send the booking codes.' },
  { from: 'me', text: 'Train booked: departure 08:12, seats 41–43 in coach 6. Tickets attached to the calendar invite.' },
  { from: 'Jane Doe <jane.doe@example.com>', text: 'Perfect, thank you both. Final agenda is in the shared folder — see you on Monday!' },
];

/** The conversation's message at `index` (of the generation order, oldest first), if one is there. */
function conversationAt(index: number): number | undefined {
  const slot = (CONVERSATION_SLOTS as readonly number[]).indexOf(index % 100);
  return slot < 0 ? undefined : slot;
}

/**
 * Turns a generated message into the conversation's `slot`-th: the random draws were already
 * made, so every other message stays as it was (only which thread a later random reply joins).
 */
function asConversation(message: MailboxMessage, slot: number, account: string, thread: { id: string; ids: string[] }): MailboxMessage {
  const part = CONVERSATION[slot]!;
  const sent = part.from === 'me';
  const others = 'Jane Doe <jane.doe@example.com>, François Lefèvre <francois@example.fr>';
  const from = sent ? account : part.from;
  const to = sent ? others : `${account}, ${CONVERSATION.find((p) => p.from !== 'me' && p.from !== part.from)!.from}`;
  const last = slot === CONVERSATION.length - 1;
  const labelIds = sent ? ['SENT'] : ['INBOX', 'CATEGORY_PERSONAL', 'IMPORTANT', ...(last ? ['UNREAD'] : [])];
  const subject = slot === 0 ? CONVERSATION_SUBJECT : `Re: ${CONVERSATION_SUBJECT}`;
  const snippet = toSnippet(part.text);
  return {
    ...message,
    threadId: thread.id,
    from,
    to,
    subject,
    snippet,
    labelIds: Object.freeze(labelIds),
    sizeEstimate: estimateSize(from, to, subject, snippet),
    ...(slot > 0 ? { inReplyTo: thread.ids.at(-1)!, references: thread.ids.slice() } : {}),
  };
}

/** The sizes of the hard cases' raw messages, measured once per way of measuring (the large one weighs 1.6 MB). */
const hardCaseSizes = new WeakMap<(message: MailboxMessage) => number, Map<HardCaseName, number>>();

/**
 * Turns a generated message into a hard case: its headers and snippet come from the case;
 * the random draws were already made, so every other message stays as it was.
 */
function asHardCase(message: MailboxMessage, name: HardCaseName, measure: (message: MailboxMessage) => number): MailboxMessage {
  const found = hardCase(name);
  const shaped: MailboxMessage = { ...message, from: found.from, to: found.to, subject: found.subject, snippet: toSnippet(found.text), hardCase: name };
  let sizes = hardCaseSizes.get(measure);
  if (!sizes) hardCaseSizes.set(measure, (sizes = new Map()));
  let size = sizes.get(name);
  if (size === undefined) sizes.set(name, (size = measure(shaped)));
  return { ...shaped, sizeEstimate: size };
}

/** Gmail's snippet: whitespace collapsed, cut at 200 characters, HTML-escaped. */
export function toSnippet(body: string): string {
  return escapeHtml(body.replace(/\s+/g, ' ').trim().slice(0, 200));
}

function unescapeSnippet(snippet: string): string {
  return snippet.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The text/plain body, rebuilt from the snippet (bodies are short enough to fit in one). */
export function messageBody(message: MailboxMessage): string {
  const name = message.from.replace(/\s*<[^>]*>$/, '').replace(/^"|"$/g, '');
  return `${unescapeSnippet(message.snippet)}\r\n\r\n-- \r\n${name}\r\n`;
}

/** Shares identical label arrays between messages: there are only a few hundred combinations. */
function labelInterner(): (labels: string[]) => readonly string[] {
  const seen = new Map<string, readonly string[]>();
  return (labels) => {
    const key = labels.join(',');
    let shared = seen.get(key);
    if (!shared) {
      shared = Object.freeze(labels);
      seen.set(key, shared);
    }
    return shared;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function chooseLabels(random: () => number, sent: boolean): string[] {
  const labels: string[] = [];
  const place = random();
  if (place < 0.04) labels.push('SPAM');
  else if (place < 0.08) labels.push('TRASH');
  else if (sent) labels.push('SENT');
  else if (place < 0.84) labels.push('INBOX');
  if (!sent && random() < 0.3) labels.push('UNREAD');
  if (random() < 0.06) labels.push('STARRED');
  if (random() < 0.2) labels.push('IMPORTANT');
  if (labels.includes('INBOX')) labels.push(pick(random, ['CATEGORY_PERSONAL', 'CATEGORY_UPDATES', 'CATEGORY_PROMOTIONS']));
  if (random() < 0.1) labels.push('Label_1');
  if (random() < 0.05) labels.push('Label_2');
  if (random() < 0.08) labels.push('Label_3');
  return labels;
}

/** Roughly what the raw RFC 822 message would weigh, as Gmail's sizeEstimate does. */
function estimateSize(from: string, to: string, subject: string | undefined, snippet: string): number {
  return 600 + Buffer.byteLength(from + to + (subject ?? '')) + 3 * Buffer.byteLength(snippet);
}

/**
 * Generates `count` messages for `account`, newest first (the order messages.list returns).
 * `measure` tells a hard case's raw size (message-format.ts knows how to render one).
 */
export function generateMailbox(seed: number, account: string, count: number, measure: (message: MailboxMessage) => number = unmeasured): MailboxMessage[] {
  const random = mulberry32(hashString(`${seed}:${account}`));
  const internLabels = labelInterner();
  const times = Array.from({ length: count }, () => MAILBOX_NOW - 60_000 - Math.floor(random() * SPAN_MS)).sort((a, b) => a - b);
  const usedIds = new Set<string>();
  /** The threads a random reply may join, each with its messages' ids, oldest first. */
  const recentThreads: Array<{ id: string; subject: string | undefined; ids: string[] }> = [];
  let conversation: { id: string; ids: string[] } | undefined;
  const messages: MailboxMessage[] = [];

  times.forEach((internalDate, index) => {
    let id: string;
    do {
      const low = Math.floor(random() * 0x100000).toString(16).padStart(5, '0');
      id = internalDate.toString(16).padStart(11, '0') + low;
    } while (usedIds.has(id));
    usedIds.add(id);

    const sent = random() < 0.08;
    const correspondent = pick(random, SENDERS);
    const from = sent ? account : correspondent;
    const to = sent ? correspondent : random() < 0.85 ? account : `${pick(random, RECIPIENTS)}, ${account}`;
    const [topicSubject, topicBody] = pick(random, TOPICS);
    const n = String(1000 + Math.floor(random() * 9000));
    const odd = oddSubject(index);
    let subject = odd.found ? odd.subject : topicSubject.replace('{n}', n);
    let threadId = id;
    let replyTo: { inReplyTo: string; references: readonly string[] } | undefined;
    const reply = recentThreads.length > 0 && random() < 0.25;
    // A conversation's message makes every random draw any other would (below), then becomes
    // the conversation's: the draws of the messages after it stay as they were.
    const slot = conversationAt(index);
    if (slot === 0) conversation = { id, ids: [] };
    if (reply && !odd.found) {
      const thread = pick(random, recentThreads);
      if (slot === undefined) {
        threadId = thread.id;
        subject = thread.subject === undefined ? undefined : `Re: ${thread.subject.replace(/^Re: /, '')}`;
        replyTo = { inReplyTo: thread.ids[thread.ids.length - 1]!, references: thread.ids.slice() };
        thread.ids.push(id);
      }
    } else if (slot === undefined) {
      recentThreads.push({ id, subject, ids: [id] });
      if (recentThreads.length > 8) recentThreads.shift();
    }
    const snippet = toSnippet(topicBody.replaceAll('{n}', n));
    const generated: MailboxMessage = {
      id,
      threadId,
      labelIds: internLabels(chooseLabels(random, sent)),
      internalDate,
      historyId: 1000 + index * 7,
      sizeEstimate: estimateSize(from, to, subject, snippet),
      from,
      to,
      subject,
      snippet,
      utcOffsetMinutes: pick(random, OFFSETS),
      ...replyTo,
    };
    if (slot !== undefined && conversation) {
      messages.push(asConversation(generated, slot, account, conversation));
      conversation.ids.push(id);
      return;
    }
    const special = hardCaseAt(index);
    messages.push(special ? asHardCase(generated, special, measure) : generated);
  });
  return messages.reverse();
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 2822 date in the sender's zone, naming the same instant as internalDate. */
export function rfc2822Date(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const two = (value: number): string => String(value).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[local.getUTCDay()]}, ${two(local.getUTCDate())} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  );
}

/**
 * A message's Message-ID header: from its id alone, so that it stays the same when labels
 * change (replies name it in In-Reply-To and References).
 */
export function messageIdOf(id: string): string {
  return `<${id}@mail.example.com>`;
}

export interface Header {
  name: string;
  value: string;
  /** As written in the message, when not the default encoding of `value` (RFC 2047). */
  raw?: string;
}

/**
 * The message's own headers in their order in the message, decoded as the API shows them
 * (the MIME headers, Content-Type…, come with its body: message-format.ts).
 */
export function messageHeaders(message: MailboxMessage): Header[] {
  const special = message.hardCase === undefined ? undefined : hardCase(message.hardCase);
  const headers: Header[] = [
    { name: 'MIME-Version', value: '1.0' },
    { name: 'Date', value: rfc2822Date(message.internalDate, message.utcOffsetMinutes) },
    { name: 'Message-ID', value: messageIdOf(message.id) },
  ];
  if (message.inReplyTo !== undefined) headers.push({ name: 'In-Reply-To', value: messageIdOf(message.inReplyTo) });
  if (message.references !== undefined && message.references.length > 0) headers.push({ name: 'References', value: message.references.map(messageIdOf).join(' ') });
  if (message.subject !== undefined) headers.push({ name: 'Subject', value: message.subject, ...(special?.rawSubject ? { raw: special.rawSubject } : {}) });
  headers.push({ name: 'From', value: message.from }, { name: 'To', value: message.to });
  if (special?.cc) headers.push({ name: 'Cc', value: special.cc });
  if (special?.bcc) headers.push({ name: 'Bcc', value: special.bcc });
  if (special?.replyTo) headers.push({ name: 'Reply-To', value: special.replyTo });
  return headers;
}
