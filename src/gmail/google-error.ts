/**
 * Turns what Google's client libraries throw (GaxiosError and plain network errors) into
 * our error values, in one place: Google's own message, the HTTP status, and what to do.
 * Kept free of imports from Google's libraries so that it costs nothing to load.
 */
import { AuthRequiredError, GmailctlError, GoogleApiError, InterruptedError } from '../basics/errors.js';
import { header } from './http.js';
import { toSingleLine } from '../basics/single-line.js';
import { msToNextMinute, PER_MINUTE_QUOTA, type FailureFacts } from './retry.js';
import { formatSeconds } from '../basics/durations.js';
import { isRedirect, redirectTarget, RequestTimeoutError } from './timed-fetch.js';

interface GaxiosLike {
  message?: string;
  code?: string | number;
  status?: number;
  cause?: unknown;
  response?: { status?: number; data?: unknown; headers?: unknown };
}

/** The facts the retry policy needs, read off a gaxios error (`now`: for the next minute of a per-minute quota). */
export function failureFacts(error: unknown, now: number = Date.now()): FailureFacts {
  const e = (error ?? {}) as GaxiosLike;
  const status = e.response?.status;
  const data = bodyOf(e.response?.data);
  const message = googleMessage(data);
  const perMinute = isPerMinuteQuota(status, message);
  return {
    status,
    reason: googleReason(data),
    code: networkCode(e),
    // Gmail names the retry time in its message only ("… Retry after 2026-…Z"); a header wins.
    // A spent per-minute quota names none: it starts afresh at the next minute.
    retryAfter:
      header(e.response?.headers, 'retry-after') ?? retryTimeIn(message) ?? (perMinute ? new Date(now + msToNextMinute(now)).toISOString() : null),
    ...(perMinute ? { perMinute } : {}),
  };
}

/** Google's answer when a per-minute quota is spent: a 403 (or 429) whose message names a limit "per minute". */
function isPerMinuteQuota(status: number | undefined, message: string | undefined): boolean {
  return (status === 403 || status === 429) && message !== undefined && /quota/i.test(message) && PER_MINUTE_QUOTA.test(message);
}

/** Google's own message in an error answer's body (JSON, or JSON read as text), if it has one. */
export function googleMessageOf(body: unknown): string | undefined {
  return googleMessage(bodyOf(body));
}

/** The OAuth error code of a token or revoke endpoint's answer ("invalid_token", …), if it is one. */
export function oauthErrorOf(error: unknown): string | undefined {
  const data = bodyOf((error as GaxiosLike | undefined)?.response?.data);
  const code = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).error : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** An OAuth error body as one phrase, "invalid_grant: Malformed auth code."; undefined when it is none. */
export function oauthErrorDetail(error: unknown): string | undefined {
  const code = oauthErrorOf(error);
  if (code === undefined) return undefined;
  const description = (bodyOf((error as GaxiosLike).response?.data) as Record<string, unknown>).error_description;
  return typeof description === 'string' && description ? fromGoogle(`${code}: ${description}`) : fromGoogle(code);
}

/**
 * A body as JSON when it is JSON: a batch POST is read as text (its success is multipart),
 * so its whole-batch error arrives as a string that still holds Google's error object.
 */
function bodyOf(data: unknown): unknown {
  if (typeof data !== 'string' || !/^\s*\{/.test(data)) return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

/** The ISO time in Gmail's "Retry after <time>", when the message has one. */
function retryTimeIn(message: string | undefined): string | null {
  const time = message === undefined ? undefined : /Retry after (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(message)?.[1];
  return time !== undefined && !Number.isNaN(Date.parse(time)) ? time : null;
}

interface GoogleErrorContext {
  /** The account the call was made for, to name it in "run gmailctl login --account …". */
  account?: string;
  /** What we were doing, e.g. "listing messages". */
  doing: string;
}

export function toGmailctlError(error: unknown, context: GoogleErrorContext): GmailctlError {
  if (error instanceof GmailctlError) return error;
  const e = (error ?? {}) as GaxiosLike;
  if ((e as { name?: string }).name === 'AbortError') return new InterruptedError();
  // Ctrl-C aborts the call with its InterruptedError as the reason, and gaxios wraps whatever
  // the fetch rejects with: it is the interruption (130, or 143 for SIGTERM), not a bad answer.
  const interruption = causeOfType(error, InterruptedError);
  if (interruption) return interruption;
  const response = e.response;
  if (!response || response.status === undefined) return unanswered(error, e, context);
  if (isRedirect(response.status)) return redirected(error, response.status, header(response.headers, 'location'), context);
  const data = bodyOf(response.data);
  const oauthError = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).error : undefined;
  // The token endpoint speaks OAuth: {"error":"invalid_grant","error_description":"…"}.
  if (typeof oauthError === 'string') return tokenEndpointError(error, oauthError, response.status, context);
  return apiError(error, e, response.status, data, context);
}

/** " for you@gmail.com", or nothing when the account is not known. */
const forAccount = (context: GoogleErrorContext, word = 'for'): string => (context.account ? ` ${word} ${context.account}` : '');

/** No HTTP status: a timeout, a network failure, or an answer the library could not read. */
function unanswered(error: unknown, e: GaxiosLike, context: GoogleErrorContext): GmailctlError {
  const timeout = causeOfType(error, RequestTimeoutError);
  if (timeout) {
    const retries = (e as { config?: { retryConfig?: { currentRetryAttempt?: number } } }).config?.retryConfig?.currentRetryAttempt ?? 0;
    return new GoogleApiError(
      `The request timed out: Google did not answer within ${formatSeconds(timeout.timeoutMs)} while ${context.doing}` +
        `${retries > 0 ? ` (${retries + 1} attempts)` : ''}.`,
      undefined,
      { hint: 'Check your network connection and try again; GMAILCTL_HTTP_TIMEOUT_MS sets how long to wait (default 30000).', cause: error },
    );
  }
  const code = networkCode(e);
  if (code) {
    return new GoogleApiError(`Could not reach Google while ${context.doing}: ${code}.`, undefined, {
      hint: 'Check your network connection and try again.',
      cause: error,
    });
  }
  // Google answered, but with something the client library could not use (not JSON, no
  // access token): not a network problem, and the user should not be told it is.
  // A TypeError or SyntaxError here is the library choking on a body that is not JSON:
  // its own text ("Cannot create property … on string …") means nothing to the user.
  const detail = error instanceof TypeError || error instanceof SyntaxError ? 'it was not well-formed JSON' : fromGoogle(e.message ?? 'unreadable answer');
  return new GoogleApiError(`Google's answer could not be used while ${context.doing}: ${detail}.`, undefined, {
    hint: 'Try again; if it keeps happening, run with --debug and report it.',
    cause: error,
  });
}

/** A redirect, never followed (src/gmail/timed-fetch.ts): it would carry the tokens to wherever it points. */
function redirected(error: unknown, status: number, location: string | null, context: GoogleErrorContext): GmailctlError {
  const where = location ? redirectTarget(location, new URL('https://invalid.invalid/')) : 'nowhere it names';
  return new GoogleApiError(`Google's answer while ${context.doing} was a redirect (${status}) to ${fromGoogle(where)}: gmailctl follows none, since it would carry your tokens there.`, status, {
    hint: "Check the endpoints of the OAuth client file and GMAILCTL_API_ROOT; if they are Google's own, try again later.",
    cause: error,
  });
}

/** An OAuth error from the token endpoint: an expired or revoked login, a refused client, or else. */
function tokenEndpointError(error: unknown, oauthError: string, status: number, context: GoogleErrorContext): GmailctlError {
  const detail = oauthErrorDetail(error) ?? oauthError;
  if (oauthError === 'invalid_grant') {
    return new AuthRequiredError(`The login${forAccount(context)} is no longer valid (${detail}).`, context.account, {
      hint:
        `Run: gmailctl login${context.account ? ` --account ${context.account}` : ''}` +
        ' (if this happens every 7 days, your OAuth consent screen is in Testing mode: see the README).',
    });
  }
  if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
    return new GoogleApiError(`Google does not accept the OAuth client (${detail}).`, status, {
      hint: 'Check the OAuth client file: it must be a "Desktop app" client of a project with the Gmail API enabled.',
      cause: error,
    });
  }
  return new GoogleApiError(`Google's token endpoint answered ${status} while ${context.doing} (${detail}).`, status, { cause: error });
}

/** An error from the Gmail API: refused credentials, a missing scope, the API not enabled, or else. */
function apiError(error: unknown, e: GaxiosLike, status: number, data: unknown, context: GoogleErrorContext): GmailctlError {
  const message = googleMessage(data) ?? (looksLikeHtml(e.message) || e.message === undefined ? undefined : fromGoogle(e.message)) ?? 'no message';
  const reason = googleReason(data);
  if (status === 401) {
    return new AuthRequiredError(`Google did not accept the credentials${forAccount(context, 'of')} while ${context.doing} (${message}).`, context.account);
  }
  if (status === 403 && (reason === 'insufficientPermissions' || /insufficient authentication scopes/i.test(message))) {
    // Logging in again (and allowing reading mail) fixes it: exit 4, as for a revoked login.
    return new AuthRequiredError(
      `The login${forAccount(context)} lacks the Gmail scope this needs (https://www.googleapis.com/auth/gmail.readonly): Google says "${message}"`,
      context.account,
      { hint: `Run: gmailctl login${context.account ? ` --account ${context.account}` : ''} and allow reading your email.`, cause: error },
    );
  }
  if (status === 403 && /has not been used|is disabled|accessNotConfigured/i.test(`${message} ${reason ?? ''}`)) {
    return new GoogleApiError(`The Gmail API is not enabled for this OAuth client's project (${message}).`, status, {
      hint: 'Enable it in the Google Cloud console (APIs & Services → Library → Gmail API), then try again.',
      cause: error,
    });
  }
  if (isPerMinuteQuota(status, message)) {
    // Waited out minute after minute (src/gmail/retry.ts) and still spent: say so, and when to try again.
    const next = new Date(Date.now() + msToNextMinute(Date.now()));
    return new GoogleApiError(
      `The per-minute quota of this OAuth client's project is exhausted: Google kept refusing while ${context.doing}, minute after minute (${message})`,
      status,
      {
        hint:
          `Try again after ${clockTime(next)}, once other programs using this OAuth client for the account are done; ` +
          "or raise 'Queries per minute per user' for the Gmail API in the Google Cloud console (IAM & Admin → Quotas).",
        cause: error,
      },
    );
  }
  if (status === 400 && /^invalid query\b/i.test(message)) {
    return new GoogleApiError(`Google answered ${status} while ${context.doing}: ${message}`, status, {
      hint: "Check the search query (list -q): it is Gmail's search syntax, as in Gmail's search box (https://support.google.com/mail/answer/7190), with balanced quotes and parentheses.",
      cause: error,
    });
  }
  return new GoogleApiError(`Google answered ${status} while ${context.doing}: ${message}`, status, { cause: error });
}

/**
 * Text from Google as one line, to sit inside a line of ours that says it is Google's:
 * newlines, controls and line separators folded into single spaces, so that a message
 * cannot start a line of its own that reads like one of gmailctl's hints.
 */
function fromGoogle(text: string): string {
  return toSingleLine(text).replace(/\s+/g, ' ').trim();
}

/** "14:05": the local time of day, to the minute. */
function clockTime(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

function googleMessage(data: unknown): string | undefined {
  const inner = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).error : undefined;
  if (typeof inner === 'object' && inner !== null) {
    const message = (inner as Record<string, unknown>).message;
    if (typeof message === 'string' && message.trim()) return fromGoogle(message);
  }
  if (typeof data !== 'string') return undefined;
  if (looksLikeHtml(data)) return htmlGist(data);
  return data.trim() && data.length < 300 ? fromGoogle(data) : undefined;
}

function looksLikeHtml(text: string | undefined): boolean {
  return text !== undefined && /^\s*<(!doctype|html|head|body|title|meta|p\b)/i.test(text);
}

/**
 * What an HTML error page (Google's front end answers 502/503 with one, on every endpoint)
 * says, in one short line: its title and the first sentence of its text; undefined when
 * it has no title.
 */
function htmlGist(html: string): string | undefined {
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1];
  if (!title) return undefined;
  const text = (raw: string): string =>
    raw
      .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&[a-z]+;|&#\d+;/gi, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  const heading = text(title).replace(/!+1$/, '').trim();
  // The first sentence of the page's text that is not its status line ("502. That's an error.").
  const body = text(html.replace(/<title>[^<]*<\/title>/i, ''));
  const sentence = body
    .split(/(?<=\.)\s+/)
    .find((candidate) => candidate.length > 20 && !/^\d{3}\.|error\.$/i.test(candidate) && !candidate.startsWith(heading));
  const gist = sentence ? `${heading}. ${sentence}` : heading;
  return gist.length > 200 ? `${gist.slice(0, 199)}…` : gist;
}

function googleReason(data: unknown): string | undefined {
  const inner = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).error : undefined;
  if (typeof inner !== 'object' || inner === null) return undefined;
  const errors = (inner as Record<string, unknown>).errors;
  if (!Array.isArray(errors)) return undefined;
  const first = errors[0] as Record<string, unknown> | undefined;
  return typeof first?.reason === 'string' ? first.reason : undefined;
}

function causeOfType<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function networkCode(e: GaxiosLike): string | undefined {
  let current: unknown = e;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
