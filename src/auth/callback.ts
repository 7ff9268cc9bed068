/**
 * What an OAuth redirect means, decided in one pure place for both ways it can arrive:
 * the loopback listener and a URL pasted on stdin (--no-browser).
 */
import { timingSafeEqual } from 'node:crypto';
import { toSingleLine } from '../basics/single-line.js';

export type CallbackOutcome =
  /** The right state and a code: exchange it. */
  | { kind: 'code'; code: string }
  /** The right state and an error from Google (the user pressed Deny, …): the login ends. */
  | { kind: 'denied'; error: string; description: string | undefined }
  /** Not for this login (no state, wrong state) or incomplete: refuse it and keep waiting. */
  | { kind: 'rejected'; reason: string };

export function interpretCallback(params: URLSearchParams, expectedState: string): CallbackOutcome {
  const states = params.getAll('state');
  if (states.length === 0) return { kind: 'rejected', reason: 'The request has no state parameter.' };
  if (states.length > 1) return { kind: 'rejected', reason: 'The request has more than one state parameter.' };
  if (!sameSecret(states[0] ?? '', expectedState)) {
    return { kind: 'rejected', reason: 'The state parameter does not match this login.' };
  }
  const error = params.get('error');
  if (error !== null) {
    return { kind: 'denied', error: error || 'unknown_error', description: params.get('error_description') ?? undefined };
  }
  const codes = params.getAll('code');
  if (codes.length !== 1 || !codes[0]) return { kind: 'rejected', reason: 'The request has no authorization code.' };
  return { kind: 'code', code: codes[0] };
}

/**
 * A pasted line: the whole URL the browser was sent to, or just its query string
 * (with or without the leading "?"). Returns undefined when the line holds neither.
 */
export function parsePastedRedirect(line: string): URLSearchParams | undefined {
  const text = line.trim().replace(/^["'<]+|["'>]+$/g, '');
  if (text === '') return undefined;
  let query: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      query = new URL(text).search;
    } catch {
      return undefined;
    }
  } else {
    query = text.startsWith('?') ? text : text.includes('=') ? `?${text}` : '';
  }
  if (query === '' || query === '?') return undefined;
  const params = new URLSearchParams(query.slice(1));
  return params.has('state') || params.has('code') || params.has('error') ? params : undefined;
}

/** A pasted line longer than this is not a redirect (Google's are well under 2 KiB). */
export const MAX_PASTED_LINE = 8 * 1024;

/**
 * A pasted line for this login: the listener's own address (`redirectUri`, its origin and
 * path exactly) with its query, or a bare query string. Anything else — another host, an
 * https phishing page carrying a code and a state — is refused with a reason.
 */
export function parsePastedAnswer(line: string, redirectUri: string): { params: URLSearchParams } | { refused: string } {
  const address = new URL(redirectUri);
  const notThis = { refused: `That is not this login's address (${address.origin}${address.pathname}…): copy the whole URL from the address bar.` };
  if (line.length > MAX_PASTED_LINE) return { refused: `That line is longer than ${MAX_PASTED_LINE / 1024} KiB; it is not a redirect.` };
  const text = line.trim().replace(/^["'<]+|["'>]+$/g, '');
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return notThis;
    }
    if (url.origin !== address.origin || url.pathname !== address.pathname) return notThis;
  }
  const params = parsePastedRedirect(text);
  return params ? { params } : notThis;
}

/** Constant-time comparison, so that a local attacker cannot guess the state byte by byte. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Human words for the errors Google sends to the redirect URI. */
export function describeDenial(error: string, description: string | undefined): string {
  // A Map, not an object literal: "toString" or "__proto__" from a crafted URL must not match.
  const known = new Map([
    ['access_denied', 'Access was denied on the consent page.'],
    ['admin_policy_enforced', 'Your Google Workspace administrator does not allow this app.'],
    ['invalid_scope', 'Google rejected the requested scope.'],
    ['unauthorized_client', 'This OAuth client is not allowed to ask for that.'],
    ['invalid_request', 'Google rejected the authorization request.'],
  ]);
  // Both values come from a URL anyone can craft: no control characters reach the terminal.
  const base = known.get(error) ?? `Google answered the login with the error "${toSingleLine(error)}".`;
  return description ? `${base} (${toSingleLine(description)})` : base;
}
