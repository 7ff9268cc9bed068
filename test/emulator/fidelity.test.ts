/**
 * Google's own client libraries against the emulator: if @googleapis/gmail and
 * google-auth-library parse every answer (and surface errors as GaxiosError with the
 * right status), the emulator speaks Google's wire format closely enough for the CLI.
 */
import { gmail, type gmail_v1 } from '@googleapis/gmail';
import { GaxiosError } from 'gaxios';
import { OAuth2Client } from 'google-auth-library';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardCase, HARD_CASES, LARGE_BODY_END, SHIFT_JIS_TEXT, type HardCaseName } from './hard-cases.js';
import { buildBatchBody, faults, startEmulator, type Emulator } from './index.js';
import type { MimeLeaf, MimeNode } from './mime.js';
import { authorize, oauthClientOptions, READONLY } from './test-helpers.js';

let emulator: Emulator;
let auth: OAuth2Client;
let client: gmail_v1.Gmail;

beforeAll(async () => {
  emulator = await startEmulator({ messages: 1234 });
  auth = new OAuth2Client(oauthClientOptions(emulator));
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

  describe('users.history.list', () => {
    it('answers historyId on messages.get and getProfile, as Google does, and not on messages.list', async () => {
      const { data: profile } = await client.users.getProfile({ userId: 'me' });
      expect(profile.historyId).toMatch(/^\d+$/);
      const { data: list } = await client.users.messages.list({ userId: 'me', maxResults: 2 });
      expect(list).not.toHaveProperty('historyId');
      expect(list.messages![0]).not.toHaveProperty('historyId');
      const { data: message } = await client.users.messages.get({ userId: 'me', id: list.messages![0]!.id!, format: 'metadata' });
      expect(BigInt(message.historyId!)).toBeLessThanOrEqual(BigInt(profile.historyId!));
    });

    it('servedAfterMs: history reports a new message at once, get answers 404 and list leaves it out until then (gog#379)', async () => {
      const { data: start } = await client.users.getProfile({ userId: 'me' });
      const [late] = emulator.addMessages(1, { servedAfterMs: 400 });
      const { data: history } = await client.users.history.list({ userId: 'me', startHistoryId: start.historyId!, historyTypes: ['messageAdded'] });
      expect(history.history!.map((record) => record.messagesAdded![0]!.message!.id)).toEqual([late!.id]);
      await expect(client.users.messages.get({ userId: 'me', id: late!.id, format: 'metadata' })).rejects.toMatchObject({ status: 404 });
      const { data: before } = await client.users.messages.list({ userId: 'me', maxResults: 1 });
      expect(before.messages![0]!.id).not.toBe(late!.id);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await client.users.messages.get({ userId: 'me', id: late!.id, format: 'metadata' })).data.id).toBe(late!.id);
      const { data: after } = await client.users.messages.list({ userId: 'me', maxResults: 1 });
      expect(after.messages![0]!.id).toBe(late!.id);
    });

    it('reports the four kinds of change in order, filters by historyTypes, pages, and moves the message historyId', async () => {
      const { data: start } = await client.users.getProfile({ userId: 'me' });
      const [first, second] = emulator.mailbox().filter((m) => m.labelIds.includes('INBOX')).map((m) => m.id);
      emulator.changeLabels([first!], { add: ['STARRED'], remove: ['INBOX'] });
      const [added] = emulator.addMessages(1);
      emulator.deleteMessages([second!]);

      const { data: all } = await client.users.history.list({ userId: 'me', startHistoryId: start.historyId! });
      expect(all.history!.map((record) => Object.keys(record).filter((key) => key !== 'id' && key !== 'messages'))).toEqual([
        ['labelsAdded'],
        ['labelsRemoved'],
        ['messagesAdded'],
        ['messagesDeleted'],
      ]);
      const ids = all.history!.map((record) => BigInt(record.id!));
      expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
      expect(all.history![0]!.labelsAdded![0]).toMatchObject({ message: { id: first, threadId: expect.any(String) }, labelIds: ['STARRED'] });
      expect(all.history![1]!.labelsRemoved![0]!.labelIds).toEqual(['INBOX']);
      expect(all.history![2]!.messagesAdded![0]!.message).toMatchObject({ id: added!.id, labelIds: ['INBOX', 'UNREAD', 'CATEGORY_PERSONAL'] });
      expect(all.history![3]!.messagesDeleted![0]!.message!.id).toBe(second);
      expect(all.historyId).toBe(all.history!.at(-1)!.id);
      expect(all).not.toHaveProperty('nextPageToken');
      const { data: profile } = await client.users.getProfile({ userId: 'me' });
      expect(profile.historyId).toBe(all.historyId);
      const { data: changed } = await client.users.messages.get({ userId: 'me', id: first!, format: 'minimal' });
      expect(changed.historyId).toBe(all.history![1]!.id);
      expect(changed.labelIds).toContain('STARRED');

      const { data: labels } = await client.users.history.list({ userId: 'me', startHistoryId: start.historyId!, historyTypes: ['labelAdded', 'messageDeleted'] });
      expect(labels.history!.map((record) => record.id)).toEqual([all.history![0]!.id, all.history![3]!.id]);

      const paged: string[] = [];
      let pageToken: string | undefined;
      do {
        const { data } = await client.users.history.list({ userId: 'me', startHistoryId: start.historyId!, maxResults: 3, pageToken });
        paged.push(...(data.history ?? []).map((record) => record.id!));
        pageToken = data.nextPageToken ?? undefined;
      } while (pageToken);
      expect(paged).toEqual(all.history!.map((record) => record.id));

      const { data: none } = await client.users.history.list({ userId: 'me', startHistoryId: all.historyId! });
      expect(none).toEqual({ historyId: all.historyId });
    });

    it('answers 404 for a start Gmail no longer keeps, and 400 for a malformed one', async () => {
      const { data: before } = await client.users.getProfile({ userId: 'me' });
      emulator.changeLabels([emulator.mailbox()[0]!.id], { add: ['Label_2'] });
      emulator.expireHistory();
      const tooOld = (await client.users.history.list({ userId: 'me', startHistoryId: before.historyId! }).catch((thrown: unknown) => thrown)) as GaxiosError;
      expect(tooOld).toBeInstanceOf(GaxiosError);
      expect(tooOld.status).toBe(404);
      const { data: now } = await client.users.getProfile({ userId: 'me' });
      expect((await client.users.history.list({ userId: 'me', startHistoryId: now.historyId! })).status).toBe(200);
      const malformed = (await client.users.history.list({ userId: 'me', startHistoryId: 'abc' }).catch((thrown: unknown) => thrown)) as GaxiosError;
      expect(malformed.status).toBe(400);
      const badType = (await client.users.history.list({ userId: 'me', startHistoryId: now.historyId!, historyTypes: ['labelsAdded'] }).catch((thrown: unknown) => thrown)) as GaxiosError;
      expect(badType.status).toBe(400);
    });
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

/**
 * The hard cases (hard-cases.ts) through Google's client: format=full is a tree whose leaves
 * hold the transfer-decoded bytes (inline or behind an attachmentId), format=raw the message
 * as written; a MIME parser reading the raw message finds the same bytes in every part.
 */
describe('@googleapis/gmail on the hard cases', () => {
  // The tests above end by revoking every login.
  beforeAll(async () => {
    const { code, verifier } = await authorize(emulator);
    const { tokens } = await auth.getToken({ code, codeVerifier: verifier });
    auth.setCredentials(tokens);
  });
  const idOf = (name: HardCaseName): string => emulator.mailbox().find((m) => m.hardCase === name)!.id;

  /** Every leaf of a full payload with its bytes, fetched with attachments.get when Gmail keeps them apart. */
  async function leaves(id: string, part: gmail_v1.Schema$MessagePart): Promise<Array<{ part: gmail_v1.Schema$MessagePart; bytes: Buffer }>> {
    if (part.parts) return (await Promise.all(part.parts.map((child) => leaves(id, child)))).flat();
    if (part.body?.data) return [{ part, bytes: Buffer.from(part.body.data, 'base64url') }];
    if (!part.body?.attachmentId) return [{ part, bytes: Buffer.alloc(0) }]; // an empty part
    const { data } = await client.users.messages.attachments.get({ userId: 'me', messageId: id, id: part.body!.attachmentId! });
    expect(data.size).toBe(part.body!.size);
    return [{ part, bytes: Buffer.from(data.data!, 'base64url') }];
  }

  async function both(name: HardCaseName) {
    const id = idOf(name);
    const full = (await client.users.messages.get({ userId: 'me', id, format: 'full' })).data;
    const raw = Buffer.from((await client.users.messages.get({ userId: 'me', id, format: 'raw' })).data.raw!, 'base64url');
    return { id, full, raw, parsed: await PostalMime.parse(raw), leaves: await leaves(id, full.payload!) };
  }

  const leavesOf = (node: MimeNode): MimeLeaf[] => (node.kind === 'leaf' ? [node] : node.parts.flatMap(leavesOf));
  const header = (part: gmail_v1.Schema$MessagePart, name: string) => part.headers!.find((h) => h.name!.toLowerCase() === name.toLowerCase())?.value;

  it('seeds every hard case in a mailbox of 50 messages, with headers as the list shows them', async () => {
    const seeded = new Set(emulator.mailbox().map((m) => m.hardCase).filter(Boolean));
    expect([...seeded].sort()).toEqual([...HARD_CASES].sort());
    const small = await startEmulator({ messages: 50 });
    try {
      expect(new Set(small.mailbox().map((m) => m.hardCase).filter(Boolean)).size).toBe(HARD_CASES.length);
    } finally {
      await small.close();
    }
  });

  it('multipart/alternative: both parts, Cc and Reply-To', async () => {
    const { full, parsed, leaves: found } = await both('alternative');
    expect(full.payload!.mimeType).toBe('multipart/alternative');
    expect(found.map((l) => l.part.mimeType)).toEqual(['text/plain', 'text/html']);
    expect(header(full.payload!, 'Cc')).toBe(hardCase('alternative').cc);
    expect(header(full.payload!, 'Reply-To')).toBe(hardCase('alternative').replyTo);
    expect(parsed.text).toContain('https://docs.example.com/agenda?id=42&view=full');
    expect(parsed.html).toContain('href="https://docs.example.com/agenda?id=42&amp;view=full"');
    expect(parsed.cc!.map((a) => a.address)).toEqual(['john.doe@example.org', 'team@lists.example.org']);
  });

  it('HTML only: the payload itself is the text/html leaf', async () => {
    const { full, parsed } = await both('html-only');
    expect(full.payload!.mimeType).toBe('text/html');
    expect(full.payload!.partId).toBe('');
    expect(Buffer.from(full.payload!.body!.data!, 'base64url').toString()).toContain('mute the thread');
    expect(parsed.text).toBeUndefined();
    expect(parsed.html).toContain('https://github.example/repo/issues/7');
  });

  it('nested multipart/mixed: attachments by attachmentId with the same bytes as in the raw message', async () => {
    const { full, parsed, leaves: found } = await both('nested-attachments');
    expect(full.payload!.parts!.map((p) => p.partId)).toEqual(['0', '1', '2', '3', '4']);
    expect(full.payload!.parts![1]!.parts!.map((p) => p.partId)).toEqual(['1.0', '1.1']);
    const files = found.filter((l) => l.part.filename);
    expect(files.map((l) => l.part.filename)).toEqual(['Q3 report.pdf', 'data.csv', 'résumé.txt', '../../evil.sh', 'Q3 report.pdf']);
    expect(files.every((l) => l.part.body!.attachmentId && !l.part.body!.data)).toBe(true);
    expect(parsed.attachments.map((a) => a.filename)).toEqual(files.map((l) => l.part.filename));
    const written = leavesOf(hardCase('nested-attachments').body).filter((leaf) => leaf.filename !== undefined);
    files.forEach((file, index) => expect(file.bytes).toEqual(written[index]!.content));
    // The parser rewrites line ends inside quoted-printable text; base64 parts it gives back exactly.
    parsed.attachments.forEach((attachment, index) => {
      if (written[index]!.encoding === 'base64') expect(Buffer.from(attachment.content as ArrayBuffer)).toEqual(files[index]!.bytes);
    });
    expect(header(full.payload!, 'Bcc')).toBe('archive@example.com');
  });

  it('quoted-printable: raw is encoded with soft breaks, full holds the decoded bytes', async () => {
    const { raw, leaves: found, parsed } = await both('quoted-printable');
    expect(raw.toString('latin1')).toMatch(/Content-Transfer-Encoding: quoted-printable/);
    expect(raw.toString('latin1')).toMatch(/=E2=82=AC/);
    expect(raw.toString('latin1')).toMatch(/=\r\n/);
    expect(found[0]!.bytes.toString('utf8')).toContain(hardCase('quoted-printable').links[0]);
    expect(parsed.text).toContain(hardCase('quoted-printable').links[0]);
  });

  it.each([
    ['latin1', 'ISO-8859-1', 'Grüße aus Köln! Café, crème brûlée, 25 °C, ½ Preis.'],
    ['shift-jis', 'Shift_JIS', SHIFT_JIS_TEXT],
  ] as const)('%s: full keeps the bytes in their charset, raw says which', async (name, charset, text) => {
    const { leaves: found, parsed } = await both(name);
    expect(header(found[0]!.part, 'Content-Type')).toContain(`charset="${charset}"`);
    expect(found[0]!.bytes.toString('utf8')).not.toContain(text);
    expect(new TextDecoder(charset).decode(found[0]!.bytes)).toContain(text);
    expect(parsed.text).toContain(text);
  });

  it('RFC 2047 subject: decoded in full, encoded words in raw', async () => {
    const { full, raw, parsed } = await both('encoded-subject');
    expect(header(full.payload!, 'Subject')).toBe('Café crème✓ und Grüße');
    expect(raw.toString('latin1')).toContain('Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?= =?UTF-8?B?4pyT?= und =?utf-8?q?Gr=C3=BC=C3=9Fe?=');
    expect(parsed.subject).toBe('Café crème✓ und Grüße');
    expect(parsed.from!.name).toBe('Renée Zoë');
  });

  it('a body over 1 MB is behind an attachmentId in full, and whole in raw', async () => {
    const { full, raw, leaves: found, parsed } = await both('large-body');
    expect(full.payload!.body!.attachmentId).toBeTruthy();
    expect(full.payload!.body!.data).toBeUndefined();
    expect(full.payload!.filename).toBe('');
    expect(found[0]!.bytes.length).toBeGreaterThan(1024 * 1024);
    expect(found[0]!.bytes.toString().trimEnd().endsWith(LARGE_BODY_END)).toBe(true);
    expect(raw.length).toBeGreaterThan(1024 * 1024);
    expect(parsed.text!.trimEnd().endsWith(LARGE_BODY_END)).toBe(true);
  });

  it('an inline image: multipart/related, Content-ID, served by attachments.get', async () => {
    const { full, leaves: found, parsed } = await both('inline-image');
    expect(full.payload!.mimeType).toBe('multipart/related');
    const image = found.find((l) => l.part.mimeType === 'image/png')!;
    expect(header(image.part, 'Content-ID')).toBe('<logo@amazon.example>');
    expect(image.bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(parsed.attachments[0]).toMatchObject({ mimeType: 'image/png', disposition: 'inline', contentId: '<logo@amazon.example>' });
  });

  it('attachments without a name are inlined in body.data, an empty one has neither data nor an attachmentId', async () => {
    const { full, parsed } = await both('small-attachments');
    const sizes = leavesOf(hardCase('small-attachments').body).map((leaf) => leaf.content.length);
    const bodies = full.payload!.parts!.map((p) => [p.partId, p.filename, p.body!.size, p.body!.data !== undefined, p.body!.attachmentId !== undefined]);
    expect(bodies).toEqual([
      ['0', '', sizes[0], true, false],
      ['1', '', sizes[1], true, false],
      ['2', 'receipt.pdf', sizes[2], false, true],
      ['3', 'empty.log', 0, false, false],
      ['4', '', sizes[4], true, false],
      ['5', 'notes.txt', sizes[5], false, true],
    ]);
    expect(parsed.attachments).toHaveLength(5);
  });

  it('answers 400 for an attachment id of another message, 404 for an unknown message', async () => {
    const image = (await both('inline-image')).full.payload!.parts![1]!.body!.attachmentId!;
    const other = idOf('alternative');
    const wrong = await client.users.messages.attachments.get({ userId: 'me', messageId: other, id: image }).catch((e: GaxiosError) => e);
    expect((wrong as GaxiosError).status).toBe(400);
    const missing = await client.users.messages.attachments.get({ userId: 'me', messageId: 'ffffffffffffffff', id: image }).catch((e: GaxiosError) => e);
    expect((missing as GaxiosError).status).toBe(404);
  });
});
