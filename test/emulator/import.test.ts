/**
 * POST /__emulator/mailbox/import (issue #24, item 7): a script author's own RFC 822 message,
 * served as Gmail serves mail: format=raw byte for byte as posted, format=full/metadata/minimal
 * and attachments.get read from it, found by search, threaded by its References and subject,
 * reported by history. The proof that it is read as Gmail reads mail: every seeded hard case,
 * posted as its raw bytes, is served exactly as the seeded message is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES } from './hard-cases.js';
import { CONVERSATION_SUBJECT, messageIdOf, startEmulator, type Emulator } from './index.js';
import { gmailGet, login } from './test-helpers.js';

let emulator: Emulator;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com', 'bob@example.com'], messages: 200 });
  token = (await login(emulator)).access_token;
});
afterAll(() => emulator?.close());

interface Part {
  partId: string;
  mimeType: string;
  filename: string;
  headers: Array<{ name: string; value: string }>;
  body?: { size: number; data?: string; attachmentId?: string };
  parts?: Part[];
}
interface Message {
  id: string;
  threadId: string;
  labelIds?: string[];
  snippet: string;
  sizeEstimate: number;
  internalDate: string;
  historyId: string;
  raw?: string;
  payload?: Part;
}

async function get<T = Message>(path: string): Promise<T> {
  const response = await gmailGet(emulator, path, token);
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

function post(path: string, body: Buffer | string, contentType = 'message/rfc822'): Promise<Response> {
  return fetch(new URL(`__emulator/${path}`, emulator.url), { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function importRaw(raw: Buffer | string, query = ''): Promise<{ id: string; threadId: string; labelIds: string[]; internalDate: string }> {
  const response = await post(`mailbox/import${query}`, raw);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { id: string; threadId: string; labelIds: string[]; internalDate: string };
}

/** Each part with its attachmentId replaced by the bytes attachments.get gives for it. */
async function resolved(messageId: string, part: Part): Promise<unknown> {
  if (!part.body) return part;
  const { attachmentId, ...body } = part.body;
  const fetched = attachmentId === undefined ? undefined : await get<{ size: number; data: string }>(`messages/${messageId}/attachments/${attachmentId}`);
  return {
    ...part,
    body: fetched ? { ...body, fetched } : body,
    ...(part.parts ? { parts: await Promise.all(part.parts.map((child) => resolved(messageId, child))) } : {}),
  };
}

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');

const PDF = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n%%EOF\n', 'latin1');
/** A message as a script author's mail client writes it: text, HTML and a PDF, a folded header, an 8-bit name. */
const INVOICE = Buffer.concat([
  Buffer.from(
    crlf(`Return-Path: <billing@shop.example>
Message-ID: <invoice-4711@shop.example>
Date: Mon, 30 Nov 2026 10:15:00 +0100
From: =?UTF-8?Q?Caf=C3=A9_Billing?= <billing@shop.example>
To: ada@example.com
Subject: Invoice 4711 for
 November
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==outer=="

This is a multi-part message in MIME format.
--==outer==
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello Ada, your invoice is attached: =E2=82=AC 12.50 for the caf=C3=A9 & =
more.
--inner
Content-Type: text/html; charset=utf-8

<p>Hello Ada, your invoice is attached: &euro; 12.50.</p>
--inner--

--==outer==
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename*=UTF-8''R%C3%A9cu%204711.pdf
Content-Transfer-Encoding: base64

`),
    'utf8',
  ),
  Buffer.from(`${PDF.toString('base64')}\r\n--==outer==--\r\n`, 'latin1'),
]);

describe('POST /__emulator/mailbox/import', () => {
  it('serves the posted bytes as format=raw, and full, metadata, minimal and attachments.get as Gmail reads them', async () => {
    const { id, threadId, labelIds, internalDate } = await importRaw(INVOICE);
    expect(threadId).toBe(id);
    expect(labelIds).toEqual(['INBOX', 'UNREAD', 'CATEGORY_PERSONAL']);
    // No date given: its Date header, as Gmail's messages.import dates mail by default.
    expect(internalDate).toBe(String(Date.parse('2026-11-30T09:15:00Z')));

    const raw = await get(`messages/${id}?format=raw`);
    expect(Buffer.from(raw.raw!, 'base64url').equals(INVOICE)).toBe(true);
    expect(raw.sizeEstimate).toBe(INVOICE.length);

    const full = await get(`messages/${id}?format=full`);
    expect(full.snippet).toBe('Hello Ada, your invoice is attached: € 12.50 for the café &amp; more.');
    expect(full.internalDate).toBe(internalDate);
    const payload = full.payload!;
    expect(payload.mimeType).toBe('multipart/mixed');
    expect(payload.headers.find((h) => h.name === 'Subject')?.value).toBe('Invoice 4711 for November');
    expect(payload.headers.find((h) => h.name === 'From')?.value).toBe('Café Billing <billing@shop.example>');
    expect(payload.parts!.map((p) => [p.partId, p.mimeType, p.filename])).toEqual([
      ['0', 'multipart/alternative', ''],
      ['1', 'application/pdf', 'Récu 4711.pdf'],
    ]);
    const [plain, html] = payload.parts![0]!.parts!;
    expect(plain!.partId).toBe('0.0');
    expect(Buffer.from(plain!.body!.data!, 'base64url').toString('utf8')).toBe('Hello Ada, your invoice is attached: € 12.50 for the café & more.');
    expect(Buffer.from(html!.body!.data!, 'base64url').toString('utf8')).toBe('<p>Hello Ada, your invoice is attached: &euro; 12.50.</p>');
    const pdf = payload.parts![1]!;
    expect(pdf.body!.size).toBe(PDF.length);
    const attachment = await get<{ size: number; data: string }>(`messages/${id}/attachments/${pdf.body!.attachmentId}`);
    expect(Buffer.from(attachment.data, 'base64url').equals(PDF)).toBe(true);

    const metadata = await get(`messages/${id}?format=metadata&metadataHeaders=Subject&metadataHeaders=Message-ID`);
    expect(metadata.payload).toEqual({ partId: '', mimeType: 'multipart/mixed', filename: '', headers: [{ name: 'Message-ID', value: '<invoice-4711@shop.example>' }, { name: 'Subject', value: 'Invoice 4711 for November' }] });
    const minimal = await get(`messages/${id}?format=minimal`);
    expect(minimal).toEqual({ id, threadId, labelIds, snippet: full.snippet, sizeEstimate: INVOICE.length, historyId: full.historyId, internalDate });
  });

  it('is found by search and listed in date order, reported by history, and its thread is served', async () => {
    const before = await get<{ historyId: string }>('profile');
    const { id } = await importRaw(crlf('From: a@b.example\nSubject: zebra crossing notice\nDate: Tue, 01 Dec 2026 08:00:00 +0000\n\nMind the zebra.\n'), '?labelIds=INBOX,Label_2');
    const listed = await get<{ messages: Array<{ id: string }> }>(`messages?q=${encodeURIComponent('subject:zebra label:Travel')}`);
    expect(listed.messages.map((m) => m.id)).toEqual([id]);
    const history = await get<{ history: Array<{ messagesAdded?: Array<{ message: { id: string; labelIds: string[] } }> }> }>(`history?startHistoryId=${before.historyId}`);
    expect(history.history.flatMap((h) => h.messagesAdded ?? []).map((a) => a.message)).toContainEqual(expect.objectContaining({ id, labelIds: ['INBOX', 'Label_2'] }));
    const thread = await get<{ messages: Message[] }>(`threads/${id}?format=full`);
    expect(thread.messages.map((m) => [m.id, m.snippet])).toEqual([[id, 'Mind the zebra.']]);
  });

  it('threads a reply as Gmail does: a message it names (In-Reply-To, References) with the same subject but for Re:', async () => {
    const seeded = emulator.mailbox().find((m) => m.subject === CONVERSATION_SUBJECT)!;
    const reply = (subject: string, references: string) =>
      crlf(`From: ada@example.com\nTo: jane.doe@example.com\nSubject: ${subject}\nIn-Reply-To: ${references.split(' ').at(-1)}\nReferences: ${references}\n\nCount me in.\n`);
    const joined = await importRaw(reply(`RE: Fwd: ${CONVERSATION_SUBJECT}`, messageIdOf(seeded.id)));
    expect(joined.threadId).toBe(seeded.threadId);
    const other = await importRaw(reply('Something else entirely', messageIdOf(seeded.id)));
    expect(other.threadId).toBe(other.id);
    // Imported messages are found by their own Message-ID.
    const first = await importRaw(crlf('Message-ID: <root@script.example>\nSubject: Build 42 failed\nFrom: ci@x.example\n\nRed.\n'));
    const second = await importRaw(reply('Re: Build 42 failed', '<unknown@x.example> <root@script.example>'));
    expect(second.threadId).toBe(first.id);
    const thread = await get<{ messages: Message[] }>(`threads/${first.id}?format=minimal`);
    expect(thread.messages.map((m) => m.id)).toEqual([first.id, second.id]);
    // A threadId given wins; one that does not exist is refused.
    const given = await importRaw(crlf('Subject: unrelated\n\nx\n'), `?threadId=${seeded.threadId}`);
    expect(given.threadId).toBe(seeded.threadId);
    const missing = await post('mailbox/import?threadId=ffffffffffffffff', crlf('Subject: x\n\nx\n'));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'no thread ffffffffffffffff' });
  });

  it('takes Gmail\'s JSON form too ({"raw": base64url, …}), a date, labels, and another account', async () => {
    const raw = Buffer.from(crlf('From: x@y.example\nSubject: json form\nDate: not a date\n\nhi\n'));
    const response = await post('mailbox/import', JSON.stringify({ raw: raw.toString('base64url'), labelIds: ['STARRED'], date: '2026-01-02T03:04:05Z', account: 'bob@example.com' }), 'application/json');
    expect(response.status, await response.clone().text()).toBe(200);
    const { id, labelIds, internalDate } = (await response.json()) as { id: string; labelIds: string[]; internalDate: string };
    expect(labelIds).toEqual(['STARRED']);
    expect(internalDate).toBe(String(Date.UTC(2026, 0, 2, 3, 4, 5)));
    const stored = emulator.mailbox('bob@example.com').find((m) => m.id === id)!;
    expect(stored.imported?.raw.equals(raw)).toBe(true);
    expect(emulator.mailbox('ada@example.com').some((m) => m.id === id)).toBe(false);
  });

  it('answers 400 with a reason for input it cannot use', async () => {
    const cases: Array<[string, Buffer | string, string, RegExp]> = [
      ['mailbox/import', '', 'message/rfc822', /RFC 822/],
      ['mailbox/import', 'just some text without any header', 'text/plain', /header fields/],
      ['mailbox/import?internalDate=yesterday', 'Subject: x\r\n\r\nx', 'message/rfc822', /internalDate/],
      ['mailbox/import?date=someday', 'Subject: x\r\n\r\nx', 'message/rfc822', /date must be/],
      ['mailbox/import', '{"labelIds": ["INBOX"]}', 'application/json', /raw must be/],
      ['mailbox/import', '{"raw": "U3ViamVjdDogeA0KDQp4", "labelIds": "INBOX"}', 'application/json', /labelIds/],
    ];
    for (const [path, body, type, error] of cases) {
      const response = await post(path, body, type);
      expect(response.status, `${path} ${String(body)}`).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(error);
    }
  });
});

describe('imported hard cases are served as the seeded ones', () => {
  // The snippet is left out (a seeded hard case's is written by hand) and so is the size (a
  // seeded one is measured once per case, whatever its References).
  it.each(HARD_CASES)('%s: format=full (attachments fetched), metadata and minimal equal the seeded message\'s', async (name) => {
    const seeded = emulator.mailbox().find((m) => m.hardCase === name)!;
    const raw = Buffer.from((await get(`messages/${seeded.id}?format=raw`)).raw!, 'base64url');
    const { id } = await importRaw(raw, `?labelIds=${seeded.labelIds.join(',')}&internalDate=${seeded.internalDate}`);
    for (const format of ['full', 'metadata', 'minimal']) {
      const [a, b] = await Promise.all([get(`messages/${seeded.id}?format=${format}`), get(`messages/${id}?format=${format}`)]);
      const { id: _a, threadId: _at, historyId: _ah, snippet: _as, sizeEstimate: _az, payload: pa, ...restA } = a;
      const { id: _b, threadId: _bt, historyId: _bh, snippet: _bs, sizeEstimate, payload: pb, ...restB } = b;
      expect(sizeEstimate).toBe(raw.length);
      expect(restB, format).toEqual(restA);
      if (pa) expect(await resolved(id, pb!), format).toEqual(await resolved(seeded.id, pa));
    }
  });
});

describe('settings: the quota in its short form', () => {
  it('"quota": "legacy" (or "per-minute", "2026") is the regime with its defaults; an unknown one is refused', async () => {
    const settings = (body: unknown) => fetch(new URL('__emulator/settings', emulator.url), { method: 'POST', body: JSON.stringify(body) });
    for (const regime of ['legacy', 'per-minute', '2026']) expect((await settings({ quota: regime })).status, regime).toBe(200);
    // 2026: a messages.get costs 20 of 6,000 units a minute: about 300 gets, then 429.
    const id = emulator.mailbox()[0]!.id;
    let served = 0;
    while (served < 400 && (await gmailGet(emulator, `messages/${id}?format=minimal`, token)).status === 200) served += 1;
    // The bucket refills at 100 units a second while the calls are made.
    expect(served).toBeGreaterThanOrEqual(300);
    expect(served).toBeLessThan(400);
    const unknown = await settings({ quota: 'yearly' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/yearly/);
    expect((await settings({ quota: null })).status).toBe(200);
  });
});
