import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseBatchRequest } from './batch.js';
import { BATCH_PATH, buildBatchBody, faults, parseBatchResponse, startEmulator, type BatchRequestPart, type BatchResponsePart, type Emulator } from './index.js';
import { gmailGet, login } from './test-helpers.js';

let emulator: Emulator;
let token: string;
beforeAll(async () => {
  emulator = await startEmulator({ messages: 120 });
  token = (await login(emulator)).access_token;
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.setLatency(0);
  emulator.setQuota(undefined);
  emulator.clearFaults();
  emulator.clearRequests();
});

const ME = '/gmail/v1/users/me';
const ids = (): string[] => emulator.mailbox().map((message) => message.id);

function postBatch(body: string, options: { contentType?: string; token?: string | undefined } = {}): Promise<Response> {
  const bearer = 'token' in options ? options.token : token;
  return fetch(new URL('batch/gmail/v1', emulator.url), {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'multipart/mixed; boundary=batch_emulator_test',
      ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body,
  });
}

async function batch(parts: BatchRequestPart[], options: { token?: string | undefined } = {}): Promise<BatchResponsePart[]> {
  const response = await postBatch(buildBatchBody(parts), options);
  expect(response.status).toBe(200);
  const contentType = response.headers.get('content-type');
  expect(contentType).toMatch(/^multipart\/mixed; boundary=batch_[\w-]+$/);
  return parseBatchResponse(contentType, await response.text());
}

describe('POST /batch/gmail/v1', () => {
  it('answers each get exactly as the standalone GET, in order, with response- Content-IDs', async () => {
    const [a, b, c] = ids();
    const paths = [
      `messages/${a}?format=metadata&metadataHeaders=From&metadataHeaders=To`,
      `messages/${b}?format=minimal`,
      `messages/${c}?format=full`,
      'labels',
    ];
    const parts = await batch(paths.map((path, i) => ({ path: `${ME}/${path}`, contentId: `item${i + 1}` })));
    expect(parts.map((part) => [part.contentId, part.status, part.headers['content-type']])).toEqual(
      paths.map((_, i) => [`response-item${i + 1}`, 200, 'application/json; charset=UTF-8']),
    );
    for (const [i, path] of paths.entries()) {
      const alone = await gmailGet(emulator, path, token);
      expect(parts[i]!.body).toBe(await alone.text());
    }
  });

  it('accepts a quoted boundary, LF line ends and parts without Content-ID', async () => {
    const body = buildBatchBody([{ path: `${ME}/profile` }, { path: `${ME}/labels` }], 'b-1').replaceAll('\r\n', '\n');
    const response = await postBatch(`preamble\n${body}`, { contentType: 'multipart/mixed; boundary="b-1"' });
    expect(response.status).toBe(200);
    const parts = parseBatchResponse(response.headers.get('content-type'), await response.text());
    expect(parts.map((part) => [part.contentId, part.status])).toEqual([
      [undefined, 200],
      [undefined, 200],
    ]);
    expect(JSON.parse(parts[0]!.body)).toMatchObject({ emailAddress: 'user@example.com' });
  });

  it('writes CRLF and the embedded status line with its reason phrase', async () => {
    const response = await postBatch(buildBatchBody([{ path: `${ME}/messages/nope`, contentId: 'x' }]));
    const boundary = /boundary=(\S+)/.exec(response.headers.get('content-type')!)![1]!;
    const text = await response.text();
    expect(text).toMatch(
      new RegExp(`^--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-x>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n\\{.*\\}\r\n--${boundary}--\r\n$`),
    );
  });

  it('a part with its own Authorization uses it; the outer one applies to the rest', async () => {
    const other = (await login(emulator)).access_token;
    const parts = await batch(
      [
        { path: `${ME}/profile`, headers: { Authorization: `Bearer ${other}` } },
        { path: `${ME}/profile`, headers: { Authorization: 'Bearer not-a-token' } },
        { path: `${ME}/profile` },
      ],
      { token: undefined },
    );
    expect(parts.map((part) => part.status)).toEqual([200, 401, 401]);
    const withOuter = await batch([{ path: `${ME}/profile`, headers: { Authorization: 'Bearer not-a-token' } }, { path: `${ME}/profile` }]);
    expect(withOuter.map((part) => part.status)).toEqual([401, 200]);
  });

  it('an unknown id is a 404 part and the others are fine', async () => {
    const [a, b] = ids();
    const parts = await batch([{ path: `${ME}/messages/${a}` }, { path: `${ME}/messages/0000000000000000` }, { path: `${ME}/messages/${b}` }]);
    expect(parts.map((part) => part.status)).toEqual([200, 404, 200]);
    expect(JSON.parse(parts[1]!.body)).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it('a bad token is a 401 part, an insufficient scope a 403 part, exactly as when sent alone', async () => {
    const openidOnly = (await login(emulator, { scope: 'openid email' })).access_token;
    const [a] = ids();
    const parts = await batch([
      { path: `${ME}/messages/${a}`, headers: { authorization: 'Bearer expired-or-forged' } },
      { path: `${ME}/messages/${a}`, headers: { authorization: `Bearer ${openidOnly}` } },
    ]);
    const badToken = await gmailGet(emulator, `messages/${a}`, 'expired-or-forged');
    const noScope = await gmailGet(emulator, `messages/${a}`, openidOnly);
    expect(parts.map((part) => part.status)).toEqual([401, 403]);
    expect(parts[0]!.body).toBe(await badToken.text());
    expect(parts[0]!.headers['www-authenticate']).toBe(badToken.headers.get('www-authenticate'));
    expect(parts[1]!.body).toBe(await noScope.text());
  });

  it('refuses 101 parts with 400 and runs none of them', async () => {
    const response = await postBatch(buildBatchBody(Array.from({ length: 101 }, () => ({ path: `${ME}/profile` }))));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 400,
        message: 'Too many requests in batch; the limit is 100',
        errors: [{ message: 'Too many requests in batch; the limit is 100', domain: 'global', reason: 'invalidArgument' }],
        status: 'INVALID_ARGUMENT',
      },
    });
    expect(emulator.requests.map((request) => request.path)).toEqual([BATCH_PATH]);
    expect((await postBatch(buildBatchBody(Array.from({ length: 100 }, () => ({ path: `${ME}/labels` }))))).status).toBe(200);
  });

  it.each([
    ['no boundary', 'multipart/mixed', buildBatchBody([{ path: `${ME}/profile` }])],
    ['not multipart', 'application/json', '{}'],
    ['no close delimiter', undefined, '--batch_emulator_test\r\nContent-Type: application/http\r\n\r\nGET /gmail/v1/users/me/profile\r\n'],
    ['no parts', undefined, 'hello'],
    ['a part that is not application/http', undefined, buildBatchBody([{ path: `${ME}/profile` }]).replace('application/http', 'text/plain')],
    ['a part without a request line', undefined, '--batch_emulator_test\r\nContent-Type: application/http\r\n\r\nnonsense here\r\n--batch_emulator_test--\r\n'],
  ])('answers 400 INVALID_ARGUMENT for %s', async (_, contentType, body) => {
    const response = await postBatch(body, contentType === undefined ? {} : { contentType });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', errors: [{ reason: 'invalidArgument' }] } });
  });

  it('answers 405 to anything but POST', async () => {
    const response = await fetch(new URL('batch/gmail/v1', emulator.url), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(405);
  });

  it('records the outer POST, then every inner request as a standalone one with batch: true', async () => {
    const [a, b] = ids();
    await batch([
      { path: `${ME}/messages/${a}?format=metadata&metadataHeaders=From&metadataHeaders=To` },
      { path: `${ME}/messages/${b}?format=minimal`, headers: { Authorization: 'Bearer nope' } },
    ]);
    const [outer, ...inner] = emulator.requests;
    expect(outer).toMatchObject({ method: 'POST', path: BATCH_PATH, status: 200 });
    expect(outer!.batch).toBeUndefined();
    expect(inner.map((request) => [request.method, request.path, request.status, request.batch, request.headers.authorization])).toEqual([
      ['GET', `${ME}/messages/${a}`, 200, true, `Bearer ${token}`],
      ['GET', `${ME}/messages/${b}`, 401, true, 'Bearer nope'],
    ]);
    expect(inner[0]!.query.get('format')).toBe('metadata');
    expect(inner[0]!.query.getAll('metadataHeaders')).toEqual(['From', 'To']);
    expect(inner[1]!.query.get('format')).toBe('minimal');
  });

  it('charges the quota per part: 60 gets on a full legacy bucket give 50 × 200 and 10 × 429 with Retry-After', async () => {
    // Refill slowed a thousandfold: at the real rate (a get's 5 units every 20 ms) a loaded
    // machine that took longer over the 60 parts saw more of them through.
    emulator.setQuota({ regime: 'legacy', timeScale: 0.001 });
    const parts = await batch(ids().slice(0, 60).map((id) => ({ path: `${ME}/messages/${id}?format=minimal` })));
    expect(parts.slice(0, 50).every((part) => part.status === 200)).toBe(true);
    const limited = parts.slice(50);
    expect(limited).toHaveLength(10);
    for (const part of limited) {
      expect(part.status).toBe(429);
      expect(part.headers['retry-after']).toMatch(/^\d+$/);
      expect(JSON.parse(part.body)).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }] } });
    }
  });

  it('a status fault on an inner path answers that part only', async () => {
    const [a, b, c] = ids();
    emulator.enqueue(`${ME}/messages/${b}`, faults.rateLimited('3'));
    emulator.enqueue(`${ME}/messages/${c}`, { type: 'raw', status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' });
    const parts = await batch([a, b, c, b].map((id) => ({ path: `${ME}/messages/${id}` })));
    expect(parts.map((part) => part.status)).toEqual([200, 429, 502, 200]);
    expect(parts[1]!.headers['retry-after']).toBe('3');
    expect(parts[2]).toMatchObject({ body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } });
    expect(emulator.requests.slice(1).map((request) => request.status)).toEqual([200, 429, 502, 200]);
  });

  it('a fault on the batch path applies to the whole batch', async () => {
    emulator.enqueue(BATCH_PATH, faults.serverError(503));
    const response = await postBatch(buildBatchBody([{ path: `${ME}/profile` }]));
    expect(response.status).toBe(503);
    expect(emulator.requests.map((request) => request.path)).toEqual([BATCH_PATH]);
  });

  it('a reset fault on an inner path drops the whole connection', async () => {
    const [a, b, c] = ids();
    emulator.enqueue(`${ME}/messages/${b}`, faults.reset());
    await expect(postBatch(buildBatchBody([a, b, c].map((id) => ({ path: `${ME}/messages/${id}` }))))).rejects.toThrow();
    // The batch stops at the reset: the part after it is never run, and nothing was answered.
    expect(emulator.requests.map((request) => [request.path, request.status])).toEqual([
      [BATCH_PATH, undefined],
      [`${ME}/messages/${a}`, undefined],
      [`${ME}/messages/${b}`, undefined],
    ]);
  });

  it('a delay fault on an inner path delays the whole answer', async () => {
    const [a, b] = ids();
    emulator.enqueue(`${ME}/messages/${b}`, faults.slow(300));
    const started = performance.now();
    const parts = await batch([a, b].map((id) => ({ path: `${ME}/messages/${id}` })));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(parts.map((part) => part.status)).toEqual([200, 200]);
  });

  it('applies latency once per batch, not per part', async () => {
    // Once: 400 ms; per part it would be 20 × 400 = 8 s, far above what a busy machine adds.
    emulator.setLatency(400);
    const started = performance.now();
    const parts = await batch(ids().slice(0, 20).map((id) => ({ path: `${ME}/messages/${id}?format=minimal` })));
    const elapsed = performance.now() - started;
    expect(parts).toHaveLength(20);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(4000);
  });

  it('only routes Gmail calls: another path inside a batch is a 404 part', async () => {
    const parts = await batch([{ method: 'POST', path: '/token' }]);
    expect(parts.map((part) => part.status)).toEqual([404]);
  });
});

describe('parseBatchRequest', () => {
  it('reads Content-ID, method, target, headers (lower-cased, folded) and body', () => {
    const body = [
      '--xyz',
      'Content-Type: application/http',
      'Content-ID: <a+1>',
      '',
      'POST https://gmail.googleapis.com/gmail/v1/users/me/messages/1?x=1 HTTP/1.1',
      'X-Thing: one',
      '  two',
      'Content-Type: application/json',
      '',
      '{"a":1}',
      '--xyz--',
    ].join('\r\n');
    expect(parseBatchRequest('multipart/mixed; boundary=xyz', body)).toEqual({
      ok: true,
      parts: [
        {
          contentId: 'a+1',
          method: 'POST',
          target: 'https://gmail.googleapis.com/gmail/v1/users/me/messages/1?x=1',
          headers: { 'x-thing': 'one two', 'content-type': 'application/json' },
          body: '{"a":1}',
        },
      ],
    });
  });
});
