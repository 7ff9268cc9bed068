import { describe, expect, it } from 'vitest';
import { batchRequestBody, parseBatchResponse, type PartReply } from '../../src/gmail/batch.js';
import type { GmailClient } from '../../src/gmail/client.js';
import { listMessageSummaries, type ListDeps } from '../../src/gmail/listing.js';

describe('the batch wire format', () => {
  it('asks for each path as an application/http part with its index as Content-ID', () => {
    const body = batchRequestBody('B', ['GET /gmail/v1/users/me/messages/a?format=metadata HTTP/1.1', 'GET /x HTTP/1.1']);
    expect(body).toBe(
      '--B\r\nContent-Type: application/http\r\nContent-ID: <0>\r\n\r\nGET /gmail/v1/users/me/messages/a?format=metadata HTTP/1.1\r\n\r\n' +
        '--B\r\nContent-Type: application/http\r\nContent-ID: <1>\r\n\r\nGET /x HTTP/1.1\r\n\r\n--B--\r\n',
    );
  });

  it('reads each part\'s status, headers and body, in request order whatever the answer order', () => {
    const part = (id: number, status: string, json: string, extra = ''): string =>
      `--batch_xyz\r\nContent-Type: application/http\r\nContent-ID: <response-${id}>\r\n\r\nHTTP/1.1 ${status}\r\nContent-Type: application/json; charset=UTF-8\r\n${extra}\r\n${json}\r\n`;
    const body = `${part(1, '429 Too Many Requests', '{"error":{"code":429}}', 'Retry-After: 2\r\n')}${part(0, '200 OK', '{"id":"a"}')}--batch_xyz--\r\n`;
    const replies = parseBatchResponse('multipart/mixed; boundary=batch_xyz', body);
    expect(replies).toEqual([
      { status: 200, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{"id":"a"}' },
      { status: 429, headers: { 'content-type': 'application/json; charset=UTF-8', 'retry-after': '2' }, body: '{"error":{"code":429}}' },
    ]);
  });

  it('accepts a quoted boundary and LF line ends', () => {
    const body = '--"q"\n'.replace('"q"', 'q') + 'Content-Type: application/http\n\nHTTP/1.1 404 Not Found\n\n{}\n--q--\n';
    expect(parseBatchResponse('multipart/mixed; boundary="q"', body)).toEqual([{ status: 404, headers: {}, body: '{}' }]);
  });

  it('refuses a body without a boundary or with a part that is not an HTTP response', () => {
    expect(() => parseBatchResponse('application/json', '{}')).toThrow(/malformed/);
    expect(() => parseBatchResponse('multipart/mixed; boundary=b', '--b\r\n\r\nnot http\r\n\r\n--b--')).toThrow(/malformed/);
  });
});

/** One page of ids and a batch function answering each id as `answers` says (default 200). */
function fixture(ids: string[], answers: Record<string, number[]> = {}) {
  const log: string[] = [];
  const message = (id: string) => ({ id, threadId: `t-${id}`, labelIds: [], internalDate: '1700000000000', payload: { headers: [] } });
  const gmail = {
    users: {
      messages: {
        list: async ({ maxResults = 100, pageToken }: { maxResults?: number; pageToken?: string }) => {
          const start = Number(pageToken ?? 0);
          const next = start + maxResults < ids.length ? { nextPageToken: String(start + maxResults) } : {};
          return { data: { messages: ids.slice(start, start + maxResults).map((id) => ({ id })), resultSizeEstimate: ids.length, ...next } };
        },
        get: async ({ id }: { id: string }) => {
          log.push(`get:${id}`);
          return { data: message(id) };
        },
      },
    },
  } as unknown as GmailClient;
  const batch = async (paths: string[]): Promise<PartReply[]> => {
    log.push(`batch:${paths.length}`);
    return paths.map((p) => {
      const id = /messages\/([^?]+)/.exec(p)?.[1] as string;
      const status = answers[id]?.shift() ?? 200;
      return { status, headers: {}, body: status === 200 ? JSON.stringify(message(id)) : JSON.stringify({ error: { code: status, message: 'nope', errors: [{ reason: status === 429 ? 'rateLimitExceeded' : 'backendError' }] } }) };
    });
  };
  const deps: ListDeps = { gmail, call: (_doing, request) => request(), signal: new AbortController().signal, batch };
  return { deps, log };
}

async function listed(deps: ListDeps): Promise<string[]> {
  const out: string[] = [];
  for await (const page of listMessageSummaries(deps, { labelIds: [], includeSpamTrash: false })) out.push(...page.messages.map((m) => m.id));
  return out;
}

describe('metadata in batches', () => {
  const ids = Array.from({ length: 100 }, (_, i) => `m${String(i).padStart(3, '0')}`);

  it('fetches a page of 100 in two batches of 50 and no single calls', async () => {
    const { deps, log } = fixture(ids);
    expect(await listed(deps)).toEqual(ids);
    expect(log).toEqual(['batch:50', 'batch:50']);
  });

  it('leaves out a message that is gone (404), and retries a 5xx part as a single call', async () => {
    const { deps, log } = fixture(ids, { m003: [404], m007: [503] });
    expect(await listed(deps)).toEqual(ids.filter((id) => id !== 'm003'));
    expect(log.filter((entry) => entry.startsWith('get:'))).toEqual(['get:m007']);
  });

  it('fetches a rate-limited part again, alone, and goes on batching: the quota pacer under every request slows it down', async () => {
    const more = Array.from({ length: 300 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    const { deps, log } = fixture(more, { n010: [429] });
    expect(await listed(deps)).toEqual(more);
    expect(log.filter((entry) => entry.startsWith('batch:'))).toEqual(Array(6).fill('batch:50'));
    expect(log.filter((entry) => entry.startsWith('get:'))).toEqual(['get:n010']);
  });

  it('sizes each batch as the quota pacer says, in order, each message once', async () => {
    const { deps, log } = fixture(ids);
    const sizes = [3, 20, 1, 40, 50];
    deps.pacer = { reserve: async (_units, wanted) => Math.min(wanted, sizes.shift() ?? 50) };
    expect(await listed(deps)).toEqual(ids);
    expect(log).toEqual(['batch:3', 'batch:20', 'batch:1', 'batch:40', 'batch:36']);
  });

  it('fails on a part Google refuses for good (403 insufficientPermissions), naming the scope', async () => {
    const { deps } = fixture(ids);
    deps.batch = async (paths) =>
      paths.map(() => ({ status: 403, headers: {}, body: JSON.stringify({ error: { code: 403, message: 'Request had insufficient authentication scopes.', errors: [{ reason: 'insufficientPermissions' }] } }) }));
    await expect(listed(deps)).rejects.toThrow(/gmail\.readonly/);
  });
});
