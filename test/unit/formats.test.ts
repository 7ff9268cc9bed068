import { stripVTControlCharacters } from 'node:util';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { createMessageWriter, defaultFormat, type Outcome, type OutputFormat } from '../../src/output/formats.js';
import type { MessageSummary } from '../../src/gmail/message.js';
import { fakeTerminal, settle } from './fake-io.js';

function message(overrides: Partial<MessageSummary> = {}): MessageSummary {
  return {
    id: '18c2a1f0b3d4e5f6',
    threadId: '18c2a1f0b3d4e5f0',
    labelIds: ['INBOX'],
    date: '2026-03-14T09:26:53.000Z',
    from: 'Ada Lovelace <ada@example.com>',
    to: 'me@example.com',
    subject: 'Notes on the engine',
    snippet: 'The analytical engine weaves algebraic patterns',
    ...overrides,
  };
}

const hostile = message({
  id: '18c2a1f0b3d4e5f7',
  from: 'Mallory\t<m@example.com>',
  subject: 'line one\nline two\r\x1b]0;pwned\x07\x1b[2J\tend',
});

async function render(
  format: OutputFormat,
  pages: MessageSummary[][],
  outcome: Outcome,
  options: Parameters<typeof fakeTerminal>[0] = {},
): Promise<{ out: string; err: string }> {
  const terminal = fakeTerminal(options);
  const writer = await createMessageWriter(format, terminal.io);
  for (const page of pages) await writer.writePage(page);
  await writer.end(outcome);
  await settle();
  return { out: terminal.out(), err: terminal.err() };
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const summary = fc.record({
  id: fc.stringMatching(/^[0-9a-f]{16}$/),
  threadId: fc.stringMatching(/^[0-9a-f]{16}$/),
  labelIds: fc.array(fc.constantFrom('INBOX', 'UNREAD', 'IMPORTANT', 'Label_1'), { maxLength: 3 }),
  date: fc.oneof(fc.constant(''), fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString())),
  from: text,
  to: text,
  subject: text,
  snippet: text,
});
const pagesOf = fc.array(fc.array(summary, { maxLength: 4 }), { maxLength: 4 });

describe('defaultFormat', () => {
  it('is the table for a person at a terminal', () => {
    expect(defaultFormat(fakeTerminal({ tty: true }).io)).toBe('table');
  });
  it('is TSV when stdout is a pipe or a file', () => {
    expect(defaultFormat(fakeTerminal({ tty: false }).io)).toBe('tsv');
  });
});

describe('ids format', () => {
  it('prints one id per line, in order, across pages', async () => {
    const { out } = await render('ids', [[message({ id: 'a1' }), message({ id: 'b2' })], [], [message({ id: 'c3' })]], 'complete');
    expect(out).toBe('a1\nb2\nc3\n');
  });
  it('prints nothing at all when nothing matched', async () => {
    const { out, err } = await render('ids', [[]], 'complete');
    expect(out).toBe('');
    expect(err).toBe('');
  });
});

describe('tsv format', () => {
  it('has no header and four columns: id, date, from, subject', async () => {
    const { out } = await render('tsv', [[message()]], 'complete');
    expect(out).toBe('18c2a1f0b3d4e5f6\t2026-03-14T09:26:53.000Z\tAda Lovelace <ada@example.com>\tNotes on the engine\n');
  });

  it('keeps one line of four fields per message even when headers hold tabs, newlines and escapes', async () => {
    const { out } = await render('tsv', [[hostile, message()]], 'complete');
    const lines = out.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.split('\t')).toHaveLength(4);
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('\r');
    expect(lines[0]).toBe('18c2a1f0b3d4e5f7\t2026-03-14T09:26:53.000Z\tMallory <m@example.com>\tline one line two  ]0;pwned  [2J end');
  });

  it('for any messages, prints exactly one four-field line per message with no control characters', async () => {
    await fc.assert(
      fc.asyncProperty(pagesOf, async (pages) => {
        const { out } = await render('tsv', pages, 'complete');
        const all = pages.flat();
        const lines = out === '' ? [] : out.slice(0, -1).split('\n');
        expect(lines).toHaveLength(all.length);
        lines.forEach((line, i) => {
          const fields = line.split('\t');
          expect(fields).toHaveLength(4);
          expect(fields[0]).toBe(all[i]?.id);
          expect(line).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
        });
      }),
      { numRuns: 60 },
    );
  });
});

describe('ndjson format', () => {
  it('for any messages, prints one line per message that parses back to the same message', async () => {
    await fc.assert(
      fc.asyncProperty(pagesOf, async (pages) => {
        const { out } = await render('ndjson', pages, 'complete');
        const lines = out === '' ? [] : out.slice(0, -1).split('\n');
        expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(pages.flat());
      }),
      { numRuns: 60 },
    );
  });
});

describe('json format', () => {
  it('prints an empty array when nothing matched', async () => {
    const { out } = await render('json', [[], []], 'complete');
    expect(JSON.parse(out)).toEqual([]);
    expect(out).toBe('[]\n');
  });

  it('prints one array holding every page, in order', async () => {
    const pages = [[message({ id: 'a' }), message({ id: 'b' })], [], [message({ id: 'c' })]];
    const { out } = await render('json', pages, 'complete');
    expect(JSON.parse(out)).toEqual(pages.flat());
  });

  it('closes the array when the listing is stopped mid-way, so what was printed still parses', async () => {
    const { out } = await render('json', [[message({ id: 'a' })]], 'stopped');
    expect(JSON.parse(out)).toEqual([message({ id: 'a' })]);
  });

  it('an empty stopped listing is still an array', async () => {
    const { out } = await render('json', [], 'stopped');
    expect(JSON.parse(out)).toEqual([]);
  });

  it('closes the array when a failure comes after some pages', async () => {
    const { out } = await render('json', [[message({ id: 'a' })], [message({ id: 'b' })]], 'failed');
    expect(JSON.parse(out)).toEqual([message({ id: 'a' }), message({ id: 'b' })]);
  });

  it('prints nothing when it fails before any page, rather than an [] that looks like "no mail"', async () => {
    const { out } = await render('json', [[]], 'failed');
    expect(out).toBe('');
  });

  it('for any pages and any ending but a failure before output, is one valid array of all messages', async () => {
    await fc.assert(
      fc.asyncProperty(pagesOf, fc.constantFrom<Outcome>('complete', 'stopped', 'failed'), async (pages, outcome) => {
        const { out } = await render('json', pages, outcome);
        const all = pages.flat();
        if (all.length === 0 && outcome === 'failed') expect(out).toBe('');
        else expect(JSON.parse(out)).toEqual(all);
      }),
      { numRuns: 60 },
    );
  });
});

describe('table format', () => {
  const plainEnv = { TERM: 'xterm' };

  it('prints the header once, with the first row, and one row per message', async () => {
    const { out } = await render('table', [[message({ id: 'aaaa' })], [message({ id: 'bbbb' })]], 'complete', { columns: 100 });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ID\s+DATE\s+FROM\s+SUBJECT$/);
    expect(out.match(/SUBJECT/g)).toHaveLength(1);
    expect(lines[1]).toMatch(/^aaaa\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}\s+Ada Lovelace\s+Notes on the engine$/);
  });

  it('shows the date in local time as YYYY-MM-DD HH:MM and the sender by name', async () => {
    const iso = '2026-03-14T09:26:53.000Z';
    const d = new Date(iso);
    const two = (n: number): string => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
    const { out } = await render('table', [[message({ date: iso })]], 'complete', { columns: 120 });
    expect(out).toContain(local);
    expect(out).not.toContain('ada@example.com');
  });

  it('says "No messages match." on stderr, and nothing on stdout, when a complete listing is empty', async () => {
    const { out, err } = await render('table', [[]], 'complete');
    expect(out).toBe('');
    expect(err).toBe('No messages match.\n');
  });

  it('does not claim "No messages match." when the listing was stopped or failed', async () => {
    for (const outcome of ['stopped', 'failed'] as const) {
      const { out, err } = await render('table', [], outcome);
      expect(out).toBe('');
      expect(err).toBe('');
    }
  });

  it('does not say "No messages match." under --quiet', async () => {
    const { err } = await render('table', [], 'complete', { quiet: true });
    expect(err).toBe('');
  });

  it('has no colour codes on a pipe, and hostile subjects cannot smuggle escapes in', async () => {
    const { out } = await render('table', [[hostile, message({ labelIds: ['UNREAD'] })]], 'complete', { env: plainEnv });
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('\x07');
    expect(out.trimEnd().split('\n')).toHaveLength(3);
  });

  it('uses colour on a terminal: bold header and unread subjects', async () => {
    const { out } = await render('table', [[message({ labelIds: ['UNREAD'], subject: 'Unread one' })]], 'complete', {
      tty: true,
      columns: 100,
      env: plainEnv,
    });
    expect(out).toMatch(/\x1b\[1mID/);
    expect(out).toMatch(/\x1b\[1mUnread one/);
  });

  it('uses no colour on a terminal when NO_COLOR is set', async () => {
    const { out } = await render('table', [[message({ labelIds: ['UNREAD'] })]], 'complete', {
      tty: true,
      env: { ...plainEnv, NO_COLOR: '1' },
    });
    expect(out).not.toContain('\x1b');
  });

  it('uses colour on a pipe when FORCE_COLOR is set', async () => {
    const { out } = await render('table', [[message()]], 'complete', { env: { FORCE_COLOR: '1' } });
    expect(out).toContain('\x1b[');
  });

  it('falls back to COLUMNS, then to 80 columns, when stdout has no width', async () => {
    const long = message({ subject: 'x'.repeat(300) });
    const viaEnv = await render('table', [[long]], 'complete', { env: { COLUMNS: '100' } });
    // The row of a long subject is cut to exactly the terminal's width.
    expect(stringWidth(viaEnv.out.trimEnd().split('\n')[1] ?? '')).toBe(100);
    const fallback = await render('table', [[long]], 'complete');
    expect(stringWidth(fallback.out.trimEnd().split('\n')[1] ?? '')).toBe(80);
  });

  it('keeps every line within a wide enough terminal, whatever the headers hold', async () => {
    await fc.assert(
      fc.asyncProperty(pagesOf, fc.integer({ min: 58, max: 250 }), fc.boolean(), async (pages, columns, colour) => {
        const { out } = await render('table', pages, 'complete', {
          tty: colour,
          columns,
          env: colour ? { TERM: 'xterm-256color' } : {},
        });
        for (const line of out.split('\n')) {
          expect(stringWidth(stripVTControlCharacters(line))).toBeLessThanOrEqual(columns);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('keeps every line within a narrow terminal (40 columns)', async () => {
    const { out } = await render('table', [[message({ subject: 'a long subject that has to be cut somewhere' })]], 'complete', {
      columns: 40,
    });
    for (const line of out.trimEnd().split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(40);
  });
});
