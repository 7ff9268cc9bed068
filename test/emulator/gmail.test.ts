import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { gmailGet, login } from './test-helpers.js';

let emulator: Emulator;
let token: string;
beforeAll(async () => {
  emulator = await startEmulator({ messages: 1234 });
  token = (await login(emulator)).access_token;
});
afterAll(() => emulator.close());

interface ListBody {
  messages?: Array<{ id: string; threadId: string }>;
  nextPageToken?: string;
  resultSizeEstimate: number;
}

async function list(params: string): Promise<ListBody> {
  const response = await gmailGet(emulator, `messages?${params}`, token);
  expect(response.status).toBe(200);
  return (await response.json()) as ListBody;
}

async function listAll(params: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let pageToken: string | undefined;
  do {
    const body = await list(`${params}${pageToken ? `&pageToken=${pageToken}` : ''}`);
    pages++;
    ids.push(...(body.messages ?? []).map((m) => m.id));
    pageToken = body.nextPageToken;
  } while (pageToken);
  return { ids, pages };
}

async function errorOf(response: Response): Promise<{ status: number; error: { code: number; message: string; errors: Array<Record<string, string>>; status: string } }> {
  return { status: response.status, ...((await response.json()) as { error: never }) };
}

describe('authentication', () => {
  it.each([
    ['no token', undefined],
    ['an unknown token', 'ya29.unknown'],
  ])('answers 401 with Google body and WWW-Authenticate for %s', async (_what, bearer) => {
    const response = await gmailGet(emulator, 'profile', bearer);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="https://accounts.google.com/", error="invalid_token"');
    expect(await response.json()).toEqual({
      error: {
        code: 401,
        message:
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
        status: 'UNAUTHENTICATED',
      },
    });
  });

  it('answers 403 insufficientPermissions for a token without a Gmail scope', async () => {
    const openidOnly = (await login(emulator, { scope: 'openid email' })).access_token;
    const response = await gmailGet(emulator, 'messages', openidOnly);
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      code: 403,
      message: 'Request had insufficient authentication scopes.',
      errors: [{ message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' }],
      status: 'PERMISSION_DENIED',
      details: [{ reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', metadata: { method: 'caribou.api.proto.MailboxService.ListMessages' } }],
    });
  });

  it('accepts the account email as userId and refuses another', async () => {
    const own = await fetch(new URL('gmail/v1/users/user%40example.com/profile', emulator.url), { headers: { authorization: `Bearer ${token}` } });
    expect(own.status).toBe(200);
    const other = await fetch(new URL('gmail/v1/users/other@example.com/profile', emulator.url), { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).toBe(403);
  });
});

describe('profile and labels', () => {
  it('GET profile', async () => {
    const response = await gmailGet(emulator, 'profile', token);
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    const profile = (await response.json()) as Record<string, unknown>;
    expect(profile).toEqual({ emailAddress: 'user@example.com', messagesTotal: 1234, threadsTotal: expect.any(Number), historyId: expect.stringMatching(/^\d+$/) });
    expect(profile.threadsTotal).toBeLessThan(1234);
  });

  it('GET labels: system and user labels', async () => {
    const { labels } = (await (await gmailGet(emulator, 'labels', token)).json()) as { labels: Array<Record<string, string>> };
    expect(labels).toContainEqual({ id: 'INBOX', name: 'INBOX', type: 'system' });
    expect(labels).toContainEqual({ id: 'Label_3', name: 'Work/Projects', type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' });
  });
});

describe('messages.list', () => {
  it('pages 1,234 messages in pages of 500: 3 pages, each id once, newest first', async () => {
    const { ids, pages } = await listAll('maxResults=500&includeSpamTrash=true');
    expect(pages).toBe(3);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(ids).toEqual(emulator.mailbox().map((m) => m.id));
  });

  it('defaults to 100 per page, clamps to 500, and excludes spam and trash by default', async () => {
    const first = await list('');
    expect(first.messages).toHaveLength(100);
    expect((await list('maxResults=100000')).messages).toHaveLength(500);
    const visible = emulator.mailbox().filter((m) => !m.labelIds.includes('SPAM') && !m.labelIds.includes('TRASH'));
    expect(first.resultSizeEstimate).toBe(visible.length);
    expect(visible.length).toBeLessThan(1234);
  });

  it('keeps page tokens valid when the same query is repeated, and refuses forged ones', async () => {
    const first = await list('q=is:unread&maxResults=10');
    const a = await list(`q=is:unread&maxResults=10&pageToken=${first.nextPageToken}`);
    const b = await list(`q=is:unread&maxResults=10&pageToken=${first.nextPageToken}`);
    expect(a).toEqual(b);
    for (const bad of ['garbage', first.nextPageToken!.replace(/.$/, (d) => String((Number(d) + 1) % 10))]) {
      const error = await errorOf(await gmailGet(emulator, `messages?q=is:unread&pageToken=${bad}`, token));
      expect(error.status).toBe(400);
      expect(error.error.errors[0]!.reason).toBe('invalidArgument');
    }
    // A token from another query is not valid for this one.
    expect((await gmailGet(emulator, `messages?q=is:starred&pageToken=${first.nextPageToken}`, token)).status).toBe(400);
  });

  it('answers an empty result without a messages key', async () => {
    expect(await list('q=subject:"no such subject anywhere"')).toEqual({ resultSizeEstimate: 0 });
  });

  it('requires every labelIds given', async () => {
    const { ids } = await listAll('labelIds=INBOX&labelIds=UNREAD&maxResults=500');
    const expected = emulator.mailbox().filter((m) => m.labelIds.includes('INBOX') && m.labelIds.includes('UNREAD'));
    expect(ids).toEqual(expected.map((m) => m.id));
  });

  it('includes spam and trash with includeSpamTrash or a query naming them', async () => {
    const spam = emulator.mailbox().filter((m) => m.labelIds.includes('SPAM'));
    expect(spam.length).toBeGreaterThan(0);
    expect((await list('q=in:spam&maxResults=500')).resultSizeEstimate).toBe(spam.length);
    expect((await list('labelIds=SPAM&maxResults=500')).resultSizeEstimate).toBe(spam.length);
    expect((await list('includeSpamTrash=true')).resultSizeEstimate).toBe(1234);
    expect((await list('q=in:anywhere')).resultSizeEstimate).toBe(1234);
  });

  it.each(['maxResults=abc', 'maxResults=0', 'maxResults=-5', 'includeSpamTrash=maybe'])('answers 400 invalidArgument for %s', async (params) => {
    const error = await errorOf(await gmailGet(emulator, `messages?${params}`, token));
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', errors: [{ reason: 'invalidArgument', domain: 'global' }] });
  });

  it.each(['subject:"open', '(a b', 'a b)', 'after:yesterday', 'from:', 'a OR', 'OR a'])('answers 400 Invalid query for %j', async (q) => {
    const error = await errorOf(await gmailGet(emulator, `messages?q=${encodeURIComponent(q)}`, token));
    expect(error.status).toBe(400);
    expect(error.error.message).toBe('Invalid query');
    expect(error.error.errors[0]!.reason).toBe('invalidArgument');
  });
});

describe('messages.get', () => {
  const message = () => emulator.mailbox()[0]!;
  async function get(params: string): Promise<Record<string, any>> {
    const response = await gmailGet(emulator, `messages/${message().id}?${params}`, token);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, any>;
  }

  it('format=minimal', async () => {
    const body = await get('format=minimal');
    expect(Object.keys(body)).toEqual(['id', 'threadId', 'labelIds', 'snippet', 'sizeEstimate', 'historyId', 'internalDate']);
    expect(body.internalDate).toBe(String(message().internalDate));
  });

  it('format=metadata filters headers case-insensitively, in message order', async () => {
    const body = await get('format=metadata&metadataHeaders=subject&metadataHeaders=FROM&metadataHeaders=Date');
    expect(body.payload.headers.map((h: { name: string }) => h.name)).toEqual(['Date', 'Subject', 'From']);
    expect(body.payload).toMatchObject({ partId: '', mimeType: 'multipart/alternative', filename: '' });
    expect(body.payload.parts).toBeUndefined();
  });

  it('format=full (the default) has every header and a base64url text/plain body', async () => {
    const body = await get('');
    const names = body.payload.headers.map((h: { name: string }) => h.name);
    expect(names).toEqual(expect.arrayContaining(['From', 'To', 'Date', 'Message-ID']));
    const plain = body.payload.parts.find((p: { mimeType: string }) => p.mimeType === 'text/plain');
    expect(plain.body.data).toMatch(/^[\w-]+$/);
    expect(Buffer.from(plain.body.data, 'base64url').toString()).toContain(message().snippet.slice(0, 10).replace(/&.*/, ''));
    const date = body.payload.headers.find((h: { name: string }) => h.name === 'Date').value;
    expect(Date.parse(date)).toBe(Math.floor(message().internalDate / 1000) * 1000);
  });

  it('format=raw is a base64url RFC 822 message', async () => {
    const body = await get('format=raw');
    expect(Buffer.from(body.raw, 'base64url').toString()).toMatch(/^MIME-Version: 1\.0\r\nDate: /);
  });

  it('answers 404 notFound for an unknown id and 400 for a bad format', async () => {
    const missing = await errorOf(await gmailGet(emulator, 'messages/0000000000000000', token));
    expect(missing).toEqual({
      status: 404,
      error: {
        code: 404,
        message: 'Requested entity was not found.',
        errors: [{ message: 'Requested entity was not found.', domain: 'global', reason: 'notFound' }],
        status: 'NOT_FOUND',
      },
    });
    expect((await gmailGet(emulator, `messages/${message().id}?format=huge`, token)).status).toBe(400);
  });
});

describe('the wire', () => {
  it('answers unknown paths 404 and wrong methods 405 with Google JSON bodies', async () => {
    const unknown = await errorOf(await gmailGet(emulator, 'drafts/thing/more', token));
    expect(unknown.status).toBe(404);
    expect(unknown.error.status).toBe('NOT_FOUND');
    const wrong = await fetch(new URL('gmail/v1/users/me/messages', emulator.url), { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect((await errorOf(wrong)).error.code).toBe(405);
  });

  it('keeps connections alive and close() ends them', async () => {
    const http = await import('node:http');
    const agent = new http.Agent({ keepAlive: true });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        http
          .get(new URL('gmail/v1/users/me/labels', emulator.url), { agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
            expect(response.headers.connection).toBe('keep-alive');
            ports.add(response.socket.localPort!);
            response.resume().on('end', resolve);
          })
          .on('error', reject);
      });
    }
    expect(ports.size).toBe(1);
    const other = await startEmulator({ messages: 1 });
    const socket = await new Promise<import('node:net').Socket>((resolve) => {
      http.get(other.url, { agent }, (response) => {
        const kept = response.socket;
        response.resume().on('end', () => resolve(kept));
      });
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await other.close();
    await closed;
    agent.destroy();
  });

  it('records every request with its status', async () => {
    emulator.clearRequests();
    await gmailGet(emulator, `messages?q=${encodeURIComponent('subject:x')}`, token);
    expect(emulator.requests).toEqual([
      expect.objectContaining({ method: 'GET', path: '/gmail/v1/users/me/messages', status: 200, body: '', at: expect.any(Number) }),
    ]);
    expect(emulator.requests[0]!.query.get('q')).toBe('subject:x');
    expect(emulator.requests[0]!.headers.authorization).toBe(`Bearer ${token}`);
  });
});
