/**
 * Conversations and labels in the emulator: users.threads.list / threads.get and
 * users.labels.list / labels.get, read through Google's own generated client (its types are
 * the discovery document's), batched like messages, and charged by the quota as Google's
 * table says. The seeded mailbox holds real conversations: replies that name the message
 * before them, the account's own replies in the thread with label SENT.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import { GaxiosError } from 'gaxios';
import { OAuth2Client } from 'google-auth-library';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_PATH, buildBatchBody, CONVERSATION_SLOTS, CONVERSATION_SUBJECT, messageIdOf, methodCost, parseBatchResponse, startEmulator, type Emulator, type MailboxMessage } from './index.js';
import { QuotaLimiter } from './quota.js';
import { authorize, oauthClientOptions } from './test-helpers.js';

const ACCOUNT = 'user@example.com';
let emulator: Emulator;
let client: gmail_v1.Gmail;
let accessToken: string;

beforeAll(async () => {
  emulator = await startEmulator({ messages: 400, extraLabels: 33 });
  const auth = new OAuth2Client(oauthClientOptions(emulator));
  const { code, verifier } = await authorize(emulator);
  const { tokens } = await auth.getToken({ code, codeVerifier: verifier });
  auth.setCredentials(tokens);
  accessToken = tokens.access_token!;
  client = gmail({ version: 'v1', auth, rootUrl: emulator.url });
});
afterAll(() => emulator.close());

const header = (message: gmail_v1.Schema$Message, name: string): string | undefined =>
  message.payload?.headers?.find((h) => h.name?.toLowerCase() === name.toLowerCase())?.value ?? undefined;

/** Every thread of the seeded mailbox, by id, oldest message first. */
function threadsOf(messages: readonly MailboxMessage[]): Map<string, MailboxMessage[]> {
  const threads = new Map<string, MailboxMessage[]>();
  for (const message of [...messages].reverse()) threads.set(message.threadId, [...(threads.get(message.threadId) ?? []), message]);
  return threads;
}

describe('seeded conversations', () => {
  it('a six-message conversation per hundred messages: replies name the message before them, the account replies with SENT', () => {
    const conversations = [...threadsOf(emulator.mailbox()).values()].filter((thread) => thread[0]!.subject === CONVERSATION_SUBJECT);
    expect(conversations).toHaveLength(4);
    for (const thread of conversations) {
      expect(thread).toHaveLength(CONVERSATION_SLOTS.length);
      expect(thread.slice(1).every((m) => m.subject === `Re: ${CONVERSATION_SUBJECT}`)).toBe(true);
      const sent = thread.filter((m) => m.from === ACCOUNT);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(sent.every((m) => m.labelIds.includes('SENT') && !m.labelIds.includes('INBOX'))).toBe(true);
      thread.slice(1).forEach((m, index) => {
        expect(m.inReplyTo).toBe(thread[index]!.id);
        expect(m.references).toEqual(thread.slice(0, index + 1).map((earlier) => earlier.id));
      });
    }
  });

  it('random replies elsewhere name their thread too, and some of them are the account’s own (SENT)', () => {
    const replies = emulator.mailbox().filter((m) => m.threadId !== m.id && m.subject !== `Re: ${CONVERSATION_SUBJECT}`);
    expect(replies.length).toBeGreaterThan(20);
    expect(replies.every((m) => m.inReplyTo !== undefined && m.references![0] === m.threadId)).toBe(true);
    expect(replies.some((m) => m.labelIds.includes('SENT'))).toBe(true);
  });

  it('In-Reply-To and References are in the raw message and in format=full, and the Message-ID stays when labels change', async () => {
    const reply = emulator.mailbox().find((m) => m.subject === `Re: ${CONVERSATION_SUBJECT}`)!;
    const { data: full } = await client.users.messages.get({ userId: 'me', id: reply.id, format: 'full' });
    expect(header(full, 'In-Reply-To')).toBe(messageIdOf(reply.inReplyTo!));
    expect(header(full, 'References')).toBe(reply.references!.map(messageIdOf).join(' '));
    const { data: raw } = await client.users.messages.get({ userId: 'me', id: reply.id, format: 'raw' });
    const parsed = await PostalMime.parse(Buffer.from(raw.raw!, 'base64url'));
    expect(parsed.inReplyTo).toBe(messageIdOf(reply.inReplyTo!));
    expect(parsed.messageId).toBe(messageIdOf(reply.id));
    emulator.changeLabels([reply.id], { add: ['STARRED'] });
    const { data: after } = await client.users.messages.get({ userId: 'me', id: reply.id, format: 'metadata', metadataHeaders: ['Message-ID'] });
    expect(header(after, 'Message-ID')).toBe(messageIdOf(reply.id));
    emulator.changeLabels([reply.id], { remove: ['STARRED'] });
  });
});

describe('users.threads.list', () => {
  it('lists each thread once, newest first, with id, snippet and historyId only — paged like messages', async () => {
    const threads: gmail_v1.Schema$Thread[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await client.users.threads.list({ userId: 'me', maxResults: 100, pageToken, includeSpamTrash: true });
      threads.push(...(data.threads ?? []));
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    const expected = threadsOf(emulator.mailbox());
    expect(threads.map((t) => t.id)).toEqual([...new Set(emulator.mailbox().map((m) => m.threadId))]);
    expect(pages).toBe(Math.ceil(expected.size / 100));
    for (const thread of threads) {
      expect(Object.keys(thread)).toEqual(['id', 'snippet', 'historyId']);
      const messages = expected.get(thread.id!)!;
      expect(thread.snippet).toBe(messages.at(-1)!.snippet);
      expect(thread.historyId).toBe(String(Math.max(...messages.map((m) => m.historyId))));
    }
  });

  it('takes q, labelIds and includeSpamTrash as messages.list does: a thread is listed when one of its messages matches', async () => {
    const { data } = await client.users.threads.list({ userId: 'me', q: `subject:"${CONVERSATION_SUBJECT}"`, labelIds: ['SENT'], maxResults: 500 });
    const conversationIds = [...threadsOf(emulator.mailbox()).values()].filter((t) => t[0]!.subject === CONVERSATION_SUBJECT).map((t) => t[0]!.id);
    expect(data.threads!.map((t) => t.id).sort()).toEqual(conversationIds.sort());
    expect(data.resultSizeEstimate).toBe(conversationIds.length);
    const inbox = await client.users.threads.list({ userId: 'me', labelIds: ['INBOX'], maxResults: 500 });
    const withInbox = new Set(emulator.mailbox().filter((m) => m.labelIds.includes('INBOX')).map((m) => m.threadId));
    expect(new Set(inbox.data.threads!.map((t) => t.id))).toEqual(withInbox);
  });

  it('refuses a messages page token, a bad maxResults and a malformed query as messages.list does', async () => {
    const { data } = await client.users.messages.list({ userId: 'me', maxResults: 10 });
    for (const params of [{ pageToken: data.nextPageToken! }, { maxResults: 0 }, { q: 'subject:(' }]) {
      const error = await client.users.threads.list({ userId: 'me', ...params }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GaxiosError);
      expect((error as GaxiosError).status).toBe(400);
    }
  });
});

describe('users.threads.get', () => {
  const conversation = (): MailboxMessage[] => [...threadsOf(emulator.mailbox()).values()].find((t) => t[0]!.subject === CONVERSATION_SUBJECT)!;

  it('format=full (the default): id, historyId and every message oldest first, each as messages.get renders it', async () => {
    const thread = conversation();
    const { data } = await client.users.threads.get({ userId: 'me', id: thread[0]!.id });
    expect(Object.keys(data)).toEqual(['id', 'historyId', 'messages']);
    expect(data.historyId).toBe(String(Math.max(...thread.map((m) => m.historyId))));
    expect(data.messages!.map((m) => m.id)).toEqual(thread.map((m) => m.id));
    for (const message of data.messages!) {
      const { data: alone } = await client.users.messages.get({ userId: 'me', id: message.id!, format: 'full' });
      expect(message).toEqual(alone);
      expect(message.payload!.parts![0]!.body!.data).toBeTruthy(); // bodies inline
    }
  });

  it('format=metadata with metadataHeaders, and format=minimal', async () => {
    const thread = conversation();
    const { data: metadata } = await client.users.threads.get({ userId: 'me', id: thread[0]!.id, format: 'metadata', metadataHeaders: ['From', 'Subject'] });
    expect(metadata.messages!.map((m) => m.payload!.headers!.map((h) => h.name))).toEqual(thread.map(() => ['Subject', 'From']));
    expect(metadata.messages!.map((m) => header(m, 'From'))).toEqual(thread.map((m) => m.from));
    const { data: minimal } = await client.users.threads.get({ userId: 'me', id: thread[0]!.id, format: 'minimal' });
    expect(Object.keys(minimal.messages![0]!)).toEqual(['id', 'threadId', 'labelIds', 'snippet', 'sizeEstimate', 'historyId', 'internalDate']);
  });

  it('answers 404 for an unknown thread and 400 for format=raw', async () => {
    const missing = await client.users.threads.get({ userId: 'me', id: '0000000000000000' }).catch((e: unknown) => e);
    expect((missing as GaxiosError).status).toBe(404);
    const raw = await client.users.threads.get({ userId: 'me', id: conversation()[0]!.id, format: 'raw' }).catch((e: unknown) => e);
    expect((raw as GaxiosError).status).toBe(400);
  });

  it('a new reply or a label change moves the thread’s historyId (what list --threads re-fetches on); a deletion too', async () => {
    const thread = conversation();
    const before = (await client.users.threads.get({ userId: 'me', id: thread[0]!.id, format: 'minimal' })).data.historyId!;
    const [reply] = emulator.addMessages(1, { threadId: thread[0]!.id, labelIds: ['INBOX', 'UNREAD'] });
    expect(reply!.subject).toBe(`Re: ${CONVERSATION_SUBJECT}`);
    expect(reply!.inReplyTo).toBe(thread.at(-1)!.id);
    const afterReply = (await client.users.threads.get({ userId: 'me', id: thread[0]!.id, format: 'minimal' })).data;
    expect(Number(afterReply.historyId)).toBeGreaterThan(Number(before));
    expect(afterReply.messages!.at(-1)!.id).toBe(reply!.id);
    emulator.deleteMessages([reply!.id]);
    const afterDelete = (await client.users.threads.get({ userId: 'me', id: thread[0]!.id, format: 'minimal' })).data;
    expect(Number(afterDelete.historyId)).toBeGreaterThan(Number(afterReply.historyId));
    expect(afterDelete.messages).toHaveLength(thread.length);
  });
});

describe('users.labels', () => {
  it('labels.list: every label (system, the seeded ones and the extra ones) without counts', async () => {
    const { data } = await client.users.labels.list({ userId: 'me' });
    expect(data.labels).toHaveLength(50);
    expect(data.labels!.some((l) => 'messagesTotal' in l)).toBe(false);
    expect(data.labels!.find((l) => l.id === 'Label_4')).toEqual({ id: 'Label_4', name: 'Project 004', type: 'user', messageListVisibility: 'show', labelListVisibility: 'labelShow' });
  });

  it('labels.get: the label with messagesTotal, messagesUnread, threadsTotal and threadsUnread as the mailbox holds them', async () => {
    const messages = emulator.mailbox();
    for (const id of ['INBOX', 'UNREAD', 'SENT', 'Label_1', 'Label_4']) {
      const { data } = await client.users.labels.get({ userId: 'me', id });
      const withLabel = messages.filter((m) => m.labelIds.includes(id));
      const unread = withLabel.filter((m) => m.labelIds.includes('UNREAD'));
      expect(data).toMatchObject({
        id,
        messagesTotal: withLabel.length,
        messagesUnread: unread.length,
        threadsTotal: new Set(withLabel.map((m) => m.threadId)).size,
        threadsUnread: new Set(unread.map((m) => m.threadId)).size,
      });
    }
    const inbox = (await client.users.labels.get({ userId: 'me', id: 'INBOX' })).data;
    expect(inbox.messagesTotal).toBeGreaterThan(100);
    expect(inbox.messagesUnread).toBeGreaterThan(0);
  });

  it('labels.get answers 404 for an unknown label', async () => {
    const error = await client.users.labels.get({ userId: 'me', id: 'Label_999' }).catch((e: unknown) => e);
    expect((error as GaxiosError).status).toBe(404);
  });
});

describe('batches and quota', () => {
  it('labels.get and threads.get are batchable like messages.get; each part is logged', async () => {
    const thread = emulator.mailbox()[0]!.threadId;
    emulator.clearRequests();
    const response = await fetch(new URL(BATCH_PATH.slice(1), emulator.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'multipart/mixed; boundary=batch_emulator_test' },
      body: buildBatchBody([
        { path: '/gmail/v1/users/me/labels/INBOX', contentId: '1' },
        { path: '/gmail/v1/users/me/labels/Label_36', contentId: '2' },
        { path: `/gmail/v1/users/me/threads/${thread}?format=minimal`, contentId: '3' },
      ]),
    });
    const parts = parseBatchResponse(response.headers.get('content-type'), await response.text());
    expect(parts.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(JSON.parse(parts[1]!.body)).toMatchObject({ id: 'Label_36', name: 'Project 036', messagesTotal: 0 });
    expect(JSON.parse(parts[2]!.body)).toMatchObject({ id: thread });
    expect(emulator.requests.filter((r) => r.batch).map((r) => r.path)).toEqual([
      '/gmail/v1/users/me/labels/INBOX',
      '/gmail/v1/users/me/labels/Label_36',
      `/gmail/v1/users/me/threads/${thread}`,
    ]);
  });

  it("charges Google's units: legacy threads.get 10, threads.list 10, labels 1; 2026 threads.get 40", () => {
    expect(['threads.get', 'threads.list', 'labels.get', 'labels.list'].map((m) => methodCost('legacy', m as never))).toEqual([10, 10, 1, 1]);
    expect(['threads.get', 'threads.list', 'labels.get', 'labels.list', 'messages.get'].map((m) => methodCost('2026', m as never))).toEqual([40, 10, 1, 1, 20]);
    const limiter = new QuotaLimiter({ regime: 'legacy' }, () => 0);
    for (let i = 0; i < 25; i++) expect(limiter.take(ACCOUNT, 'threads.get').allowed).toBe(true);
    expect(limiter.take(ACCOUNT, 'threads.get').allowed).toBe(false);
    expect(limiter.take(ACCOUNT, 'labels.get').allowed).toBe(false);
  });

  it('the strict quota refuses a threads.get it cannot pay for', async () => {
    emulator.setStrict(true);
    emulator.setQuota({ regime: '2026', burstUnits: 40 });
    try {
      const id = emulator.mailbox()[0]!.threadId;
      expect((await client.users.threads.get({ userId: 'me', id, format: 'minimal' })).status).toBe(200);
      const refused = await fetch(new URL(`gmail/v1/users/me/threads/${id}`, emulator.url), { headers: { authorization: `Bearer ${accessToken}` } });
      expect(refused.status).toBe(429);
    } finally {
      emulator.setQuota(undefined);
      emulator.setStrict(false);
    }
  });
});
