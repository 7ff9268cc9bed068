import { describe, expect, it } from 'vitest';
import { generateMailbox, MAILBOX_NOW, type MailboxMessage } from './mailbox.js';
import { matches, parseQuery, QuerySyntaxError, reachesSpamTrash, searchable } from './query.js';

function message(overrides: Partial<MailboxMessage>): MailboxMessage {
  return {
    id: '0000000000000001',
    threadId: '0000000000000001',
    labelIds: ['INBOX', 'UNREAD'],
    internalDate: Date.UTC(2026, 0, 15, 12),
    historyId: 1000,
    sizeEstimate: 1000,
    from: '"Doe, Jane" <jane.doe@example.com>',
    to: 'user@example.com',
    subject: 'Réunion 日本語 📦 report',
    snippet: 'Let&#39;s meet &amp; talk about &quot;plans&quot;',
    utcOffsetMinutes: 0,
    ...overrides,
  };
}

function test(query: string, overrides: Partial<MailboxMessage> = {}): boolean {
  const node = parseQuery(query);
  return node === undefined || matches(node, searchable(message(overrides)));
}

describe('parseQuery and matches', () => {
  it.each([
    ['', true],
    ['   ', true],
    ['from:jane', true],
    ['from:JANE.DOE@example.com', true],
    ['from:john', false],
    ['to:user@example.com', true],
    ['subject:report', true],
    ['subject:"日本語 📦"', true],
    ['subject:日本語', true],
    ['subject:réunion', true],
    ['"talk about"', true],
    ['talk', true],
    ['Jane', true],
    ['nothing-like-it', false],
    ['is:unread', true],
    ['is:read', false],
    ['-is:unread', false],
    ['is:starred', false],
    ['in:inbox', true],
    ['in:spam', false],
    ['in:anywhere', true],
    ['label:INBOX', true],
    ['label:inbox', true],
    ['label:unread is:unread', true],
    ['after:2026/01/15', true],
    ['after:2026/01/16', false],
    ['before:2026-01-16', true],
    ['before:2026/01/15', false],
    [`after:${Date.UTC(2026, 0, 15) / 1000}`, true],
    ['from:john OR from:jane', true],
    ['from:john OR subject:nothing', false],
    ['(from:john OR from:jane) is:unread', true],
    ['(from:john OR from:jane) -is:unread', false],
    ['-(from:john OR is:starred)', true],
    ['from:jane subject:report', true],
    ['from:jane subject:nope', false],
  ])('%j → %s', (query, expected) => {
    expect(test(query)).toBe(expected);
  });

  it('matches user labels by id or by name, with - and / alike', () => {
    const labelled = { labelIds: ['Label_3'] };
    for (const query of ['label:Label_3', 'label:work/projects', 'label:work-projects', 'label:"Work/Projects"', 'label:WORK-PROJECTS']) {
      expect(test(query, labelled), query).toBe(true);
    }
    expect(test('label:receipts', labelled)).toBe(false);
    expect(test('label:no-such-label', labelled)).toBe(false);
  });

  it('counts newer_than and older_than from the mailbox instant', () => {
    const twoDaysOld = { internalDate: MAILBOX_NOW - 2 * 24 * 3600 * 1000 };
    expect(test('newer_than:3d', twoDaysOld)).toBe(true);
    expect(test('newer_than:1d', twoDaysOld)).toBe(false);
    expect(test('older_than:1d', twoDaysOld)).toBe(true);
    expect(test('older_than:1y', twoDaysOld)).toBe(false);
    expect(test('newer_than:1m', twoDaysOld)).toBe(true);
  });

  it('matches messages without a subject', () => {
    expect(test('subject:report', { subject: undefined })).toBe(false);
    expect(test('-subject:report', { subject: undefined })).toBe(true);
  });

  it.each(['"unbalanced', 'subject:"open', '(a b', 'a b)', '()', 'after:yesterday', 'before:2026/13/01', 'after:2026/02/30', 'from:', 'subject:""', 'a OR', 'OR a', 'a OR OR b', 'newer_than:soon'])(
    'rejects %j',
    (query) => {
      expect(() => parseQuery(query)).toThrow(QuerySyntaxError);
    },
  );

  it('knows when a query reaches spam or trash', () => {
    const reaches = (query: string): boolean => reachesSpamTrash(parseQuery(query)!);
    expect(reaches('in:spam')).toBe(true);
    expect(reaches('label:trash')).toBe(true);
    expect(reaches('in:anywhere from:jane')).toBe(true);
    expect(reaches('from:jane OR in:trash')).toBe(true);
    expect(reaches('-in:spam')).toBe(false);
    expect(reaches('from:jane')).toBe(false);
  });

  it('agrees with a direct filter over a generated mailbox', () => {
    const messages = generateMailbox(7, 'user@example.com', 2000);
    const node = parseQuery('is:unread (label:receipts OR label:travel) -in:trash')!;
    const viaQuery = messages.filter((m) => matches(node, searchable(m)));
    const direct = messages.filter(
      (m) => m.labelIds.includes('UNREAD') && (m.labelIds.includes('Label_1') || m.labelIds.includes('Label_2')) && !m.labelIds.includes('TRASH'),
    );
    expect(viaQuery).toEqual(direct);
    expect(direct.length).toBeGreaterThan(10);
  });
});
