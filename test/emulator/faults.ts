/**
 * Injected failures: what a fault is, ready-made ones for the usual Google failures, and
 * the queue that hands each matching request the first fault waiting for it.
 */

export type Fault =
  /** Answered with Google's error body for that status (OAuth-style on /token and /revoke). */
  | {
      type: 'status';
      status: number;
      reason?: string;
      message?: string;
      /** Sent as a Retry-After header. */
      retryAfter?: string;
      /** A 429's "Retry after <ISO time>" names the time this many ms after the fault fires (default 1000), with no header. */
      retryInMs?: number;
    }
  /** Answered with exactly this body, e.g. malformed JSON. */
  | { type: 'raw'; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  /** Google's front end's HTML error page (not JSON), on any endpoint. */
  | { type: 'front-end'; status: 502 | 503 }
  /** The socket is destroyed without a response. */
  | { type: 'reset' }
  /** Answered normally after this delay. */
  | { type: 'delay'; ms: number };

/** A pathname prefix ('/token', '/gmail/v1/users/me/messages/'), a RegExp on the pathname, or either with a method. */
export type RequestMatch = string | RegExp | { method?: string; path: string | RegExp };

/** Real Gmail's message for a spent per-minute quota (the project number is the emulator's). */
export const PER_MINUTE_QUOTA_MESSAGE =
  "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:1234'.";

export const faults = {
  rateLimited: (retryAfter?: string): Fault => ({ type: 'status', status: 429, reason: 'rateLimitExceeded', ...(retryAfter === undefined ? {} : { retryAfter }) }),
  /** Gmail's own form: no Retry-After header, "Retry after <ISO time>" in the message only. */
  rateLimitedUntil: (retryInMs: number): Fault => ({ type: 'status', status: 429, reason: 'rateLimitExceeded', retryInMs }),
  /** Google's front end's HTML page (502 or 503), whatever the endpoint. */
  frontEndError: (status: 502 | 503 = 502): Fault => ({ type: 'front-end', status }),
  userRateLimited: (): Fault => ({ type: 'status', status: 403, reason: 'userRateLimitExceeded' }),
  rateLimitExceeded403: (): Fault => ({ type: 'status', status: 403, reason: 'rateLimitExceeded' }),
  /**
   * Google's answer when the project's per-minute quota for the user is spent: a 403
   * rateLimitExceeded in domain usageLimits, its message naming the quota and the project
   * (as real Gmail words it; GAM-team/got-your-back#333). Real Gmail sends no Retry-After
   * with it; `retryAfter` adds one, so that tests need not wait for the next minute.
   */
  perMinuteQuota: (retryAfter?: string): Fault => ({
    type: 'status',
    status: 403,
    reason: 'rateLimitExceeded',
    message: PER_MINUTE_QUOTA_MESSAGE,
    ...(retryAfter === undefined ? {} : { retryAfter }),
  }),
  insufficientPermissions: (): Fault => ({ type: 'status', status: 403, reason: 'insufficientPermissions' }),
  serverError: (status = 503): Fault => ({ type: 'status', status }),
  reset: (): Fault => ({ type: 'reset' }),
  slow: (ms: number): Fault => ({ type: 'delay', ms }),
  malformedJson: (): Fault => ({ type: 'raw', status: 200, body: '{"messages": [{"id": "trunc', contentType: 'application/json; charset=UTF-8' }),
};

function pathMatches(pattern: string | RegExp, pathname: string): boolean {
  return typeof pattern === 'string' ? pathname.startsWith(pattern) : pattern.test(pathname);
}

export function requestMatches(match: RequestMatch, method: string, pathname: string): boolean {
  if (typeof match === 'string' || match instanceof RegExp) return pathMatches(match, pathname);
  if (match.method !== undefined && match.method.toUpperCase() !== method.toUpperCase()) return false;
  return pathMatches(match.path, pathname);
}

interface QueuedFault {
  match: RequestMatch;
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private readonly queue: QueuedFault[] = [];

  enqueue(match: RequestMatch, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a positive integer, not ${times}`);
    this.queue.push({ match, fault, remaining: times });
  }

  /** The first queued fault matching this request, consumed once; undefined if none. */
  take(method: string, pathname: string): Fault | undefined {
    const index = this.queue.findIndex((entry) => requestMatches(entry.match, method, pathname));
    if (index < 0) return undefined;
    const entry = this.queue[index]!;
    entry.remaining--;
    if (entry.remaining === 0) this.queue.splice(index, 1);
    return entry.fault;
  }

  /** Drops the faults not yet fired (Emulator.clearFaults), so one test's leftovers cannot hit the next. */
  clear(): void {
    this.queue.length = 0;
  }
}
