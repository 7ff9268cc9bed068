/**
 * A script author's own mail in the emulator (issue #24, item 7): an .eml posted to
 * POST /__emulator/mailbox/import is what gmailctl reads, as it reads Gmail's. `show --format raw`
 * prints the posted bytes, `show` and `show --json` what the message says, `thread` (Gmail's
 * part tree, not the raw bytes) the same message as `show`, `list` finds it; every seeded
 * hard case posted as its raw bytes is shown exactly as the seeded one.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARD_CASES } from '../emulator/hard-cases.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { createSandbox, runInProcess, type Sandbox } from '../helpers/sandbox.js';
import type { ShownMessage } from '../../src/output/whole-messages.js';

let emulator: Emulator;
let s: Sandbox;

beforeAll(async () => {
  emulator = await startEmulator({ accounts: ['ada@example.com'], messages: 60 });
  s = await createSandbox(emulator, { runner: 'in-process' });
  const login = await s.login();
  expect(login.exitCode, login.stderr).toBe(0);
});
afterAll(async () => {
  await s?.cleanup();
  await emulator?.close();
});

const crlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');
const CSV = crlf('day,amount\nMon,12.50\nTue,7.00\n');

/** An .eml as a mail client saves it: a folded subject, an encoded name, a quoted-printable body, a CSV attached. */
const EML = Buffer.from(
  crlf(`Message-ID: <report-9@ops.example>
Date: Wed, 02 Dec 2026 07:30:00 -0500
From: =?UTF-8?Q?Ops_R=C3=A9sum=C3=A9?= <ops@ops.example>
To: ada@example.com
Cc: "Doe, John" <john@example.org>
Subject: Weekly spend,
 with the numbers
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

Spend this week: =E2=82=AC19.50, see the attached file.
Details at https://ops.example/spend?week=3D49&team=3Da
--b1
Content-Type: text/csv; name="spend.csv"
Content-Disposition: attachment; filename="spend.csv"
Content-Transfer-Encoding: base64

${Buffer.from(CSV).toString('base64')}
--b1--
`),
  'utf8',
);

async function post(raw: Buffer, query = ''): Promise<{ id: string; threadId: string }> {
  const response = await fetch(new URL(`__emulator/mailbox/import${query}`, emulator.url), { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: raw });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { id: string; threadId: string };
}

describe('an .eml posted to the emulator, read with gmailctl', () => {
  let id: string;
  beforeAll(async () => {
    ({ id } = await post(EML, '?labelIds=INBOX,STARRED'));
  });

  it('show --format raw prints the posted bytes, byte for byte', async () => {
    const result = await runInProcess(['show', '--format', 'raw', id], { env: s.env });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdoutBytes.equals(EML)).toBe(true);
  });

  it('show --json says what the message says, its attachment included', async () => {
    const result = await s.run(['show', '--json', id]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [shown] = JSON.parse(result.stdout) as ShownMessage[];
    expect(shown).toMatchObject({
      id,
      threadId: id,
      labelIds: ['INBOX', 'STARRED'],
      date: '2026-12-02T12:30:00.000Z',
      from: 'Ops Résumé <ops@ops.example>',
      to: 'ada@example.com',
      cc: '"Doe, John" <john@example.org>',
      subject: 'Weekly spend, with the numbers',
      text: 'Spend this week: €19.50, see the attached file.\nDetails at https://ops.example/spend?week=49&team=a',
      attachments: [{ filename: 'spend.csv', mimeType: 'text/csv', size: Buffer.byteLength(CSV), disposition: 'attachment', contentId: '', partId: '1' }],
    });
  });

  it('show (text) prints its headers, body and attachment, and --save-attachments writes the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gmailctl-import-'));
    const result = await s.run(['show', id, '--save-attachments', dir]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Subject: +Weekly spend, with the numbers$/m);
    expect(result.stdout).toMatch(/^From: +Ops Résumé <ops@ops\.example>$/m);
    expect(result.stdout).toContain('Spend this week: €19.50, see the attached file.');
    expect(result.stdout).toContain('https://ops.example/spend?week=49&team=a');
    expect(result.stdout).toMatch(/spend\.csv/);
    expect(await readFile(path.join(dir, 'spend.csv'), 'utf8')).toBe(CSV);
  });

  it('thread (Gmail\'s part tree, not the raw bytes) shows the same message as show', async () => {
    const [shown, thread] = await Promise.all([s.run(['show', '--json', id]), s.run(['thread', '--json', id])]);
    expect(thread.exitCode, thread.stderr).toBe(0);
    const [first] = JSON.parse(thread.stdout) as Array<{ messages: ShownMessage[] }>;
    expect(first?.messages).toEqual(JSON.parse(shown.stdout));
  });

  it('list finds it by what it says, with its date and sender', async () => {
    const result = await s.run(['list', '--json', '-q', 'subject:"weekly spend" is:starred']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ id, date: '2026-12-02T12:30:00.000Z', from: 'Ops Résumé <ops@ops.example>', subject: 'Weekly spend, with the numbers', snippet: 'Spend this week: €19.50, see the attached file. Details at https://ops.example/spend?week=49&team=a' }),
    ]);
  });

  it('a reply posted after it joins its thread (References and subject), and thread prints both', async () => {
    const reply = Buffer.from(crlf('Message-ID: <r1@example.com>\nIn-Reply-To: <report-9@ops.example>\nReferences: <report-9@ops.example>\nFrom: ada@example.com\nTo: ops@ops.example\nSubject: Re: Weekly spend, with the numbers\nDate: Wed, 02 Dec 2026 13:00:00 +0000\n\nThanks!\n'));
    const posted = await post(reply);
    expect(posted.threadId).toBe(id);
    const result = await s.run(['thread', id]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^==> ${id} \\(2 messages\\) <==`));
    expect(result.stdout.indexOf('Spend this week')).toBeLessThan(result.stdout.indexOf('Thanks!'));
  });
});

describe('every seeded hard case, posted as its raw bytes', () => {
  it('is shown (json and text) exactly as the seeded message is, but for its id, labels, thread and snippet', async () => {
    const seeded = HARD_CASES.map((name) => emulator.mailbox().find((m) => m.hardCase === name)!);
    const imported: string[] = [];
    for (const message of seeded) {
      const raw = await runInProcess(['show', '--format', 'raw', message.id], { env: s.env });
      expect(raw.exitCode, raw.stderr).toBe(0);
      imported.push((await post(raw.stdoutBytes, `?internalDate=${message.internalDate}`)).id);
    }
    const [before, after] = await Promise.all([s.run(['show', '--json', ...seeded.map((m) => m.id)]), s.run(['show', '--json', ...imported])]);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.stderr).toBe(before.stderr.replaceAll(/[0-9a-f]{16}/g, (old) => imported[seeded.findIndex((m) => m.id === old)] ?? old));
    // The snippet is Gmail's (a seeded hard case's is written by hand, an imported one's made from its text).
    const strip = (list: ShownMessage[]) => list.map(({ id: _id, threadId: _thread, labelIds: _labels, snippet: _snippet, ...rest }) => rest);
    expect(strip(JSON.parse(after.stdout) as ShownMessage[])).toEqual(strip(JSON.parse(before.stdout) as ShownMessage[]));
    const [textBefore, textAfter] = await Promise.all([s.run(['show', ...seeded.map((m) => m.id)]), s.run(['show', ...imported])]);
    expect(textAfter.stdout).toBe(seeded.reduce((text, m, i) => text.replaceAll(m.id, imported[i]!), textBefore.stdout));
  }, 60_000);
});
