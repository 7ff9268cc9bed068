/**
 * Gmail's batch endpoint (POST <root>batch/gmail/v1, multipart/mixed): several calls in one
 * HTTP request. It saves round trips and CPU, not quota — Google charges each part as if it
 * had been sent alone, answers each part on its own (a part may be 429 while the others are
 * 200), refuses the whole batch when the quota cannot pay for all of it, and counts each
 * part as a call in flight. Google's generated client has no batch support, so the request
 * goes out through the same OAuth2Client (its auth header and refresh), the same gaxios
 * retry policy and the same quota pacer as every other call; only the multipart framing is
 * ours. The pacer sizes the batches (src/gmail/quota-pacer.ts).
 */
import { randomBytes } from 'node:crypto';
import type { OAuth2Client } from 'google-auth-library';
import { GoogleApiError } from '../basics/errors.js';
import { header } from './http.js';
import type { retryConfigFor } from './client.js';

/** Google allows 100; the Gmail guide asks for no more than 50 to avoid rate limiting. */
export const MAX_BATCH_SIZE = 50;

/** The batch endpoint's path, under the API root. */
export const BATCH_PATH_SUFFIX = 'batch/gmail/v1';

/** One part's answer: an HTTP response in miniature. */
export interface PartReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface BatchOptions {
  apiRoot: string;
  signal: AbortSignal;
  retryConfig: ReturnType<typeof retryConfigFor>;
  /** The quota pacer's hook around each attempt (src/gmail/paced-transport.ts). */
  adapter?: AdapterOf<OAuth2Client['request']>;
}

type AdapterOf<Request> = Request extends (options: infer O) => unknown ? (O extends { adapter?: infer A } ? A : never) : never;

/**
 * Sends GET requests for these API paths (relative to the API root, with their query) as
 * one batch, and answers each part's reply in the same order.
 */
export async function batchGet(client: OAuth2Client, paths: readonly string[], options: BatchOptions): Promise<PartReply[]> {
  const boundary = `gmailctl_${randomBytes(12).toString('hex')}`;
  const requestLines = paths.map((apiPath) => {
    const url = new URL(apiPath, options.apiRoot);
    return `GET ${url.pathname}${url.search} HTTP/1.1`;
  });
  const response = await client.request<string>({
    url: new URL(BATCH_PATH_SUFFIX, options.apiRoot).href,
    method: 'POST',
    headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}` },
    data: batchRequestBody(boundary, requestLines),
    responseType: 'text',
    signal: options.signal,
    retryConfig: options.retryConfig,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const contentType = header(response.headers, 'content-type') ?? '';
  const replies = parseBatchResponse(contentType, String(response.data));
  if (replies.length !== paths.length) {
    throw new GoogleApiError(`Gmail answered a batch of ${paths.length} calls with ${replies.length} answers.`, response.status, {
      hint: 'Try again; if it keeps happening, run with --debug and report it.',
    });
  }
  return replies;
}

/** The multipart body: one application/http part per request, Content-ID = its index. */
export function batchRequestBody(boundary: string, requestLines: readonly string[]): string {
  const parts = requestLines.map(
    (line, index) => `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <${index}>\r\n\r\n${line}\r\n\r\n`,
  );
  return `${parts.join('')}--${boundary}--\r\n`;
}

/**
 * Reads a multipart/mixed batch response into part replies, ordered by the Content-ID they
 * answer ("response-N" for request N), or in arrival order when a part has none.
 */
export function parseBatchResponse(contentType: string, body: string): PartReply[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw malformed('no multipart boundary');
  const sections = body.split(`--${marker}`);
  // sections[0] is the preamble; the last one starts with "--" (the closing delimiter).
  const replies: Array<{ order: number; reply: PartReply }> = [];
  for (const [index, section] of sections.slice(1).entries()) {
    if (section.startsWith('--')) break;
    const [partHeaders, embedded] = splitHead(section.replace(/^\r?\n/, ''));
    if (embedded === undefined) throw malformed('a part without an embedded response');
    const contentId = /^content-id:\s*<?response-([^>\s]+)>?/im.exec(partHeaders)?.[1];
    const [head, responseBody = ''] = splitHead(embedded);
    const [statusLine = '', ...headerLines] = head.split(/\r?\n/);
    const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine)?.[1];
    if (!status) throw malformed(`a part with the status line "${statusLine.slice(0, 40)}"`);
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const order = contentId !== undefined && /^\d+$/.test(contentId) ? Number(contentId) : index;
    replies.push({ order, reply: { status: Number(status), headers, body: responseBody.replace(/\r?\n$/, '') } });
  }
  return replies.sort((a, b) => a.order - b.order).map((entry) => entry.reply);
}

/** Splits "head\r\n\r\nrest" at the first blank line. */
function splitHead(text: string): [string, string | undefined] {
  const match = /\r?\n\r?\n/.exec(text);
  return match ? [text.slice(0, match.index), text.slice(match.index + match[0].length)] : [text, undefined];
}

function malformed(what: string): GoogleApiError {
  return new GoogleApiError(`Gmail answered a batch request with a malformed body (${what}).`, undefined, {
    hint: 'Try again; if it keeps happening, run with --debug and report it.',
  });
}
