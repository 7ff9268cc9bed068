/**
 * Text from outside (mail headers, Google's answers, request headers) reaches a terminal
 * only through one cleaner: no control character, no 8-bit CSI, no bidi override and no
 * line separator can move the cursor, retitle the window or reorder what a person reads.
 */
import { describe, expect, it } from 'vitest';
import { createMessageWriter, createThreadSummaryWriter } from '../../src/output/formats.js';
import type { MessageSummary } from '../../src/gmail/message.js';
import type { ThreadSummary } from '../../src/output/objects.js';
import type { IO } from '../../src/basics/io.js';
import { toSingleLine } from '../../src/basics/single-line.js';
import { redact } from '../../src/basics/redact.js';
import { fakeTerminal, settle } from './fake-io.js';

const BIDI_AND_SEPARATORS = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029'];
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

function message(subject: string, from = 'Ada <ada@example.com>'): MessageSummary {
  return { id: '18c2a1f0b3d4e5f6', threadId: '18c2a1f0b3d4e5f0', labelIds: ['INBOX'], date: '2026-03-14T09:26:53.000Z', from, to: '', subject, snippet: '' };
}

describe('the one terminal cleaner', () => {
  it('replaces bidi overrides and isolates, and the Unicode line and paragraph separators, with spaces', () => {
    for (const ch of BIDI_AND_SEPARATORS) expect(toSingleLine(`a${ch}b`)).toBe('a b');
  });

  const hostileThread: ThreadSummary = {
    id: '18c2a1f0b3d4e5f0',
    historyId: '4242',
    messageCount: 3,
    date: '2026-03-14T09:26:53.000Z',
    from: 'Mallory\u202e\u001b]0;owned\u0007 <m@example.com>',
    subject: 'invoice\u202egpj.exe\u2028second line\u009b2J',
    snippet: '',
    labelIds: ['INBOX', 'UNREAD'],
  };
  it.each([
    ['messages (list)', 4, async (format: 'tsv' | 'table', io: IO) => {
      const writer = await createMessageWriter(format, io);
      await writer.writePage([message('invoice\u202egpj.exe\u2028second line\u2066x\u2069', 'Mallory\u202e <m@example.com>')]);
      await writer.end('complete');
    }],
    ['conversations (list --threads)', 5, async (format: 'tsv' | 'table', io: IO) => {
      const writer = await createThreadSummaryWriter(format, io);
      await writer.writePage([hostileThread]);
      await writer.end('complete');
    }],
  ] as const)('cleans subjects and senders of %s in the table and in TSV', async (_what, tsvFields, print) => {
    for (const format of ['tsv', 'table'] as const) {
      const terminal = fakeTerminal({ tty: format === 'table', columns: 200, env: { NO_COLOR: '1' } });
      await print(format, terminal.io);
      await settle();
      const lines = terminal.out().replace(/\n$/, '').split('\n');
      expect(lines, format).toHaveLength(format === 'table' ? 2 : 1);
      // TSV's own tabs separate the fields; nothing else may be a control character.
      const fields = lines.flatMap((line) => (format === 'tsv' ? line.split('\t') : [line]));
      expect(fields.length, format).toBe(format === 'tsv' ? tsvFields : 2);
      for (const field of fields) expect(field, format).not.toMatch(DANGEROUS);
      expect(lines.at(-1), format).toMatch(/invoice gpj\.exe second line/);
    }
  });

  it('cleans every line of a warning and of an error description on stderr', async () => {
    const terminal = fakeTerminal();
    terminal.io.warn('Refused a request for host "127.0.0.1\u009b2J\u001b]0;owned\u0007".');
    terminal.io.info('Google said: \u202eevil');
    await settle();
    expect(terminal.err().replace(/\n/g, '')).not.toMatch(DANGEROUS);
  });
});

describe('the redactor', () => {
  it('catches a URL-encoded refresh token (1%2F%2F…) in an error body', () => {
    const body = 'error=invalid_request&detail=token%3D1%2F%2F0gAbCdEfGhIjKlMnOpQrStUvWxYz0123';
    expect(redact(body)).not.toMatch(/0gAbCdEfGhIjKlMnOpQrStUvWxYz/);
    expect(redact('{"hint":"1%2f%2f0gAbCdEfGhIjKlMnOpQrStUvWxYz0123"}')).not.toMatch(/0gAbCdEfGhIjKlMnOpQrStUvWxYz/);
  });
});
