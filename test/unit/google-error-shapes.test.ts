/**
 * Errors the way Google really sends them (issue 11): a whole-batch error read as text, the
 * front end's HTML pages, "Retry after <ISO time>" with no header, and a login that lacks
 * the Gmail scope.
 */
import { describe, expect, it } from 'vitest';
import { AuthRequiredError, ExitCode, exitCodeOf } from '../../src/basics/errors.js';
import { failureFacts, oauthErrorOf, toGmailctlError } from '../../src/gmail/google-error.js';
import { classifyFailure } from '../../src/gmail/retry.js';
import { frontEndErrorPage } from '../emulator/google-errors.js';

function gaxiosError(status: number, data: unknown, headers: Record<string, string> = {}) {
  const message = typeof data === 'string' ? data : `Request failed with status code ${status}`;
  return Object.assign(new Error(message), { status, response: { status, data, headers } });
}

const context = { account: 'ada@example.com', doing: 'reading message metadata' };

describe('a whole-batch error, read as text', () => {
  const body = JSON.stringify({
    error: { code: 403, message: 'User Rate Limit Exceeded', errors: [{ message: 'User Rate Limit Exceeded', domain: 'usageLimits', reason: 'userRateLimitExceeded' }] },
  });

  it('is parsed like any other: its reason makes it a rate limit, retried', () => {
    const facts = failureFacts(gaxiosError(403, body));
    expect(facts.reason).toBe('userRateLimitExceeded');
    expect(classifyFailure(facts)).toBe('rate-limited');
  });

  it("shows Google's message, not raw JSON", () => {
    const error = toGmailctlError(gaxiosError(400, JSON.stringify({ error: { code: 400, message: 'Inner request count exceeds the limit. Received: 101, Limit: 100', status: 'INVALID_ARGUMENT' } })), context);
    expect(error.message).toBe('Google answered 400 while reading message metadata: Inner request count exceeds the limit. Received: 101, Limit: 100');
  });
});

describe("Google's HTML error pages", () => {
  it.each([502, 503] as const)('a %i page becomes its title and first sentence, short and without markup', (status) => {
    const page = frontEndErrorPage(status).body;
    expect(page.length).toBeGreaterThan(1000);
    const error = toGmailctlError(gaxiosError(status, page), context);
    expect(error.message).toContain(`Error ${status} (`);
    expect(error.message).not.toMatch(/[<>{}]|!!1/);
    expect(error.message.length).toBeLessThan(220);
  });

  it('the 502 page says what Google says', () => {
    const error = toGmailctlError(gaxiosError(502, frontEndErrorPage(502).body), { doing: 'refreshing the access token' });
    expect(error.message).toBe(
      'Google answered 502 while refreshing the access token: Error 502 (Server Error). The server encountered a temporary error and could not complete your request.',
    );
  });
});

describe('"Retry after <ISO time>" in the message', () => {
  it('is read as the retry time when there is no Retry-After header', () => {
    const body = { error: { code: 429, message: 'User-rate limit exceeded.  Retry after 2026-11-29T13:00:05.250Z', errors: [{ reason: 'rateLimitExceeded' }] } };
    expect(failureFacts(gaxiosError(429, body)).retryAfter).toBe('2026-11-29T13:00:05.250Z');
    expect(failureFacts(gaxiosError(429, JSON.stringify(body))).retryAfter).toBe('2026-11-29T13:00:05.250Z');
  });

  it('the header wins when both are there', () => {
    const body = { error: { code: 429, message: 'User-rate limit exceeded.  Retry after 2026-11-29T13:00:05.250Z' } };
    expect(failureFacts(gaxiosError(429, body, { 'retry-after': '3' })).retryAfter).toBe('3');
  });
});

describe('a login without the Gmail scope', () => {
  it("is exit 4 for every command, with the hint and Google's own sentence", () => {
    const body = {
      error: { code: 403, message: 'Request had insufficient authentication scopes.', errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }], status: 'PERMISSION_DENIED' },
    };
    const error = toGmailctlError(gaxiosError(403, body), context);
    expect(error).toBeInstanceOf(AuthRequiredError);
    expect(exitCodeOf(error)).toBe(ExitCode.authRequired);
    expect(error.message).toContain('Request had insufficient authentication scopes.');
    expect(error.message).toContain('https://www.googleapis.com/auth/gmail.readonly');
    expect(error.hint).toContain('gmailctl login --account ada@example.com');
  });
});

describe('OAuth error bodies', () => {
  it('are recognised by their error code, whatever the status', () => {
    expect(oauthErrorOf(gaxiosError(400, { error: 'invalid_token', error_description: 'Token expired or revoked' }))).toBe('invalid_token');
    expect(oauthErrorOf(gaxiosError(401, JSON.stringify({ error: 'invalid_client', error_description: 'Unauthorized' })))).toBe('invalid_client');
    expect(oauthErrorOf(gaxiosError(401, { error: { code: 401, message: 'Invalid Credentials' } }))).toBeUndefined();
    expect(oauthErrorOf(new Error('nope'))).toBeUndefined();
  });
});
