/**
 * Google's own client libraries against the emulator: if @googleapis/gmail and
 * google-auth-library parse every answer (and surface errors as GaxiosError with the
 * right status), the emulator speaks Google's wire format closely enough for the CLI.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import { GaxiosError } from 'gaxios';
import { OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchBody, faults, startEmulator, type Emulator } from './index.js';
import { authorize, READONLY, REDIRECT_URI } from './test-helpers.js';

let emulator: Emulator;
let auth: OAuth2Client;
let client: gmail_v1.Gmail;

beforeAll(async () => {
  emulator = await startEmulator({ messages: 1234 });
  const credentials = (emulator.credentials() as { installed: Record<string, string> }).installed;
  auth = new OAuth2Client({
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    redirectUri: REDIRECT_URI,
    endpoints: { oauth2AuthBaseUrl: credentials.auth_uri!, oauth2TokenUrl: credentials.token_uri!, oauth2RevokeUrl: credentials.revoke_uri! },
  });
  const { code, verifier } = await authorize(emulator);
  const { tokens } = await auth.getToken({ code, codeVerifier: verifier });
  auth.setCredentials(tokens);
  client = gmail({ version: 'v1', auth, rootUrl: emulator.url });
});
afterAll(() => emulator.close());

describe('google-auth-library', () => {
  it('builds an authorization URL the emulator accepts', async () => {
    const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
    const url = auth.generateAuthUrl({ scope: [READONLY], code_challenge: codeChallenge, code_challenge_method: 'S256' as never, state: 'x' });
    expect(url.startsWith(emulator.url)).toBe(true);
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(codeVerifier).toBeTruthy();
  });

  it('obtained tokens with the expected fields and refreshes through the emulator', async () => {
    expect(auth.credentials).toMatchObject({ access_token: expect.stringMatching(/^ya29\./), refresh_token: expect.stringMatching(/^1\/\//), scope: READONLY, token_type: 'Bearer' });
    const { credentials } = await auth.refreshAccessToken();
    expect(credentials.access_token).toMatch(/^ya29\./);
    auth.setCredentials({ ...auth.credentials, ...credentials });
  });
});

describe('@googleapis/gmail', () => {
  it('users.getProfile', async () => {
    const { data } = await client.users.getProfile({ userId: 'me' });
    expect(data.emailAddress).toBe('user@example.com');
    expect(data.messagesTotal).toBe(1234);
  });

  it('users.messages.list, paged to the end', async () => {
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const { data } = await client.users.messages.list({ userId: 'me', maxResults: 500, pageToken, includeSpamTrash: true });
      ids.push(...(data.messages ?? []).map((m) => m.id!));
      pageToken = data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(ids).toEqual(emulator.mailbox().map((m) => m.id));
  });

  it('users.messages.list with q and labelIds', async () => {
    const { data } = await client.users.messages.list({ userId: 'me', q: 'label:work-projects OR subject:日本語', labelIds: ['INBOX', 'UNREAD'] });
    expect(data.resultSizeEstimate).toBeGreaterThan(0);
    expect(data.messages![0]).toEqual({ id: expect.any(String), threadId: expect.any(String) });
  });

  it.each(['minimal', 'metadata', 'full', 'raw'])('users.messages.get format=%s', async (format) => {
    const id = emulator.mailbox()[0]!.id;
    const { data } = await client.users.messages.get({ userId: 'me', id, format, metadataHeaders: ['From', 'Subject'] });
    expect(data.id).toBe(id);
    expect(data.internalDate).toMatch(/^\d+$/);
    if (format === 'metadata') expect(data.payload!.headers!.map((h) => h.name)).toEqual(['Subject', 'From']);
    if (format === 'full') expect(data.payload!.parts![0]!.body!.data).toBeTruthy();
    if (format === 'raw') expect(data.raw).toBeTruthy();
  });

  it('users.labels.list', async () => {
    const { data } = await client.users.labels.list({ userId: 'me' });
    expect(data.labels!.map((l) => l.name)).toContain('Work/Projects');
  });

  it.each([
    ['a 404', () => client.users.messages.get({ userId: 'me', id: 'ffffffffffffffff' }), 404, undefined],
    ['an invalid query', () => client.users.messages.list({ userId: 'me', q: '(unbalanced' }), 400, undefined],
    // retry: false, or the generated client would retry the 429 itself (and succeed).
    ['a 429 fault', () => (emulator.enqueue('/gmail/', faults.rateLimited()), client.users.labels.list({ userId: 'me' }, { retry: false })), 429, 'rateLimitExceeded'],
    ['a 403 fault', () => (emulator.enqueue('/gmail/', faults.userRateLimited()), client.users.labels.list({ userId: 'me' }, { retry: false })), 403, 'userRateLimitExceeded'],
    ['a 503 fault', () => (emulator.enqueue('/gmail/', faults.serverError()), client.users.labels.list({ userId: 'me' }, { retry: false })), 503, 'backendError'],
  ])('surfaces %s as a GaxiosError with its status', async (_what, call, status, reason) => {
    const error = await call().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(GaxiosError);
    const gaxios = error as GaxiosError;
    expect(gaxios.status).toBe(status);
    if (reason) expect((gaxios.response?.data as { error: { errors: Array<{ reason: string }> } }).error.errors[0]!.reason).toBe(reason);
  });

  it('surfaces a 401 after revocation, and invalid_grant when refreshing', async () => {
    emulator.revokeAll();
    const error = (await client.users.getProfile({ userId: 'me' }).catch((thrown: unknown) => thrown)) as GaxiosError;
    expect(error).toBeInstanceOf(GaxiosError);
    expect(error.status).toBe(401);
    const refreshError = (await auth.refreshAccessToken().catch((thrown: unknown) => thrown)) as GaxiosError;
    expect(refreshError).toBeInstanceOf(GaxiosError);
    expect(refreshError.response?.data).toEqual({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
  });
});

describe('strict mode: the wire forms Google really sends', () => {
  beforeAll(async () => {
    // A fresh login: the tests above revoked the first one.
    const { code, verifier } = await authorize(emulator);
    const { tokens } = await auth.getToken({ code, codeVerifier: verifier });
    auth.setCredentials(tokens);
  });
  const strictly = async <T>(body: () => Promise<T>): Promise<T> => {
    emulator.setStrict(true, 2);
    try {
      return await body();
    } finally {
      emulator.setStrict(false);
      emulator.setQuota(undefined);
      emulator.setLatency(0);
    }
  };
  const failure = (promise: Promise<unknown>): Promise<GaxiosError> =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (thrown: unknown) => thrown as GaxiosError,
    );

  it('a quota 429 without Retry-After, the time in the message', async () => {
    const error = await strictly(async () => {
      emulator.setQuota({ regime: '2026', burstUnits: 1 });
      return failure(client.users.messages.list({ userId: 'me' }, { retry: false }));
    });
    expect(error).toBeInstanceOf(GaxiosError);
    expect(error.status).toBe(429);
    expect(error.response?.headers.get('retry-after')).toBeNull();
    expect(error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });

  it('"Too many concurrent requests for user." beyond the per-user cap', async () => {
    const outcomes = await strictly(async () => {
      emulator.setLatency(150);
      return Promise.allSettled(Array.from({ length: 4 }, () => client.users.labels.list({ userId: 'me' }, { retry: false })));
    });
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as GaxiosError] : []));
    expect(refused).toHaveLength(2);
    expect(refused[0]!.status).toBe(429);
    expect(refused[0]!.message).toBe('Too many concurrent requests for user.');
  });

  it("Google's HTML page for a 502 reaches the caller as text", async () => {
    const error = await strictly(() => {
      emulator.enqueue('/gmail/', faults.serverError(502));
      return failure(client.users.labels.list({ userId: 'me' }, { retry: false }));
    });
    expect(error.status).toBe(502);
    expect(typeof error.response?.data).toBe('string');
    expect(error.response?.data as string).toContain('<title>Error 502 (Server Error)!!1</title>');
  });

  it('an oversize batch, sent through the OAuth2Client, answers "Inner request count exceeds the limit"', async () => {
    const error = await strictly(() =>
      failure(
        auth.request({
          url: new URL('batch/gmail/v1', emulator.url).href,
          method: 'POST',
          headers: { 'Content-Type': 'multipart/mixed; boundary=batch_emulator_test' },
          data: buildBatchBody(Array.from({ length: 101 }, (_, index) => ({ path: '/gmail/v1/users/me/labels', contentId: String(index) }))),
          retry: false,
        }),
      ),
    );
    expect(error.status).toBe(400);
    expect(error.message).toBe('Inner request count exceeds the limit. Received: 101, Limit: 100');
  });
});
