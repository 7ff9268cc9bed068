/**
 * Strict mode: the emulator as strict as Google where it is otherwise kinder — the three
 * quota regimes, Gmail's per-user cap on calls in flight, batches refused whole, 429s that
 * name the retry time only in their message, Google's HTML pages for 502/503 and its exact
 * answer to an oversize batch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_PATH, buildBatchBody, faults, methodCost, parseBatchResponse, quotaCeiling, startEmulator, type Emulator } from './index.js';
import { QuotaLimiter } from './quota.js';
import { gmailGet, login, postForm } from './test-helpers.js';

let emulator: Emulator;
let token: string;
beforeAll(async () => {
  emulator = await startEmulator({ messages: 120, strict: true });
  token = (await login(emulator)).access_token;
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.setLatency(0);
  emulator.setQuota(undefined);
  emulator.setStrict(true);
  emulator.clearFaults();
  emulator.clearRequests();
});

const ME = '/gmail/v1/users/me';
const ids = (): string[] => emulator.mailbox().map((message) => message.id);
const errorOf = async (response: Response | { body: string }): Promise<{ code: number; message: string; errors?: Array<Record<string, string>>; status: string }> =>
  (JSON.parse(response instanceof Response ? await response.text() : response.body) as { error: never }).error;

function postBatch(paths: string[]): Promise<Response> {
  return fetch(new URL('batch/gmail/v1', emulator.url), {
    method: 'POST',
    headers: { 'content-type': 'multipart/mixed; boundary=batch_emulator_test', authorization: `Bearer ${token}` },
    body: buildBatchBody(paths.map((path, index) => ({ path, contentId: String(index) }))),
  });
}

describe('quota regimes', () => {
  it('per minute: 15,000 units a minute, gets and lists 5, history.list 2', () => {
    expect(quotaCeiling('per-minute')).toEqual({ unitsPerSecond: 250, getsPerSecond: 50 });
    expect([methodCost('per-minute', 'messages.get'), methodCost('per-minute', 'messages.list'), methodCost('per-minute', 'history.list')]).toEqual([5, 5, 2]);
    expect([methodCost('2026', 'messages.get'), methodCost('2026', 'history.list'), methodCost('legacy', 'history.list')]).toEqual([20, 2, 2]);
    let now = 0;
    const quota = new QuotaLimiter({ regime: 'per-minute' }, () => now);
    let allowed = 0;
    while (quota.take('a@example.com', 'messages.get').allowed) allowed++;
    expect(allowed).toBe(3000);
    now += 1000;
    expect(quota.take('a@example.com', 'history.list').allowed).toBe(true);
  });

  it('a batch is charged for all its parts at once, or refused whole', () => {
    const quota = new QuotaLimiter({ regime: 'legacy' }, () => 0);
    expect(quota.takeAll('a@example.com', Array(40).fill('messages.get')).allowed).toBe(true);
    const refused = quota.takeAll('a@example.com', Array(20).fill('messages.get'));
    expect(refused).toEqual({ allowed: false, retryAfterMs: 200 });
    expect(quota.takeAll('a@example.com', Array(10).fill('messages.get')).allowed).toBe(true);
  });
});

describe('rate limits as Google sends them', () => {
  it('a quota 429 has no Retry-After header; the retry time is in the message only', async () => {
    // 5 gets' worth, refilled at one get per 200 ms: a loaded machine cannot hide the refusals.
    emulator.setQuota({ regime: '2026', burstUnits: 100 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => gmailGet(emulator, `messages/${ids()[0]}?format=minimal`, token)));
    const refused = responses.filter((response) => response.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) expect(response.headers.get('retry-after')).toBeNull();
    const error = await errorOf(refused[0]!);
    const retryAt = /Retry after (\S+)$/.exec(error.message)?.[1];
    expect(Date.parse(retryAt!)).toBeGreaterThan(Date.now() - 1000);
    expect(error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }] });
  });

  it('a batch the quota cannot pay for in full is refused whole, with no part run', async () => {
    emulator.setQuota({ regime: '2026', burstUnits: 250 });
    const tooMany = await postBatch(ids().slice(0, 13).map((id) => `${ME}/messages/${id}?format=minimal`));
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers.get('retry-after')).toBeNull();
    expect((await errorOf(tooMany)).message).toMatch(/^User-rate limit exceeded\. {2}Retry after \d{4}-/);
    expect(emulator.requests.map((request) => request.path)).toEqual([BATCH_PATH]);
    // 12 gets (240 units) fit the bucket: every part answered.
    const fits = await postBatch(ids().slice(0, 12).map((id) => `${ME}/messages/${id}?format=minimal`));
    expect(fits.status).toBe(200);
    const parts = parseBatchResponse(fits.headers.get('content-type'), await fits.text());
    expect(parts.map((part) => part.status)).toEqual(Array(12).fill(200));
    expect(parts.map((part) => part.contentId)).toEqual(parts.map((_, index) => `response-${index}`));
  });
});

describe('calls in flight per user', () => {
  it('beyond the cap, a call is answered 429 "Too many concurrent requests for user." at once', async () => {
    emulator.setStrict(true, 3);
    emulator.setLatency(150);
    const responses = await Promise.all(Array.from({ length: 5 }, () => gmailGet(emulator, 'labels', token)));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 429, 429]);
    const error = await errorOf(responses.find((response) => response.status === 429)!);
    expect(error).toMatchObject({
      code: 429,
      message: 'Too many concurrent requests for user.',
      errors: [{ message: 'Too many concurrent requests for user.', domain: 'global', reason: 'rateLimitExceeded' }],
      status: 'RESOURCE_EXHAUSTED',
    });
    // Once answered, the calls are no longer in flight.
    expect((await gmailGet(emulator, 'labels', token)).status).toBe(200);
  });

  it("each batch part counts as a call in flight: the parts over the cap are answered 429", async () => {
    emulator.setStrict(true, 20);
    const response = await postBatch(ids().slice(0, 24).map((id) => `${ME}/messages/${id}?format=minimal`));
    const parts = parseBatchResponse(response.headers.get('content-type'), await response.text());
    expect(parts.map((part) => part.status)).toEqual([...Array(20).fill(200), ...Array(4).fill(429)]);
    expect((await errorOf(parts[23]!)).message).toBe('Too many concurrent requests for user.');
  });
});

describe("Google's other answers", () => {
  it('an oversize batch: 400 "Inner request count exceeds the limit", no errors list', async () => {
    const response = await postBatch(Array.from({ length: 101 }, () => `${ME}/labels`));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { code: 400, message: 'Inner request count exceeds the limit. Received: 101, Limit: 100', status: 'INVALID_ARGUMENT' },
    });
  });

  it.each([
    ['the API', `${ME}/labels`, 502, 'Error 502 (Server Error)!!1'],
    ['the batch endpoint', BATCH_PATH, 503, 'Error 503 (Service Unavailable)!!1'],
    ['the token endpoint', '/token', 503, 'Error 503 (Service Unavailable)!!1'],
    ['the revoke endpoint', '/revoke', 502, 'Error 502 (Server Error)!!1'],
  ])('a 502/503 from %s is Google’s HTML page', async (_where, path, status, title) => {
    emulator.enqueue(path, faults.serverError(status));
    const response =
      path === `${ME}/labels`
        ? await gmailGet(emulator, 'labels', token)
        : path === BATCH_PATH
          ? await postBatch([`${ME}/labels`])
          : await postForm(emulator, path.slice(1), { token: 'x', grant_type: 'refresh_token', refresh_token: 'x' });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain(`<title>${title}</title>`);
    expect(html.length).toBeGreaterThan(1000);
  });

  it('a front-end fault is the same HTML page outside strict mode', async () => {
    emulator.setStrict(false);
    emulator.enqueue(`${ME}/labels`, faults.frontEndError(502));
    const response = await gmailGet(emulator, 'labels', token);
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('<title>Error 502 (Server Error)!!1</title>');
  });

  it('rateLimitedUntil: a 429 whose message names the time, with no header', async () => {
    emulator.setStrict(false);
    emulator.enqueue(`${ME}/labels`, faults.rateLimitedUntil(5000));
    const before = Date.now();
    const response = await gmailGet(emulator, 'labels', token);
    expect(response.headers.get('retry-after')).toBeNull();
    const retryAt = Date.parse(/Retry after (\S+)$/.exec((await errorOf(response)).message)![1]!);
    expect(retryAt - before).toBeGreaterThanOrEqual(4900);
    expect(retryAt - before).toBeLessThan(7000);
  });
});
