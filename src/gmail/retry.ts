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
