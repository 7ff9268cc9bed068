/**
 * Gmail's batch wire format (POST /batch/gmail/v1): a multipart/mixed request whose
 * application/http parts each embed one HTTP request, answered by a multipart/mixed body
 * with one embedded HTTP response per part, in order. Parsing and writing only: the
 * server runs the parts, so that each is recorded, faulted and charged like a request of
 * its own. The client side of the same format (buildBatchBody, parseBatchResponse) is
 * here too, so that tests speak it without a Google client library.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Reply } from './exchange.js';
import { batchTooLarge, invalidArgument } from './google-errors.js';

export const BATCH_PATH = '/batch/gmail/v1';
/** Google refuses a larger batch outright rather than running part of it. */
export const MAX_BATCH_PARTS = 100;

const CRLF = '\r\n';

/** One embedded request, as written in its part. */
export interface BatchPart {
  /** The part's Content-ID without its angle brackets. */
  contentId?: string;
  method: string;
  /** The request target as written: a path with its query (or an absolute URL). */
  target: string;
  /** Names lower-cased, as node gives a real request's headers. */
  headers: Record<string, string>;
  body: string;
}

export type ParsedBatch = { ok: true; parts: BatchPart[] } | { ok: false; error: Reply };

/** The boundary of a `multipart/mixed` content type, quoted or not; undefined for anything else. */
export function boundaryOf(contentType: string | null | undefined): string | undefined {
  const params = /^\s*multipart\/mixed\s*;(.*)$/i.exec(contentType ?? '')?.[1];
  const match = params === undefined ? null : /(?:^|;)\s*boundary\s*=\s*(?:"([^"]+)"|([^";\s]+))/i.exec(params);
  return match?.[1] ?? match?.[2];
}

/**
 * The bodies of the parts between `--boundary` lines, up to `--boundary--`; undefined when
 * the close delimiter never comes. Lines may end in CRLF or LF (parts are rejoined with
 * CRLF); the preamble and epilogue are ignored and delimiter lines may carry trailing
 * whitespace, as RFC 2046 allows.
 */
function splitMultipart(body: string, boundary: string): string[] | undefined {
  const open = `--${boundary}`;
  const close = `--${boundary}--`;
  const parts: string[][] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const delimiter = line.trimEnd();
    if (delimiter === open || delimiter === close) {
      if (current) parts.push(current);
      if (delimiter === close) return parts.map((lines) => lines.join(CRLF));
      current = [];
    } else {
      current?.push(line);
    }
  }
  return undefined;
}

/** A header block (up to the first blank line, or all of it) and what follows; undefined if a line is not a header. */
function splitHead(text: string, firstLine = false): { start: string; headers: Record<string, string>; body: string } | undefined {
  const lines = text.split(CRLF);
  const blank = lines.indexOf('');
  const head = blank < 0 ? lines : lines.slice(0, blank);
  const body = blank < 0 ? '' : lines.slice(blank + 1).join(CRLF);
  const start = firstLine ? (head.shift() ?? '') : '';
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of head) {
    if (/^[ \t]/.test(line) && last !== undefined) {
      // An obsolete folded continuation: still one header.
      headers[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    last = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[last] = headers[last] === undefined ? value : `${headers[last]}, ${value}`;
  }
  return { start, headers, body };
}

function unbracket(id: string): string {
  return id.replace(/^<(.*)>$/, '$1');
}

function invalidBatch(detail: string): ParsedBatch {
  return { ok: false, error: invalidArgument(`Invalid batch request: ${detail}`) };
}

/**
 * The embedded requests of a batch POST, or the 400 Google answers for the whole batch
 * (with `strict`, Google's exact words for an oversize one).
 */
export function parseBatchRequest(contentType: string | undefined, body: string, { strict = false }: { strict?: boolean } = {}): ParsedBatch {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) return invalidBatch('expected Content-Type multipart/mixed with a boundary');
  const texts = splitMultipart(body, boundary);
  if (texts === undefined) return invalidBatch(`the body is not multipart/mixed with boundary "${boundary}"`);
  if (texts.length === 0) return invalidBatch('the batch has no parts');
  if (texts.length > MAX_BATCH_PARTS) {
    return { ok: false, error: strict ? batchTooLarge(texts.length, MAX_BATCH_PARTS) : invalidArgument(`Too many requests in batch; the limit is ${MAX_BATCH_PARTS}`) };
  }

  const parts: BatchPart[] = [];
  for (const [index, text] of texts.entries()) {
    const mime = splitHead(text);
    if (!mime || !/^application\/http\s*(;|$)/i.test(mime.headers['content-type'] ?? '')) {
      return invalidBatch(`part ${index + 1} is not Content-Type: application/http`);
    }
    const http = splitHead(mime.body, true);
    const requestLine = http && /^([A-Z]+)\s+(\/\S*|https?:\/\/\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/.exec(http.start.trim());
    if (!http || !requestLine || !URL.canParse(requestLine[2]!, 'http://127.0.0.1')) return invalidBatch(`part ${index + 1} does not hold an HTTP request`);
    const contentId = mime.headers['content-id'];
    parts.push({
      ...(contentId === undefined ? {} : { contentId: unbracket(contentId) }),
      method: requestLine[1]!,
      target: requestLine[2]!,
      headers: http.headers,
      body: http.body,
    });
  }
  return { ok: true, parts };
}

/** Header names as Google writes them: Content-Type, Retry-After, WWW-Authenticate. */
function canonicalName(name: string): string {
  if (name.toLowerCase() === 'www-authenticate') return 'WWW-Authenticate';
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** The 200 multipart answer: each part's reply as an embedded HTTP response, in request order. */
export function batchReply(answers: ReadonlyArray<{ contentId?: string; reply: Reply }>): Reply {
  const boundary = `batch_${randomBytes(15).toString('base64url')}`;
  const parts = answers.map(({ contentId, reply }) =>
    [
      `--${boundary}`,
      'Content-Type: application/http',
      ...(contentId === undefined ? [] : [`Content-ID: <response-${contentId}>`]),
      '',
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Unknown'}`,
      ...Object.entries(reply.headers).map(([name, value]) => `${canonicalName(name)}: ${value}`),
      '',
      reply.body,
    ].join(CRLF),
  );
  return {
    status: 200,
    headers: { 'content-type': `multipart/mixed; boundary=${boundary}` },
    body: [...parts, `--${boundary}--`, ''].join(CRLF),
  };
}

// ---- The client side, for tests ----

export interface BatchRequestPart {
  /** Default GET. */
  method?: string;
  /** The path with its query, e.g. /gmail/v1/users/me/messages/ID?format=minimal. */
  path: string;
  /** Written as Content-ID: <contentId>. */
  contentId?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A batch body with CRLF line ends, as Google's client libraries write it. */
export function buildBatchBody(parts: readonly BatchRequestPart[], boundary = 'batch_emulator_test'): string {
  const chunks = parts.map((part) =>
    [
      `--${boundary}`,
      'Content-Type: application/http',
      ...(part.contentId === undefined ? [] : [`Content-ID: <${part.contentId}>`]),
      '',
      `${part.method ?? 'GET'} ${part.path} HTTP/1.1`,
      ...Object.entries(part.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      '',
      part.body ?? '',
    ].join(CRLF),
  );
  return [...chunks, `--${boundary}--`, ''].join(CRLF);
}

export interface BatchResponsePart {
  /** The Content-ID without angle brackets, e.g. "response-1"; undefined when the part has none. */
  contentId?: string;
  status: number;
  /** Names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

/** The embedded responses of a batch answer; throws when it is not one. */
export function parseBatchResponse(contentType: string | null, body: string): BatchResponsePart[] {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) throw new Error(`not a multipart/mixed answer: ${contentType}`);
  const texts = splitMultipart(body, boundary);
  if (texts === undefined) throw new Error(`no close delimiter for boundary ${boundary}`);
  return texts.map((text, index) => {
    const mime = splitHead(text);
    const http = mime && splitHead(mime.body, true);
    const statusLine = http && /^HTTP\/\d(?:\.\d)?\s+(\d{3})(?:\s.*)?$/.exec(http.start);
    if (!mime || !http || !statusLine) throw new Error(`part ${index + 1} is not an HTTP response`);
    const contentId = mime.headers['content-id'];
    return {
      ...(contentId === undefined ? {} : { contentId: unbracket(contentId) }),
      status: Number(statusLine[1]),
      headers: http.headers,
      body: http.body,
    };
  });
}
