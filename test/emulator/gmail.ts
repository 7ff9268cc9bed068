/**
 * The Gmail API v1 routes the CLI uses, under /gmail/v1/users/{me|email}/: profile,
 * messages.list, messages.get, messages.attachments.get, threads.list, threads.get,
 * labels.list, labels.get and history.list. Each call is checked as Google checks it:
 * route, method, bearer token, scopes, user, then the per-user quota.
 */
import { createHash } from 'node:crypto';
import type { EmulatorContext } from './context.js';
import { jsonReply, type RecordedRequest, type Reply } from './exchange.js';
import { apiError, insufficientScopes, invalidArgument, notFound, rateLimited, unauthenticated } from './google-errors.js';
import { HISTORY_TYPES, historyOffset, historyPageToken, renderRecord, type HistoryType } from './history.js';
import { MESSAGE_FORMATS, renderAttachment, renderMessage, THREAD_FORMATS, type MessageFormat, type ThreadFormat } from './message-format.js';
import { QuerySyntaxError } from './query.js';
import type { GmailMethod } from './quota.js';
import { AccountMailbox, type ListFilter } from './search.js';

export const GMAIL_PREFIX = '/gmail/v1/';

/** Scopes that allow reading messages. */
const READ_SCOPES = new Set([
  'https://www.googleapis.com/auth/gmail.readonly',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://mail.google.com/',
]);

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

interface Route {
  method: GmailMethod;
  /** The RPC name Google reports in ErrorInfo metadata. */
  rpc: string;
  pattern: RegExp;
  handle: (mailbox: AccountMailbox, request: RecordedRequest, params: string[]) => Reply;
}

const ROUTES: Route[] = [
  { method: 'getProfile', rpc: 'GetProfile', pattern: /^\/gmail\/v1\/users\/([^/]+)\/profile$/, handle: getProfile },
  { method: 'messages.list', rpc: 'ListMessages', pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages$/, handle: listMessages },
  { method: 'messages.get', rpc: 'GetMessage', pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages\/([^/]+)$/, handle: getMessage },
  {
    method: 'messages.attachments.get',
    rpc: 'GetAttachment',
    pattern: /^\/gmail\/v1\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/([^/]+)$/,
    handle: getAttachment,
  },
  { method: 'labels.list', rpc: 'ListLabels', pattern: /^\/gmail\/v1\/users\/([^/]+)\/labels$/, handle: listLabels },
  { method: 'labels.get', rpc: 'GetLabel', pattern: /^\/gmail\/v1\/users\/([^/]+)\/labels\/([^/]+)$/, handle: getLabel },
  { method: 'threads.list', rpc: 'ListThreads', pattern: /^\/gmail\/v1\/users\/([^/]+)\/threads$/, handle: listThreads },
  { method: 'threads.get', rpc: 'GetThread', pattern: /^\/gmail\/v1\/users\/([^/]+)\/threads\/([^/]+)$/, handle: getThread },
  { method: 'history.list', rpc: 'ListHistory', pattern: /^\/gmail\/v1\/users\/([^/]+)\/history$/, handle: listHistory },
];

function findRoute(path: string): { route: Route; match: RegExpExecArray } | undefined {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { route, match };
  }
  return undefined;
}

/** The quota method a Gmail API path calls, or undefined when it is no Gmail route. */
export function gmailMethodOf(path: string): GmailMethod | undefined {
  return findRoute(path)?.route.method;
}

/** The account a live bearer token belongs to: the user whose quota a request spends. */
export function userOf(authorization: string | undefined, context: EmulatorContext): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  return bearer === undefined ? undefined : context.tokens.liveAccessToken(bearer)?.account;
}

export function handleGmail(request: RecordedRequest, context: EmulatorContext): Reply {
  const found = findRoute(request.path);
  if (!found?.match) return notFound(`Method not found: ${request.path}`);
  if (request.method !== 'GET') return apiError(405);
  const { route, match } = found;

  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const token = bearer === undefined ? undefined : context.tokens.liveAccessToken(bearer);
  if (!token) return unauthenticated();
  if (!token.scopes.some((scope) => READ_SCOPES.has(scope))) return insufficientScopes(route.rpc);

  const userId = decodeURIComponent(match[1]!);
  if (userId !== 'me' && userId.toLowerCase() !== token.account.toLowerCase()) {
    return apiError(403, { reason: 'forbidden', message: `Delegation denied for ${token.account}` });
  }
  // In strict mode a batch's parts were charged together, before any of them ran.
  const chargedAlready = context.settings.strict && request.batch === true;
  const quota = chargedAlready ? undefined : context.settings.quota?.take(token.account, route.method);
  if (quota && !quota.allowed) return quotaRefusal(quota.retryAfterMs, context);
  const mailbox = context.mailboxes.get(token.account)!;
  return route.handle(mailbox, request, match.slice(2).map((param) => decodeURIComponent(param)));
}

function getProfile(mailbox: AccountMailbox): Reply {
  return jsonReply(200, {
    emailAddress: mailbox.email,
    messagesTotal: mailbox.messages.length,
    threadsTotal: mailbox.threadCount(),
    historyId: String(mailbox.history.historyId),
  });
}

const DEFAULT_HISTORY_PAGE_SIZE = 100;

/**
 * users.history.list: the records after startHistoryId (required), of the historyTypes asked
 * for (repeatable; all when absent), paged; 404 when the start is older than Gmail keeps.
 * Every answer carries the mailbox's current historyId.
 */
function listHistory(mailbox: AccountMailbox, request: RecordedRequest): Reply {
  const { query } = request;
  const start = query.get('startHistoryId');
  if (start === null || start === '') return invalidArgument('Missing required field: startHistoryId');
  if (!/^\d{1,19}$/.test(start)) return invalidArgument(`Invalid value at 'start_history_id' (TYPE_UINT64), "${start}"`);
  const types = query.getAll('historyTypes');
  const unknown = types.find((type) => !(HISTORY_TYPES as readonly string[]).includes(type));
  if (unknown !== undefined) return invalidArgument(`Invalid value at 'history_types' (type.googleapis.com/gmail.v1.ListHistoryRequest.HistoryType), "${unknown}"`);
  const rawMax = query.get('maxResults');
  const maxResults = rawMax === null ? DEFAULT_HISTORY_PAGE_SIZE : Number(rawMax);
  if (!Number.isInteger(maxResults) || maxResults < 1) return invalidArgument(`Invalid maxResults: ${rawMax}`);

  const startId = Number(start);
  if (!mailbox.history.covers(startId)) return notFound('Requested entity was not found.');
  const key = JSON.stringify([start, [...types].sort()]);
  const token = query.get('pageToken');
  const offset = token === null || token === '' ? 0 : historyOffset(token, key);
  if (offset === undefined) return invalidArgument('Invalid pageToken');
  const records = mailbox.history.after(startId, types as HistoryType[]);
  const page = records.slice(offset, offset + Math.min(maxResults, MAX_PAGE_SIZE));
  const next = offset + page.length;
  return jsonReply(200, {
    ...(page.length > 0 ? { history: page.map(renderRecord) } : {}),
    ...(next < records.length ? { nextPageToken: historyPageToken(key, next) } : {}),
    historyId: String(mailbox.history.historyId),
  });
}

/** users.labels.list: every label, without counts (those come from labels.get only). */
function listLabels(mailbox: AccountMailbox): Reply {
  return jsonReply(200, { labels: mailbox.labels });
}

/** users.labels.get: the label with its message and thread counts. */
function getLabel(mailbox: AccountMailbox, _request: RecordedRequest, [id]: string[]): Reply {
  const label = mailbox.labels.find((candidate) => candidate.id === id);
  if (!label) return notFound();
  return jsonReply(200, { ...label, ...mailbox.labelCounts(label.id) });
}

/** A Gmail-style value for `?name=true|false`; undefined means the value is neither. */
function parseBoolean(value: string | null): boolean | undefined {
  if (value === null || value === 'false') return false;
  return value === 'true' ? true : undefined;
}

/**
 * Page tokens are numeric like Gmail's: the offset, then a checksum over (filter, offset).
 * Repeating an equal query keeps them valid; a token from another query or a forged one is not.
 */
function pageToken(filterKey: string, offset: number): string {
  const checksum = createHash('sha256').update(`${filterKey}\n${offset}`).digest().readUIntBE(0, 6);
  return `${String(offset).padStart(9, '0')}${String(checksum).padStart(15, '0')}`;
}

function offsetOf(token: string, filterKey: string): number | undefined {
  if (!/^\d{24}$/.test(token)) return undefined;
  const offset = Number(token.slice(0, 9));
  return pageToken(filterKey, offset) === token ? offset : undefined;
}

/**
 * messages.list and threads.list alike: q, labelIds, includeSpamTrash, maxResults (default
 * 100, at most 500) and page tokens bound to the filter (and to what is listed).
 */
function listPage<T>(request: RecordedRequest, kind: 'messages' | 'threads', listAll: (filter: ListFilter) => readonly T[], render: (item: T) => object): Reply {
  const { query } = request;
  const rawMax = query.get('maxResults');
  const maxResults = rawMax === null ? DEFAULT_PAGE_SIZE : Number(rawMax);
  if (!Number.isInteger(maxResults) || maxResults < 1) return invalidArgument(`Invalid maxResults: ${rawMax}`);
  const includeSpamTrash = parseBoolean(query.get('includeSpamTrash'));
  if (includeSpamTrash === undefined) return invalidArgument(`Invalid value for includeSpamTrash: ${query.get('includeSpamTrash')}`);

  const filter: ListFilter = { q: query.get('q') ?? '', labelIds: query.getAll('labelIds'), includeSpamTrash };
  // A messages token does not page threads (and the other way round).
  const filterKey = kind === 'messages' ? AccountMailbox.filterKey(filter) : `threads:${AccountMailbox.filterKey(filter)}`;
  const token = query.get('pageToken');
  const offset = token === null || token === '' ? 0 : offsetOf(token, filterKey);
  if (offset === undefined) return invalidArgument('Invalid pageToken');

  let listing;
  try {
    listing = listAll(filter);
  } catch (error) {
    if (error instanceof QuerySyntaxError) return invalidArgument('Invalid query');
    throw error;
  }
  const page = listing.slice(offset, offset + Math.min(maxResults, MAX_PAGE_SIZE));
  const next = offset + page.length;
  return jsonReply(200, {
    ...(page.length > 0 ? { [kind]: page.map(render) } : {}),
    ...(next < listing.length ? { nextPageToken: pageToken(filterKey, next) } : {}),
    resultSizeEstimate: listing.length,
  });
}

function listMessages(mailbox: AccountMailbox, request: RecordedRequest): Reply {
  return listPage(request, 'messages', (filter) => mailbox.list(filter), ({ id, threadId }) => ({ id, threadId }));
}

/** users.threads.list: each thread's id, its newest message's snippet and its historyId. */
function listThreads(mailbox: AccountMailbox, request: RecordedRequest): Reply {
  return listPage(request, 'threads', (filter) => mailbox.listThreads(filter), ({ id, snippet, historyId }) => ({ id, snippet, historyId: String(historyId) }));
}

/**
 * users.threads.get: the thread's historyId and every message of it, oldest first, each as
 * messages.get renders it in the same format (full, metadata with metadataHeaders, minimal;
 * threads.get has no raw).
 */
function getThread(mailbox: AccountMailbox, request: RecordedRequest, [id]: string[]): Reply {
  const format = (request.query.get('format') ?? 'full') as ThreadFormat;
  if (!THREAD_FORMATS.includes(format)) {
    return apiError(400, { reason: 'invalid', message: `Invalid value at 'format' (type.googleapis.com/gmail.v1.Format), "${format}"` });
  }
  const messages = mailbox.thread(id!);
  if (!messages) return notFound();
  const metadataHeaders = metadataHeadersOf(request);
  return jsonReply(200, {
    id,
    historyId: String(mailbox.threadHistoryId(id!)),
    messages: messages.map((message) => renderMessage(message, format, metadataHeaders)),
  });
}

/** The generated client repeats the parameter; some callers join names with commas. */
function metadataHeadersOf(request: RecordedRequest): string[] {
  return request.query.getAll('metadataHeaders').flatMap((value) => value.split(',')).map((name) => name.trim()).filter(Boolean);
}

function getMessage(mailbox: AccountMailbox, request: RecordedRequest, [id]: string[]): Reply {
  const format = (request.query.get('format') ?? 'full') as MessageFormat;
  if (!MESSAGE_FORMATS.includes(format)) {
    return apiError(400, { reason: 'invalid', message: `Invalid value at 'format' (type.googleapis.com/gmail.v1.Format), "${format}"` });
  }
  const message = mailbox.get(id!);
  if (!message) return notFound();
  return jsonReply(200, renderMessage(message, format, metadataHeadersOf(request)));
}

/** Gmail's 429 for a user over quota; the Retry-After header only when not strict. */
export function quotaRefusal(retryAfterMs: number, context: EmulatorContext): Reply {
  const retryAt = new Date(Date.now() + retryAfterMs);
  return rateLimited(retryAt, context.settings.strict ? undefined : String(Math.ceil(retryAfterMs / 1000)));
}

function getAttachment(mailbox: AccountMailbox, _request: RecordedRequest, [id, attachmentId]: string[]): Reply {
  const message = mailbox.get(id!);
  const attachment = message && renderAttachment(message, attachmentId!);
  if (!message) return notFound();
  // Google's answer to an attachment id that does not belong to the message.
  if (!attachment) return invalidArgument('Invalid attachment token');
  return jsonReply(200, attachment);
}
