import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureFacts } from '../../src/gmail/google-error.js';
import { classifyFailure, DEFAULT_RETRY_POLICY, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay, retryWait, shouldRetryAfter, type RetryPolicy } from '../../src/gmail/retry.js';

describe('classifyFailure', () => {
  it('retries 429 as a rate limit, whatever the reason', () => {
    expect(classifyFailure({ status: 429 })).toBe('rate-limited');
    expect(classifyFailure({ status: 429, reason: 'somethingElse' })).toBe('rate-limited');
  });

  it("retries Gmail's 403 rate limits", () => {
    expect(classifyFailure({ status: 403, reason: 'rateLimitExceeded' })).toBe('rate-limited');
    expect(classifyFailure({ status: 403, reason: 'userRateLimitExceeded' })).toBe('rate-limited');
  });

  it('does not retry a 403 that is about permissions, or a 403 without a reason', () => {
    expect(classifyFailure({ status: 403, reason: 'insufficientPermissions' })).toBe('final');
    expect(classifyFailure({ status: 403, reason: 'accessNotConfigured' })).toBe('final');
    expect(classifyFailure({ status: 403 })).toBe('final');
  });

  it('does not retry client errors', () => {
    for (const status of [400, 401, 404, 409, 410, 412]) expect(classifyFailure({ status })).toBe('final');
  });

  it('retries server errors 500, 502, 503 and 504, but not 501', () => {
    for (const status of [500, 502, 503, 504]) expect(classifyFailure({ status })).toBe('server');
    expect(classifyFailure({ status: 501 })).toBe('final');
  });

  it('retries transient network failures that have no response', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED', 'EAI_AGAIN']) {
      expect(classifyFailure({ code })).toBe('network');
    }
  });

  it('does not retry other failures without a response (unknown code, DNS name not found, none at all)', () => {
    expect(classifyFailure({ code: 'ENOTFOUND' })).toBe('final');
    expect(classifyFailure({ code: 'ERR_SOMETHING' })).toBe('final');
    expect(classifyFailure({})).toBe('final');
  });

  it('a status decides, not a network code alongside it', () => {
    expect(classifyFailure({ status: 400, code: 'ECONNRESET' })).toBe('final');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-14T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP date as the time left until then', () => {
    expect(parseRetryAfter('Sat, 14 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('a date in the past means no wait', () => {
    expect(parseRetryAfter('Sat, 14 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    for (const value of [undefined, null, '', 'soon', '5 seconds', '1e3', '0x10', 'NaN']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });

  it('a malformed number (negative, fractional) never makes the wait longer than the backoff', () => {
    // V8's lenient Date.parse reads "-5" or "1.5" as dates long past: the wait is then the backoff.
    for (const value of ['-5', '1.5', '12.25']) {
      expect(parseRetryAfter(value, now) ?? 0).toBe(0);
      expect(retryDelay(2, value, DEFAULT_RETRY_POLICY, () => 0.5, now)).toBe(retryDelay(2, undefined, DEFAULT_RETRY_POLICY, () => 0.5, now));
    }
  });

  it('a request to wait longer than the cap shows up as longer than MAX_RETRY_AFTER_MS (so it is not retried)', () => {
    expect(parseRetryAfter(String(MAX_RETRY_AFTER_MS / 1000 + 1), now)).toBeGreaterThan(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Sat, 14 Mar 2026 13:00:00 GMT', now)).toBeGreaterThan(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(String(MAX_RETRY_AFTER_MS / 1000), now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('for any whole number of seconds, is that many milliseconds', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), now)).toBe(seconds * 1000);
      }),
    );
  });

  it('never throws and never returns a negative or non-finite wait', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: 0, max: 4e12 }), (value, at) => {
        const ms = parseRetryAfter(value, at);
        if (ms !== undefined) {
          expect(Number.isFinite(ms)).toBe(true);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe('retryDelay', () => {
  const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 20_000 };

  it('grows exponentially with equal jitter: between half and all of base * 2^(attempt-1)', () => {
    expect(retryDelay(1, undefined, policy, () => 0)).toBe(200);
    expect(retryDelay(1, undefined, policy, () => 0.999999)).toBe(400);
    expect(retryDelay(2, undefined, policy, () => 0)).toBe(400);
    expect(retryDelay(3, undefined, policy, () => 0.5)).toBe(1200);
  });

  it('never waits longer than the policy maximum, however many attempts', () => {
    expect(retryDelay(30, undefined, policy, () => 0.999999)).toBe(20_000);
    expect(retryDelay(1000, undefined, policy, () => 0.999999)).toBe(20_000);
  });

  it('for any attempt and any random draw, stays between half the step and the step, and within the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 120_000 }),
        (attempt, draw, baseDelayMs, maxDelayMs) => {
          const p = { maxAttempts: 5, baseDelayMs, maxDelayMs };
          const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          const delay = retryDelay(attempt, undefined, p, () => draw);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(step / 2));
          expect(delay).toBeLessThanOrEqual(step);
          expect(delay).toBeLessThanOrEqual(maxDelayMs);
        },
      ),
    );
  });

  it('spreads retries: different random draws give different delays', () => {
    const delays = new Set([0, 0.25, 0.5, 0.75].map((r) => retryDelay(4, undefined, policy, () => r)));
    expect(delays.size).toBe(4);
  });

  it('waits as long as Retry-After asks when that is longer than the backoff', () => {
    expect(retryDelay(1, '10', policy, () => 0.5)).toBe(10_000);
    const now = Date.parse('2026-03-14T12:00:00Z');
    expect(retryDelay(1, 'Sat, 14 Mar 2026 12:00:05 GMT', policy, () => 0.5, now)).toBe(5000);
  });

  it('keeps the backoff when Retry-After asks for less, or is garbage', () => {
    expect(retryDelay(5, '1', policy, () => 0)).toBe(3200);
    expect(retryDelay(2, 'whenever', policy, () => 0)).toBe(400);
  });

  it('for any Retry-After in seconds, waits the longer of it and the backoff', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.nat({ max: 600 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, seconds, draw) => {
        const backoff = retryDelay(attempt, undefined, DEFAULT_RETRY_POLICY, () => draw);
        expect(retryDelay(attempt, String(seconds), DEFAULT_RETRY_POLICY, () => draw)).toBe(Math.max(backoff, seconds * 1000));
      }),
    );
  });
});

describe("the per-minute quota's 403, as Google words it", () => {
  const message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'gmail.googleapis.com' for consumer 'project_number:1234'.";
  const perMinute = (headers: Record<string, string> = {}) => ({
    response: { status: 403, headers, data: { error: { code: 403, message, errors: [{ message, domain: 'usageLimits', reason: 'rateLimitExceeded' }] } } },
  });

  it('is waited out until the next minute (at most 60 s), exactly', () => {
    const now = Date.parse('2026-03-14T12:00:45.300Z');
    const facts = failureFacts(perMinute(), now);
    expect(facts.perMinute).toBe(true);
    expect(classifyFailure(facts)).toBe('rate-limited');
    expect(retryWait(facts, 1, DEFAULT_RETRY_POLICY, () => 1, now)).toBe(14_700);
    expect(retryWait(failureFacts(perMinute(), Date.parse('2026-03-14T12:00:00.000Z')), 3, DEFAULT_RETRY_POLICY, () => 1, Date.parse('2026-03-14T12:00:00.000Z'))).toBe(60_000);
  });

  it('a Retry-After header wins, and is waited exactly (no backoff on top)', () => {
    const now = Date.parse('2026-03-14T12:00:45.300Z');
    expect(retryWait(failureFacts(perMinute({ 'retry-after': '2' }), now), 4, DEFAULT_RETRY_POLICY, () => 1, now)).toBe(2000);
  });

  it('is retried across several minutes, not given up after the usual few attempts', () => {
    const facts = failureFacts(perMinute());
    expect(shouldRetryAfter(facts, 6, 60_000)).toBe(true);
    expect(shouldRetryAfter(facts, 3, 6 * 60_000)).toBe(false);
    expect(shouldRetryAfter({ status: 429, reason: 'rateLimitExceeded' }, DEFAULT_RETRY_POLICY.maxAttempts - 1, 1000)).toBe(false);
  });
});
