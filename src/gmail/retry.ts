/**
 * The one retry policy for every call to Google: which failures are worth another try,
 * and how long to wait. It plugs into gaxios's own retry loop (shouldRetry / retryBackoff)
 * rather than wrapping a second HTTP stack around it; Google's stack alone would neither
 * retry a 403 rate limit, nor honour Retry-After, nor add jitter.
 */

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 20_000 };

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
/**
 * ERR_STREAM_PREMATURE_CLOSE: an answer cut off mid-body (node-fetch's code for a chunked body
 * that never ends; Node's fetch said UND_ERR_SOCKET).
 */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'EAI_AGAIN']);

export type FailureKind = 'rate-limited' | 'server' | 'network' | 'final';

/** The shape of a gaxios error that matters here, so the policy stays testable without gaxios. */
export interface FailureFacts {
  status?: number;
  /** Google's `error.errors[0].reason`, when the body has one. */
  reason?: string;
  /** A network error code (ECONNRESET, …) when there was no response. */
  code?: string;
  retryAfter?: string | null;
  /**
   * Google's per-minute quota is spent ("Quota exceeded for quota metric 'Queries' and limit
   * 'Queries per minute per user' …"): waited out until the next minute, over several minutes.
   */
  perMinute?: boolean;
}

export function classifyFailure(facts: FailureFacts): FailureKind {
  const { status, reason } = facts;
  if (status === undefined) return facts.code && NETWORK_CODES.has(facts.code) ? 'network' : 'final';
  if (status === 429 || (status === 403 && reason !== undefined && RATE_LIMIT_REASONS.has(reason))) return 'rate-limited';
  if (RETRYABLE_STATUS.has(status)) return 'server';
  return 'final';
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A server that asks us to wait longer than this is not retried: we report it instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Google's words when a per-minute quota is spent ("… limit 'Queries per minute per user' …"). */
export const PER_MINUTE_QUOTA = /\bper minute\b/i;

/** Until the next whole minute of the clock: when a per-minute quota starts afresh (at most 60 s). */
export function msToNextMinute(now: number): number {
  return 60_000 - (((now % 60_000) + 60_000) % 60_000);
}

/**
 * A per-minute quota that stays spent is waited out minute after minute for this long
 * (counted from the request's first attempt) before the run gives up: long enough for a
 * burst of another program on the same quota to pass, short enough for a cron job to end.
 */
const PER_MINUTE_GIVE_UP_MS = 5 * 60_000;
/** …and for at most this many attempts (a Retry-After of 0 must not spin for five minutes). */
const PER_MINUTE_MAX_ATTEMPTS = 12;

/**
 * Whether a request that failed so, after `retries` retries, `sinceFirstMs` after its first
 * attempt, is tried again: not a final failure, not a wait longer than a minute, and within
 * the policy's attempts (a spent per-minute quota: within several minutes).
 */
export function shouldRetryAfter(facts: FailureFacts, retries: number, sinceFirstMs: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, now: number = Date.now()): boolean {
  if (classifyFailure(facts) === 'final') return false;
  const asked = parseRetryAfter(facts.retryAfter, now);
  if (asked !== undefined && asked > MAX_RETRY_AFTER_MS) return false;
  if (facts.perMinute) return retries + 1 < PER_MINUTE_MAX_ATTEMPTS && sinceFirstMs < PER_MINUTE_GIVE_UP_MS;
  return retries + 1 < policy.maxAttempts;
}

/**
 * How long to wait before retry number `attempt` (from 1): a rate-limit answer that names
 * its time (Retry-After, "Retry after <time>", the next minute of a per-minute quota) is
 * waited exactly that long — the quota pacer holds every other request as long, so the
 * retry is the first to go —; anything else backs off with jitter (retryDelay).
 */
export function retryWait(facts: FailureFacts, attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY, random: () => number = Math.random, now: number = Date.now()): number {
  const asked = parseRetryAfter(facts.retryAfter, now);
  if (asked !== undefined && classifyFailure(facts) === 'rate-limited') return asked;
  return retryDelay(attempt, facts.retryAfter, policy, random, now);
}

/**
 * Exponential backoff with "equal jitter" (between half and all of the exponential step),
 * so that concurrent requests that failed together do not come back together, yet never
 * hammer right back; a Retry-After from the server wins when it asks for longer.
 * `attempt` is the number of the retry about to be made, from 1.
 */
export function retryDelay(
  attempt: number,
  retryAfter: string | null | undefined,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(cap / 2 + (random() * cap) / 2);
  const asked = parseRetryAfter(retryAfter, now);
  return asked === undefined ? jittered : Math.max(asked, jittered);
}
