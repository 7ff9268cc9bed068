/**
 * `gmailctl show` end to end against the emulator's hard cases (test/emulator/hard-cases.ts):
 * every format on every case, the mbox read back by a real MUA parser (Python's mailbox),
 * every link kept in the text, attachments saved safely, ids checked, 404s named.
 */
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES, hardCase, LARGE_BODY_END, SHIFT_JIS_TEXT, type HardCaseName } from '../emulator/hard-cases.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import type { FullPart, MimeLeaf, MimeNode } from '../emulator/mime.js';
import { gmailGet } from '../emulator/test-helpers.js';
import { createSandbox, runInProcess, type Sandbox } from '../helpers/sandbox.js';
import type { ShownMessage } from '../../src/output/whole-messages.js';

let emulator: Emulator;
let s: Sandbox;
let token: string;

const MESSAGES_PATH = '/gmail/v1/users/me/messages/';
const getCalls = () => emulator.requests.filter((r) => r.path.startsWith(MESSAGES_PATH) && !r.path.includes('/attachments/'));
const leavesOf = (node: MimeNode): MimeLeaf[] => (node.kind === 'leaf' ? [node] : node.parts.flatMap(leavesOf));
const partsOf = (part: FullPart): FullPart[] => [part, ...(part.parts ?? []).flatMap(partsOf)];
const idOf = (name: HardCaseName): string => emulator.mailbox().find((m) => m.hardCase === name)!.id;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 60, seed: 11 });
  s = await createSandbox(emulator, { runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
  token = (await s.run(['token'])).stdout.trim();
});
afterAll(async () => {
  await s.cleanup();
  await emulator.close();
});
afterEach(() => {
  emulator.clearRequests();
  emulator.clearFaults();
});

/** What Gmail itself answers as format=raw, decoded: the reference for --format raw. */
async function rawFromApi(id: string): Promise<Buffer> {
  const response = await gmailGet(emulator, `messages/${id}?format=raw`, token);
  return Buffer.from(((await response.json()) as { raw: string }).raw, 'base64url');
}

/** Runs the program in-process and keeps stdout as bytes (raw output must be compared byte for byte). */
async function runBytes(args: string[], input?: string): Promise<{ exitCode: number | undefined; stdout: Buffer; stderr: string }> {
  const result = await runInProcess(args, { env: s.env, ...(input === undefined ? {} : { input }) });
  return { exitCode: result.exitCode, stdout: result.stdoutBytes, stderr: result.stderr };
}

/** Reads an mbox with Python's mailbox module: each message's envelope line, subject, and text parts. */
async function readMbox(file: string): Promise<Array<{ from: string; subject: string; texts: string[]; files: string[] }>> {
  const script = `
import json, mailbox, sys
from email.header import decode_header, make_header
out = []
for message in mailbox.mbox(sys.argv[1]):
    texts, files = [], []
    for part in message.walk():
        if part.get_content_maintype() == 'multipart':
            continue
        if part.get_filename():
            files.append(str(make_header(decode_header(part.get_filename()))))
        elif part.get_content_maintype() == 'text':
            payload = part.get_payload(decode=True)
            try:
                texts.append(payload.decode(part.get_content_charset() or 'utf-8', 'replace'))
            except LookupError:
                texts.append(payload.decode('utf-8', 'replace'))
    out.append({'from': message.get_from(), 'subject': str(make_header(decode_header(message['Subject'] or ''))), 'texts': texts, 'files': files})
print(json.dumps(out))
`;
  const result = await execa('python3', ['-c', script, file]);
  return JSON.parse(result.stdout) as Array<{ from: string; subject: string; texts: string[]; files: string[] }>;
}

describe('text (the default)', () => {
  it.each(HARD_CASES)('%s: headers, the readable body and its every link', async (name) => {
    const result = await s.run(['show', idOf(name)]);
    const found = hardCase(name);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Subject: ${found.subject}`);
    expect(result.stdout).toMatch(/^Date: {4}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m); // ISO in a pipe
    expect(result.stdout).not.toContain('==>'); // one message: no separator
    for (const link of found.links) expect(result.stdout, link).toContain(link);
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
  });

  it('prefers a real text/plain alternative, and the HTML when the plain part is a stub', async () => {
    const real = await s.run(['show', idOf('alternative')]);
    expect(real.stdout).toContain('the agenda is at https://docs.example.com/agenda?id=42&view=full');
    expect(real.stdout).toMatch(/^Cc: {6}"Doe, John" <john\.doe@example\.org>, team@lists\.example\.org$/m);
    const stub = await s.run(['show', idOf('stub-plain')]);
    expect(stub.stdout).not.toContain('cannot display HTML');
    expect(stub.stdout).toContain('Shop the coats <https://shop.example/coats?utm=mail>');
    expect(stub.stdout).not.toMatch(/track\(\)|color: red/); // no script or style text
  });

  it('HTML only: links as `text <url>`, entities decoded', async () => {
    const result = await s.run(['show', idOf('html-only')]);
    expect(result.stdout).toContain('View it on GitHub <https://github.example/repo/issues/7>');
    expect(result.stdout).toContain('mute the thread <https://github.example/notifications/mute?t=abc&x=1>');
    expect(result.stdout).toContain('octo & cat');
  });

  it('decodes quoted-printable, ISO-8859-1, Shift_JIS and RFC 2047 subjects', async () => {
    const result = await s.run(['show', idOf('quoted-printable'), idOf('latin1'), idOf('shift-jis'), idOf('encoded-subject')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(hardCase('quoted-printable').text);
    expect(result.stdout).toContain('À bientôt,');
    expect(result.stdout).toContain('Grüße aus Köln! Café, crème brûlée, 25 °C, ½ Preis.');
    expect(result.stdout).toContain(SHIFT_JIS_TEXT);
    expect(result.stdout).toContain('Subject: Café crème✓ und Grüße');
    expect(result.stdout).toContain('From:    Renée Zoë <renee@example.com>');
  });

  it('never cuts a body: all of a body over 1 MB', async () => {
    const result = await s.run(['show', idOf('large-body')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.length).toBeGreaterThan(1024 * 1024);
    expect(result.stdout.trimEnd().endsWith(LARGE_BODY_END)).toBe(true);
    expect(result.stdout).toContain('Line 16000:');
  });

  it('lists attachments after the body: name, type, size; inline images say so', async () => {
    const nested = await s.run(['show', idOf('nested-attachments')]);
    const tail = nested.stdout.slice(nested.stdout.indexOf('Attachments (5):'));
    expect(tail.split('\n').slice(1, 6)).toEqual([
      '  Q3 report.pdf  application/pdf, 77 B',
      '  data.csv  text/csv, 52 B', // the bytes as sent (CRLF line ends), as saved and as Gmail counts them
      '  résumé.txt  text/plain, 12 B',
      '  ../../evil.sh  application/x-sh, 23 B',
      '  Q3 report.pdf  application/pdf, 77 B',
    ]);
    const inline = await s.run(['show', idOf('inline-image')]);
    expect(inline.stdout).toMatch(/Attachments \(1\):\n {2}logo\.png {2}image\/png, 69 B, inline\n/);
  });

  it('an unknown charset: replacement characters and a warning, exit 0', async () => {
    const result = await s.run(['show', idOf('unknown-charset')]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Status: ok. Temperature: 21 \ufffd\ufffd degrees.');
    expect(result.stderr).toMatch(/warning: .*charset "x-no-such-charset".*cannot decode/);
  });

  it('several messages: each once, in the order given, marked `==> ID <==`', async () => {
    const ids = [idOf('latin1'), idOf('alternative'), idOf('html-only'), idOf('latin1')];
    // The first answer comes last: the output order must not follow the answers.
    emulator.enqueue(`${MESSAGES_PATH}${ids[0]}`, { type: 'delay', ms: 400 });
    const result = await s.run(['show', ...ids]);
    expect(result.exitCode, result.stderr).toBe(0);
    const marks = [...result.stdout.matchAll(/^==> (\w+) <==$/gm)].map((m) => m[1]);
    expect(marks).toEqual(ids.slice(0, 3));
    expect(getCalls()).toHaveLength(3);
    expect(getCalls().every((r) => r.query.get('format') === 'raw')).toBe(true);
  });
});

describe('--format raw and mbox', () => {
  it.each(HARD_CASES)('%s: raw is exactly the bytes of format=raw', async (name) => {
    const result = await runBytes(['show', idOf(name), '--format', 'raw']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.equals(await rawFromApi(idOf(name)))).toBe(true);
  });

  it('several ids with --format raw: an mbox that Python’s mailbox reads back, every case, `From ` lines quoted', async () => {
    const ids = HARD_CASES.map(idOf);
    const result = await runBytes(['show', ...ids, '--format', 'raw']);
    expect(result.exitCode, result.stderr).toBe(0);
    const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-mbox-'));
    const file = path.join(dir, 'box.mbox');
    await writeFile(file, result.stdout);
    const box = await readMbox(file);
    expect(box.map((m) => m.subject)).toEqual(HARD_CASES.map((name) => hardCase(name).subject));
    expect(box[0]!.from).toMatch(/^jane\.doe@example\.com \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    const alternative = box[HARD_CASES.indexOf('alternative')]!;
    expect(alternative.texts[0]).toContain('\n>From now on it lives in the doc.\n');
    expect(alternative.texts[0]).toContain('\n>>From the old notes');
    expect(box[HARD_CASES.indexOf('latin1')]!.texts[0]).toContain('Grüße aus Köln!');
    expect(box[HARD_CASES.indexOf('shift-jis')]!.texts[0]).toContain(SHIFT_JIS_TEXT);
    expect(box[HARD_CASES.indexOf('large-body')]!.texts[0]!.trimEnd().endsWith(LARGE_BODY_END)).toBe(true);
    expect(box[HARD_CASES.indexOf('nested-attachments')]!.files).toEqual(['Q3 report.pdf', 'data.csv', 'résumé.txt', '../../evil.sh', 'Q3 report.pdf']);
  });

  it('--format mbox with one id is still an mbox', async () => {
    const result = await runBytes(['show', idOf('html-only'), '--format', 'mbox']);
    expect(result.stdout.subarray(0, 5).toString()).toBe('From ');
    expect(result.stdout.toString().endsWith('\n\n')).toBe(true);
  });
});

describe('--format json and ndjson', () => {
  it.each(HARD_CASES)('%s: the list fields plus headers, bodies and attachments', async (name) => {
    const [json, ndjson] = await Promise.all([s.run(['show', idOf(name), '--json']), s.run(['show', idOf(name), '--format', 'ndjson'])]);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(ndjson.exitCode, ndjson.stderr).toBe(0);
    const [message] = JSON.parse(json.stdout) as ShownMessage[];
    expect(JSON.parse(ndjson.stdout.trim())).toEqual(message);
    expect(Object.keys(message!)).toEqual([
      'id', 'threadId', 'labelIds', 'date', 'from', 'to', 'subject', 'snippet',
      'cc', 'bcc', 'replyTo', 'messageId', 'text', 'textSource', 'html', 'attachments',
    ]);
    const found = hardCase(name);
    expect(message).toMatchObject({ id: idOf(name), from: expect.stringContaining('@'), subject: found.subject });
    expect(message!.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const link of found.links) expect(message!.text, link).toContain(link);
  });

  it('attachments: filename, type, decoded size, disposition, contentId and partId as Gmail numbers the parts; no attachmentId', async () => {
    for (const name of ['nested-attachments', 'inline-image', 'small-attachments'] as const) {
      const result = await s.run(['show', idOf(name), '--json']);
      expect(result.exitCode, result.stderr).toBe(0);
      const [message] = JSON.parse(result.stdout) as ShownMessage[];
      // Gmail's own tree of the same message (format=full) is the reference for partId and size.
      const full = (await (await gmailGet(emulator, `messages/${idOf(name)}?format=full`, token)).json()) as { payload: FullPart };
      const parts = new Map(partsOf(full.payload).map((part) => [part.partId, part]));
      for (const attachment of message!.attachments) {
        expect(Object.keys(attachment)).toEqual(['filename', 'mimeType', 'size', 'disposition', 'contentId', 'partId']);
        const part = parts.get(attachment.partId);
        expect(part, `${name} ${attachment.partId}`).toBeDefined();
        expect([attachment.filename, attachment.mimeType, attachment.size]).toEqual([part!.filename, part!.mimeType, part!.body.size]);
      }
      expect(message!.attachments).toHaveLength(leavesOf(hardCase(name).body).filter((leaf) => leaf.filename !== undefined || leaf.disposition !== undefined).length);
    }
    const [nested] = JSON.parse((await s.run(['show', idOf('nested-attachments'), '--json'])).stdout) as ShownMessage[];
    expect(nested!.attachments.map((a) => [a.filename, a.mimeType, a.size, a.disposition, a.contentId, a.partId])).toEqual([
      ['Q3 report.pdf', 'application/pdf', 77, 'attachment', '', '1.0'],
      ['data.csv', 'text/csv', 52, 'attachment', '', '1.1'], // the bytes as sent: CRLF line ends
      ['résumé.txt', 'text/plain', 12, 'attachment', '', '2'],
      ['../../evil.sh', 'application/x-sh', 23, 'attachment', '', '3'],
      ['Q3 report.pdf', 'application/pdf', 77, 'attachment', '', '4'],
    ]);
    const [inline] = JSON.parse((await s.run(['show', idOf('inline-image'), '--json'])).stdout) as ShownMessage[];
    expect(inline!.attachments).toEqual([{ filename: 'logo.png', mimeType: 'image/png', size: 69, disposition: 'inline', contentId: 'logo@amazon.example', partId: '1' }]);
  });

  it('cc, bcc, replyTo, messageId, text and html as the message has them', async () => {
    const [alternative] = JSON.parse((await s.run(['show', idOf('alternative'), '--json'])).stdout) as ShownMessage[];
    expect(alternative).toMatchObject({
      cc: '"Doe, John" <john.doe@example.org>, team@lists.example.org',
      replyTo: '"Jane (replies)" <jane.replies@example.com>',
      messageId: expect.stringMatching(/^<.+@mail\.example\.com>$/),
      textSource: 'text/plain',
      html: expect.stringContaining('<a href="https://docs.example.com/agenda?id=42&amp;view=full">'),
    });
    const [nested] = JSON.parse((await s.run(['show', idOf('nested-attachments'), '--json'])).stdout) as ShownMessage[];
    expect(nested!.bcc).toBe('archive@example.com');
    const [htmlOnly] = JSON.parse((await s.run(['show', idOf('html-only'), '--json'])).stdout) as ShownMessage[];
    expect(htmlOnly).toMatchObject({ textSource: 'text/html', text: expect.stringContaining('View it on GitHub <https://github.example/repo/issues/7>') });
  });
});

describe('one request per message', () => {
  const gmailRequests = () => emulator.requests.filter((r) => r.path.startsWith('/gmail/v1/'));
  const withFiles = ['nested-attachments', 'inline-image', 'small-attachments'] as const;

  it.each([['text', ''], ['raw', ''], ['mbox', ''], ['json', ''], ['ndjson', ''], ['json', '--save-attachments'], ['text', '--save-attachments']])(
    '--format %s %s: exactly one messages.get (format=raw) per message, and no other Gmail request',
    async (format, save) => {
      const ids = withFiles.map(idOf);
      const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-one-get-'));
      emulator.clearRequests();
      const result = await runBytes(['show', ...ids, '--format', format, ...(save ? [save, dir] : [])]);
      expect(result.exitCode, result.stderr).toBe(0);
      const requests = gmailRequests();
      expect(requests.map((r) => r.path)).toEqual(ids.map((id) => `${MESSAGES_PATH}${id}`));
      expect(requests.map((r) => r.query.get('format'))).toEqual(ids.map(() => 'raw'));
      if (save) expect(await readdir(dir)).toHaveLength(5 + 1 + 5);
    },
  );
});

describe('ids from stdin, bad input, missing messages', () => {
  it('reads ids from stdin with - (a TSV line gives its first field), and with --stdin', async () => {
    const input = `${idOf('latin1')}\n\n${idOf('html-only')}\t2025-01-01\tsomeone\tsubject\n`;
    for (const args of [['show', '-'], ['show', '--stdin']]) {
      const result = await s.run(args, { input });
      expect(result.exitCode, result.stderr).toBe(0);
      expect([...result.stdout.matchAll(/^==> (\w+) <==$/gm)].map((m) => m[1])).toEqual([idOf('latin1'), idOf('html-only')]);
    }
  });

  it('an empty stdin, no id, or something that is not a Gmail id: exit 2, nothing fetched', async () => {
    emulator.clearRequests();
    const empty = await s.run(['show', '-'], { input: '\n\n' });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/No message ids on stdin/);
    const none = await s.run(['show']);
    expect(none.exitCode).toBe(2);
    const bad = await s.run(['show', idOf('latin1'), 'FMfcgzQXJWDrwpKg', '../etc']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Not a Gmail message id: "FMfcgzQXJWDrwpKg", "\.\.\/etc"/);
    expect(getCalls()).toHaveLength(0);
  });

  it('a message that does not exist: the others are printed, then an error naming it, exit 1', async () => {
    const result = await s.run(['show', idOf('latin1'), 'ffffffffffffffff', idOf('html-only')]);
    expect(result.exitCode).toBe(1);
    expect([...result.stdout.matchAll(/^==> (\w+) <==$/gm)].map((m) => m[1])).toEqual([idOf('latin1'), idOf('html-only')]);
    expect(result.stderr).toMatch(/error: Message not found: ffffffffffffffff\./);
  });
});

describe('--save-attachments', () => {
  // Found trying the packed tarball (issue #24): saving 50 messages' files a second time
  // printed all 250 refused paths in one line of 16 KB.
  it('saved again: the refusal names the first five files and counts the rest', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'gmailctl-att-')), 'files');
    const ids = [idOf('nested-attachments'), idOf('inline-image'), idOf('small-attachments')];
    const first = await s.run(['show', ...ids, '--save-attachments', dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    const saved = (await readdir(dir)).length;
    expect(saved).toBeGreaterThan(7);
    const again = await s.run(['show', ...ids, '--save-attachments', dir]);
    expect(again.exitCode).toBe(1);
    const line = again.stderr.split('\n').find((l) => l.startsWith('error: Not overwritten:'))!;
    expect(line.match(new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'))).toHaveLength(5);
    expect(line).toMatch(new RegExp(` and ${saved - 5} more \\(the files exist\\)\\.$`));
    expect(again.stderr).toMatch(/--force/);
  });

  it('safe names inside DIR (no traversal), unique, 0600; no overwrite without --force', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'gmailctl-att-')), 'files');
    const first = await s.run(['show', idOf('nested-attachments'), idOf('inline-image'), '--save-attachments', dir]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(['Q3 report (2).pdf', 'Q3 report.pdf', 'data.csv', 'evil.sh', 'logo.png', 'résumé.txt']);
    expect(await readdir(path.dirname(dir))).toEqual(['files']); // nothing escaped DIR
    for (const file of await readdir(dir)) expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
    // Byte for byte as sent, whatever the transfer encoding (data.csv is quoted-printable, with CRLFs).
    const sent = (name: string) => leavesOf(hardCase('nested-attachments').body).find((leaf) => leaf.filename === name)!.content;
    expect(await readFile(path.join(dir, 'Q3 report.pdf'))).toEqual(sent('Q3 report.pdf'));
    expect(await readFile(path.join(dir, 'data.csv'))).toEqual(sent('data.csv'));
    expect(await readFile(path.join(dir, 'résumé.txt'))).toEqual(sent('résumé.txt'));
    expect((await readFile(path.join(dir, 'logo.png'))).subarray(1, 4).toString()).toBe('PNG');

    await writeFile(path.join(dir, 'evil.sh'), 'mine');
    const again = await s.run(['show', idOf('nested-attachments'), '--save-attachments', dir]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/Not overwritten: .*evil\.sh/);
    expect(again.stderr).toMatch(/--force/);
    expect(await readFile(path.join(dir, 'evil.sh'), 'utf8')).toBe('mine');

    const forced = await s.run(['show', idOf('nested-attachments'), '--save-attachments', dir, '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await readFile(path.join(dir, 'evil.sh'), 'utf8')).toContain('echo pwned');
  });

  it('saves every attachment: those Gmail inlines in body.data, those without a name, the empty one', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'gmailctl-att-')), 'files');
    const id = idOf('small-attachments');
    const result = await s.run(['show', id, '--save-attachments', dir]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/warning/);
    const leaves = leavesOf(hardCase('small-attachments').body).slice(1);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([`attachment-${id}-1.bin`, `attachment-${id}-4.png`, 'empty.log', 'notes.txt', 'receipt.pdf'].sort());
    expect(await readFile(path.join(dir, `attachment-${id}-1.bin`))).toEqual(leaves[0]!.content);
    expect(await readFile(path.join(dir, 'receipt.pdf'))).toEqual(leaves[1]!.content);
    expect((await readFile(path.join(dir, 'empty.log'))).length).toBe(0);
    expect(await readFile(path.join(dir, `attachment-${id}-4.png`))).toEqual(leaves[3]!.content);
    expect(await readFile(path.join(dir, 'notes.txt'))).toEqual(leaves[4]!.content);
  });

  it('does not follow a symlink planted in DIR', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'gmailctl-att-'));
    const dir = path.join(base, 'files');
    await mkdir(dir);
    const { symlink } = await import('node:fs/promises');
    await symlink(path.join(base, 'target'), path.join(dir, 'data.csv'));
    const result = await s.run(['show', idOf('nested-attachments'), '--save-attachments', dir, '--force']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await readdir(base)).toEqual(['files']); // the link's target was not created
  });
});
