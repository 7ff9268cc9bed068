import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { faults, quotaCeiling, startEmulator, type Emulator } from './index.js';
import { authUrl, gmailGet, login, pkce, postForm } from './test-helpers.js';

let emulator: Emulator;
let token: string;
let refreshToken: string;
beforeAll(async () => {
  emulator = await startEmulator({ messages: 20 });
  const tokens = await login(emulator);
  token = tokens.access_token;
  refreshToken = tokens.refresh_token!;
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.setLatency(0);
  emulator.setQuota(undefined);
});

const MESSAGES = '/gmail/v1/users/me/messages';
const errorBody = async (response: Response): Promise<{ code: number; message: string; errors: Array<Record<string, string>>; status: string }> =>
  ((await response.json()) as { error: never }).error;

describe('faults', () => {
  it('rateLimited: 429 RESOURCE_EXHAUSTED with the retry time in the message and Retry-After', async () => {
    emulator.enqueue(MESSAGES, faults.rateLimited('7'));
    const response = await gmailGet(emulator, 'messages', token);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    const error = await errorBody(response);
    expect(error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] });
    expect(error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    // Consumed: the next call is normal.
    expect((await gmailGet(emulator, 'messages', token)).status).toBe(200);
  });

  it.each([
    [faults.userRateLimited(), 403, 'userRateLimitExceeded', 'usageLimits', 'User Rate Limit Exceeded'],
    [faults.rateLimitExceeded403(), 403, 'rateLimitExceeded', 'usageLimits', 'Rate Limit Exceeded'],
    [faults.insufficientPermissions(), 403, 'insufficientPermissions', 'global', 'Insufficient Permission'],
    [faults.serverError(), 503, 'backendError', 'global', 'The service is currently unavailable.'],
    [faults.serverError(500), 500, 'backendError', 'global', 'Internal error encountered.'],
  ])('%o answers %i %s', async (fault, status, reason, domain, message) => {
    emulator.enqueue({ method: 'GET', path: /\/profile$/ }, fault);
    const response = await gmailGet(emulator, 'profile', token);
    expect(response.status).toBe(status);
    const error = await errorBody(response);
    expect(error.errors[0]).toEqual({ message, domain, reason });
  });

  it('status faults on /token use the OAuth body', async () => {
    emulator.enqueue('/token', { type: 'status', status: 400, reason: 'invalid_grant', message: 'Token has been expired or revoked.' });
    emulator.enqueue('/token', faults.serverError(500));
    const form = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: emulator.clientId, client_secret: emulator.clientSecret };
    const first = await postForm(emulator, 'token', form);
    expect([first.status, await first.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }]);
    const second = await postForm(emulator, 'token', form);
    expect([second.status, await second.json()]).toEqual([500, { error: 'internal_failure', error_description: 'Backend Error' }]);
    expect((await postForm(emulator, 'token', form)).status).toBe(200);
  });

  it('applies queued faults in order, `times` each, only to matching requests', async () => {
    emulator.enqueue({ method: 'GET', path: MESSAGES }, faults.serverError(502), 2);
    emulator.enqueue(MESSAGES, faults.serverError(504));
    expect((await gmailGet(emulator, 'labels', token)).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await gmailGet(emulator, 'messages', token)).status);
    expect(statuses).toEqual([502, 502, 504, 200]);
  });

  it('malformedJson answers 200 with a body that does not parse', async () => {
    emulator.enqueue(MESSAGES, faults.malformedJson());
    const response = await gmailGet(emulator, 'messages', token);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow();
  });

  it('raw faults send exactly the given body and headers', async () => {
    emulator.enqueue(MESSAGES, { type: 'raw', status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html', headers: { 'x-test': '1' } });
    const response = await gmailGet(emulator, 'messages', token);
    expect([response.status, response.headers.get('content-type'), response.headers.get('x-test'), await response.text()]).toEqual([
      502,
      'text/html',
      '1',
      '<html>Bad Gateway</html>',
    ]);
  });

  it('reset destroys the socket without a response, and is still recorded', async () => {
    emulator.clearRequests();
    emulator.enqueue(MESSAGES, faults.reset());
    await expect(gmailGet(emulator, 'messages', token)).rejects.toThrow();
    expect(emulator.requests).toHaveLength(1);
    expect(emulator.requests[0]!.status).toBeUndefined();
  });

  it('slow delays the answer', async () => {
    emulator.enqueue(MESSAGES, faults.slow(300));
    const started = performance.now();
    expect((await gmailGet(emulator, 'messages', token)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });
});

describe('latency', () => {
  it('delays Gmail responses but not OAuth ones, nor the request log', async () => {
    // A latency far above what a busy machine adds, so that "not delayed" cannot be noise.
    emulator.setLatency(3000);
    emulator.clearRequests();
    const started = performance.now();
    const pending = gmailGet(emulator, 'profile', token);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(emulator.requests).toHaveLength(1);
    const oauthStarted = performance.now();
    await postForm(emulator, 'revoke', { token: 'unknown' });
    expect(performance.now() - oauthStarted).toBeLessThan(3000);
    expect((await pending).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2990);
  });
});

describe('quota', () => {
  async function burst(path: string, count: number): Promise<Response[]> {
    return Promise.all(Array.from({ length: count }, () => gmailGet(emulator, path, token)));
  }
  const firstId = (): string => emulator.mailbox()[0]!.id;

  it('legacy: a burst beyond 250 units (50 gets) is refused with 429 and Retry-After', async () => {
    // Refill slowed a hundredfold (2.5 units/s): at the real rate a burst that takes a loaded
    // machine over 100 ms refills more than the 25 units of slack below, and the test raced.
    emulator.setQuota({ regime: 'legacy', timeScale: 0.01 });
    const responses = await burst(`messages/${firstId()}?format=minimal`, 100);
    const allowed = responses.filter((r) => r.status === 200).length;
    // The bucket refills while the burst is under way, so a few more than 50 may pass.
    expect(allowed).toBeGreaterThanOrEqual(50);
    expect(allowed).toBeLessThan(75);
    const refused = responses.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const error = await errorBody(refused);
    expect(error.status).toBe('RESOURCE_EXHAUSTED');
    expect(error.message).toMatch(/^User-rate limit exceeded\. {2}Retry after /);
  });

  it('2026 with a time scale: 6,000 units (300 gets) per scaled minute, refilled quickly', async () => {
    // The bucket's size at the real rate (5 gets a second refill), so that a loaded machine,
    // slow over the burst, still sees it: 300 gets from the full bucket, then only the refill.
    emulator.setQuota({ regime: '2026' });
    const started = performance.now();
    const statuses = (await burst(`messages/${firstId()}?format=minimal`, 400)).map((r) => r.status);
    const seconds = (performance.now() - started) / 1000;
    const allowed = statuses.filter((s) => s === 200).length;
    expect(allowed).toBeGreaterThanOrEqual(300);
    expect(allowed).toBeLessThanOrEqual(300 + Math.ceil(seconds * 5) + 2);
    // At 10x the bucket refills ten times as fast: emptied again, it serves a get after 60 ms
    // (60 units back; at the real rate only 6, less than a get's 20).
    emulator.setQuota({ regime: '2026', timeScale: 10 });
    await burst(`messages/${firstId()}?format=minimal`, 400);
    // At 10x, 1,000 units a second: one get (20 units) fits again within 20 ms.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await gmailGet(emulator, `messages/${firstId()}`, token)).status).toBe(200);
  });

  it('charges per method: profile and labels cost 1', async () => {
    // Refill slowed a thousandfold (a unit per 10 s): at the real rate (100 units/s) a machine
    // that takes 10 ms per request refills the unit that profile costs, and the test raced.
    emulator.setQuota({ regime: '2026', burstUnits: 25, timeScale: 0.001 });
    const statuses = (await burst('messages', 5)).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect((await gmailGet(emulator, 'messages', token)).status).toBe(429);
    expect((await gmailGet(emulator, 'profile', token)).status).toBe(429);
  });

  it('exposes each regime ceiling', () => {
    expect(quotaCeiling('legacy')).toEqual({ unitsPerSecond: 250, getsPerSecond: 50 });
    expect(quotaCeiling('2026')).toEqual({ unitsPerSecond: 100, getsPerSecond: 5 });
    expect(quotaCeiling('2026', 60)).toEqual({ unitsPerSecond: 6000, getsPerSecond: 300 });
  });
});

describe('control API', () => {
  const control = (path: string, init: RequestInit = {}): Promise<Response> => fetch(new URL(`__emulator/${path}`, emulator.url), init);
  const post = (path: string, body?: unknown): Promise<Response> =>
    control(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('lists and clears the request log, without its own requests', async () => {
    await control('requests', { method: 'DELETE' });
    await gmailGet(emulator, 'labels?x=1&x=2', token);
    const log = (await (await control('requests')).json()) as Array<Record<string, unknown>>;
    expect(log).toEqual([expect.objectContaining({ method: 'GET', path: '/gmail/v1/users/me/labels', query: 'x=1&x=2', status: 200, body: '' })]);
    await control('requests', { method: 'DELETE' });
    expect(await (await control('requests')).json()).toEqual([]);
  });

  it('queues faults by prefix or regex', async () => {
    expect((await post('faults', { match: { method: 'GET', path: { regex: 'labels$' } }, fault: { type: 'status', status: 503 }, times: 2 })).status).toBe(200);
    expect((await post('faults', { match: '/gmail/v1/users/me/profile', fault: { type: 'status', status: 500 } })).status).toBe(200);
    expect((await gmailGet(emulator, 'labels', token)).status).toBe(503);
    expect((await gmailGet(emulator, 'labels', token)).status).toBe(503);
    expect((await gmailGet(emulator, 'labels', token)).status).toBe(200);
    expect((await gmailGet(emulator, 'profile', token)).status).toBe(500);
  });

  it('drops unfired faults', async () => {
    await post('faults', { match: '/gmail/', fault: { type: 'status', status: 500 }, times: 5 });
    expect((await control('faults', { method: 'DELETE' })).status).toBe(200);
    expect((await gmailGet(emulator, 'profile', token)).status).toBe(200);
  });

  it('refuses malformed input with 400', async () => {
    expect((await post('faults', { match: '/x', fault: { type: 'explode' } })).status).toBe(400);
    expect((await post('faults', { match: '/x', fault: { type: 'reset' }, times: 0 })).status).toBe(400);
    expect((await post('settings', { quota: { regime: '1999' } })).status).toBe(400);
    expect((await post('settings', { latencyMs: 'slow' })).status).toBe(400);
    expect((await control('nothing')).status).toBe(404);
  });

  it('changes settings', async () => {
    // Refill slowed a thousandfold: at the real rate a unit comes back every 10 ms, and a loaded machine raced it.
    expect((await post('settings', { quota: { regime: '2026', burstUnits: 1, timeScale: 0.001 } })).status).toBe(200);
    expect((await gmailGet(emulator, 'profile', token)).status).toBe(200);
    expect((await gmailGet(emulator, 'profile', token)).status).toBe(429);
    await post('settings', { quota: null, accessTokenLifetimeSec: 42, omitRefreshToken: true });
    const tokens = await login(emulator);
    expect([tokens.expires_in, tokens.refresh_token]).toEqual([42, undefined]);
    await post('settings', { accessTokenLifetimeSec: 3599, omitRefreshToken: false, autoApprove: false });
    const consent = await fetch(authUrl(emulator, pkce().challenge), { redirect: 'manual' });
    expect([consent.status, consent.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    await post('settings', { autoApprove: true, latencyMs: 0 });
  });

  it('changes the mailbox between runs: labels, new mail, deletions, expired history', async () => {
    const history = async (start: string) => gmailGet(emulator, `history?startHistoryId=${start}`, token);
    const { historyId: start } = (await (await gmailGet(emulator, 'profile', token)).json()) as { historyId: string };
    const [first, second] = emulator.mailbox().map((m) => m.id);
    expect((await post('mailbox/labels', { ids: [first], add: ['STARRED'], remove: ['UNREAD', 'INBOX'] })).status).toBe(200);
    const added = (await (await post('mailbox/messages', { count: 2, labelIds: ['INBOX'] })).json()) as { ids: string[] };
    expect(added.ids).toHaveLength(2);
    expect(emulator.mailbox()[0]!.id).toBe(added.ids[1]);
    expect((await post('mailbox/delete', { ids: [second] })).status).toBe(200);
    const records = ((await (await history(start)).json()) as { history: Array<Record<string, unknown>> }).history;
    expect(records.map((r) => Object.keys(r).find((k) => k !== 'id' && k !== 'messages'))).toContain('messagesDeleted');
    expect((await post('mailbox/expire-history', {})).status).toBe(200);
    expect((await history(start)).status).toBe(404);
    expect((await post('mailbox/labels', { ids: 'x' })).status).toBe(400);
    expect((await post('mailbox/messages', { count: 0 })).status).toBe(400);
    expect((await post('mailbox/delete', { ids: ['no-such-id'] })).status).toBe(400);
  });

  it('revokes all tokens and expires access tokens', async () => {
    const tokens = await login(emulator);
    await post('expire-access-tokens');
    expect((await gmailGet(emulator, 'profile', tokens.access_token)).status).toBe(401);
    const form = { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: emulator.clientId, client_secret: emulator.clientSecret };
    expect((await postForm(emulator, 'token', form)).status).toBe(200);
    await post('revoke-all');
    expect((await postForm(emulator, 'token', form)).status).toBe(400);
  });
});
