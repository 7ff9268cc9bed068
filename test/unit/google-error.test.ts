import fc from 'fast-check';
import { GaxiosError } from 'gaxios';
import { describe, expect, it } from 'vitest';
import { AuthRequiredError, ExitCode, GoogleApiError, InterruptedError, LoginError, exitCodeOf } from '../../src/basics/errors.js';
import { failureFacts, toGmailctlError } from '../../src/gmail/google-error.js';
import { redact } from '../../src/basics/redact.js';

/** What gaxios throws, reduced to the fields the mapping reads. */
function gaxiosError(status: number, data: unknown, headers: Record<string, string> = {}, message = `Request failed with status code ${status}`) {
  return Object.assign(new Error(message), { status, response: { status, data, headers } });
}

function apiError(status: number, message: string, reason?: string): ReturnType<typeof gaxiosError> {
  return gaxiosError(status, {
    error: { code: status, message, errors: reason ? [{ reason, message, domain: 'global' }] : [], status: 'X' },
  });
}

const context = { account: 'ada@example.com', doing: 'listing messages' };

describe('failureFacts', () => {
  it("reads the status, Google's reason and Retry-After from a response", () => {
    const error = gaxiosError(403, { error: { message: 'slow down', errors: [{ reason: 'userRateLimitExceeded' }] } }, { 'retry-after': '7' });
    expect(failureFacts(error)).toEqual({ status: 403, reason: 'userRateLimitExceeded', code: undefined, retryAfter: '7' });
  });

  it('reads Retry-After from a Headers object too', () => {
    const error = { response: { status: 429, data: '', headers: new Headers({ 'Retry-After': '3' }) } };
    expect(failureFacts(error).retryAfter).toBe('3');
  });

  it('finds a network code on the error or on its causes', () => {
    expect(failureFacts(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({ status: undefined, code: 'ECONNRESET' });
    const wrapped = new Error('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(failureFacts(wrapped).code).toBe('UND_ERR_SOCKET');
  });

  it('ignores numeric codes (an HTTP status in "code") as network codes', () => {
    expect(failureFacts({ code: 500, response: { status: 500 } }).code).toBeUndefined();
  });

  it('never throws, whatever was thrown', () => {
    for (const thrown of [undefined, null, 'text', 42, {}, { response: null }, { response: { data: { error: { errors: 'no' } } } }]) {
      expect(() => failureFacts(thrown)).not.toThrow();
    }
    fc.assert(
      fc.property(fc.anything(), (thrown) => {
        failureFacts(thrown);
        failureFacts({ response: { status: 400, data: thrown, headers: thrown } });
      }),
    );
  });
});

describe('toGmailctlError', () => {
  it('invalid_grant means the login is gone: exit 4, naming the account and the login command', () => {
    const error = toGmailctlError(gaxiosError(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }), context);
    expect(error).toBeInstanceOf(AuthRequiredError);
    expect(exitCodeOf(error)).toBe(ExitCode.authRequired);
    expect(error.message).toContain('ada@example.com');
    expect(error.message).toContain('Token has been expired or revoked.');
    expect(error.hint).toContain('gmailctl login --account ada@example.com');
    expect(error.hint).toMatch(/Testing mode/);
  });

  it('invalid_grant without a known account still says to log in', () => {
    const error = toGmailctlError(gaxiosError(400, { error: 'invalid_grant' }), { doing: 'refreshing' });
    expect(exitCodeOf(error)).toBe(ExitCode.authRequired);
    expect(error.hint).toMatch(/^Run: gmailctl login /);
  });

  it('invalid_client points at the OAuth client file, exit 1', () => {
    const error = toGmailctlError(gaxiosError(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }), context);
    expect(error).toBeInstanceOf(GoogleApiError);
    expect(exitCodeOf(error)).toBe(ExitCode.failure);
    expect(error.message).toContain('The OAuth client was not found.');
    expect(error.hint).toMatch(/Desktop app/);
    expect((error as GoogleApiError).status).toBe(401);
  });

  it('other token endpoint errors quote the OAuth error and status', () => {
    const error = toGmailctlError(gaxiosError(400, { error: 'invalid_request', error_description: 'Missing code verifier.' }), {
      doing: 'exchanging the authorization code',
    });
    expect(error.message).toBe("Google's token endpoint answered 400 while exchanging the authorization code (invalid_request: Missing code verifier.).");
  });

  it('a 401 from the API asks for a new login: exit 4, naming the account', () => {
    const error = toGmailctlError(apiError(401, 'Request had invalid authentication credentials.', 'authError'), context);
    expect(error).toBeInstanceOf(AuthRequiredError);
    expect(exitCodeOf(error)).toBe(ExitCode.authRequired);
    expect(error.message).toContain('ada@example.com');
    expect(error.message).toContain('Request had invalid authentication credentials.');
    expect(error.hint).toBe('Run: gmailctl login --account ada@example.com');
  });

  it('a 403 for missing scopes names the Gmail scope and says to log in again (exit 4: the contract since issue 11)', () => {
    for (const e of [
      apiError(403, 'Request had insufficient authentication scopes.', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT'),
      apiError(403, 'Insufficient Permission', 'insufficientPermissions'),
    ]) {
      const error = toGmailctlError(e, context);
      expect(error).toBeInstanceOf(AuthRequiredError);
      expect(exitCodeOf(error)).toBe(ExitCode.authRequired);
      expect(error.message).toContain('https://www.googleapis.com/auth/gmail.readonly');
      expect(error.hint).toContain('gmailctl login --account ada@example.com');
    }
  });

  it('a 403 for a disabled Gmail API says to enable it', () => {
    const error = toGmailctlError(
      apiError(403, 'Gmail API has not been used in project 123 before or it is disabled.', 'accessNotConfigured'),
      context,
    );
    expect(error.message).toMatch(/Gmail API is not enabled/);
    expect(error.hint).toMatch(/Enable it/);
    expect(exitCodeOf(error)).toBe(ExitCode.failure);
  });

  it("a 400 for a bad query is exit 1 with Google's own message", () => {
    const error = toGmailctlError(apiError(400, 'Invalid query', 'invalidArgument'), context);
    expect(error).toBeInstanceOf(GoogleApiError);
    expect(exitCodeOf(error)).toBe(ExitCode.failure);
    expect(error.message).toBe('Google answered 400 while listing messages: Invalid query');
    expect((error as GoogleApiError).status).toBe(400);
    // Found trying the packed tarball (issue #24): the message said nothing of what to do.
    expect(error.hint).toMatch(/search query/);
    expect(error.hint).toMatch(/Gmail's search syntax/);
  });

  it('a short text body is used as the message; a long one (an HTML page) is not', () => {
    expect(toGmailctlError(gaxiosError(502, 'Bad Gateway'), context).message).toBe('Google answered 502 while listing messages: Bad Gateway');
    const html = `<html>${'x'.repeat(400)}</html>`;
    const error = toGmailctlError(gaxiosError(502, html, {}, 'Request failed with status code 502'), context);
    expect(error.message).not.toContain('<html>');
    expect(error.message).toContain('Request failed with status code 502');
  });

  it('no response means Google could not be reached: the network code and a hint', () => {
    const error = toGmailctlError(Object.assign(new Error('getaddrinfo ENOTFOUND gmail.googleapis.com'), { code: 'ENOTFOUND' }), context);
    expect(error).toBeInstanceOf(GoogleApiError);
    expect(error.message).toBe('Could not reach Google while listing messages: ENOTFOUND.');
    expect(error.hint).toMatch(/network/);
  });

  it('an abort is an interruption (exit 130), not a failure', () => {
    const abort = Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
    const error = toGmailctlError(abort, context);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(exitCodeOf(error)).toBe(ExitCode.interrupted);
  });

  it("Ctrl-C in the middle of a call is the interruption itself, as gaxios wraps it (exit 130; SIGTERM's 143 kept)", () => {
    // timed-fetch rejects with the signal's reason; gaxios wraps any error: new GaxiosError(e.message, opts, undefined, e).
    // A SIGINT during history.list printed "Google's answer could not be used while reading the mailbox history: Interrupted.." (exit 1).
    for (const reason of [new InterruptedError('Interrupted.'), new InterruptedError('Terminated.')]) {
      const wrapped = new GaxiosError(reason.message, { url: new URL('http://127.0.0.1/gmail/v1/users/me/history'), headers: new Headers() }, undefined, reason);
      const error = toGmailctlError(wrapped, { ...context, doing: 'reading the mailbox history' });
      expect(error).toBe(reason);
      expect(exitCodeOf(error)).toBe(ExitCode.interrupted);
    }
  });

  it('our own errors pass through unchanged', () => {
    const ours = new LoginError('Timed out.');
    expect(toGmailctlError(ours, context)).toBe(ours);
  });

  it('never puts a token from the failed request in the message, once redacted as the CLI prints it', () => {
    const accessToken = 'ya29.a0AfB_secretAccessTokenValue';
    const refreshToken = '1//0gSecretRefreshTokenValue-abcdefgh';
    const failure = Object.assign(new Error(`Request failed: Authorization: Bearer ${accessToken}`), {
      config: { headers: { Authorization: `Bearer ${accessToken}` }, data: `refresh_token=${refreshToken}` },
      response: { status: 401, data: { error: { message: `Invalid token ${accessToken}` } }, headers: {} },
    });
    const error = toGmailctlError(failure, context);
    for (const text of [redact(error.message), redact(error.hint ?? '')]) {
      expect(text).not.toContain(accessToken);
      expect(text).not.toContain('secretAccessTokenValue');
      expect(text).not.toContain(refreshToken);
    }
  });

  it('the OAuth error mapping itself quotes no token, even unredacted', () => {
    const refreshToken = '1//0gAnotherSecretRefreshToken-xyz';
    const failure = Object.assign(new Error('invalid_grant'), {
      config: { data: `grant_type=refresh_token&refresh_token=${refreshToken}` },
      response: { status: 400, data: { error: 'invalid_grant', error_description: 'Bad Request' }, headers: {} },
    });
    const error = toGmailctlError(failure, context);
    expect(error.message).not.toContain(refreshToken);
    expect(error.hint ?? '').not.toContain(refreshToken);
  });

  it('never throws, whatever was thrown, and always gives an error with an exit code', () => {
    fc.assert(
      fc.property(fc.anything(), fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }), (data, status) => {
        const error = toGmailctlError({ response: { status, data, headers: {} } }, context);
        expect([ExitCode.failure, ExitCode.authRequired]).toContain(exitCodeOf(error));
        expect(typeof error.message).toBe('string');
      }),
    );
  });
});
