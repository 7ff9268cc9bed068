import { describe, expect, it } from 'vitest';
import { generateMailbox, MAILBOX_NOW, messageHeaders, rfc2822Date } from './mailbox.js';

describe('generateMailbox', () => {
  it('is deterministic per (seed, account, count) and differs across seeds and accounts', () => {
    const a = generateMailbox(1, 'user@example.com', 300);
    expect(generateMailbox(1, 'user@example.com', 300)).toEqual(a);
    expect(generateMailbox(2, 'user@example.com', 300)).not.toEqual(a);
    expect(generateMailbox(1, 'other@example.com', 300)).not.toEqual(a);
  });

  it('orders newest first, before the fixed instant, within about two years', () => {
    const messages = generateMailbox(1, 'user@example.com', 1000);
    const dates = messages.map((m) => m.internalDate);
    expect(dates).toEqual([...dates].sort((x, y) => y - x));
    expect(Math.max(...dates)).toBeLessThan(MAILBOX_NOW);
    expect(Math.min(...dates)).toBeGreaterThan(MAILBOX_NOW - 2.1 * 365 * 24 * 3600 * 1000);
  });

  it('has unique 16-hex ids, shared threads, realistic label mix and awkward subjects', () => {
    const messages = generateMailbox(1, 'user@example.com', 5000);
    expect(new Set(messages.map((m) => m.id)).size).toBe(5000);
    expect(messages.every((m) => /^[0-9a-f]{16}$/.test(m.id))).toBe(true);
    expect(new Set(messages.map((m) => m.threadId)).size).toBeLessThan(4500);
    const share = (label: string): number => messages.filter((m) => m.labelIds.includes(label)).length / messages.length;
    expect(share('INBOX')).toBeGreaterThan(0.6);
    expect(share('INBOX')).toBeLessThan(0.8);
    expect(share('UNREAD')).toBeGreaterThan(0.2);
    expect(share('SPAM')).toBeGreaterThan(0.02);
    expect(share('TRASH')).toBeGreaterThan(0.02);
    for (const label of ['SENT', 'STARRED', 'IMPORTANT', 'CATEGORY_PERSONAL', 'CATEGORY_UPDATES', 'CATEGORY_PROMOTIONS', 'Label_1', 'Label_2', 'Label_3']) {
      expect(share(label), label).toBeGreaterThan(0);
    }
    const subjects = messages.map((m) => m.subject);
    expect(subjects).toContain(undefined);
    expect(subjects.some((s) => s?.includes('\t'))).toBe(true);
    expect(subjects.some((s) => s?.includes('\n'))).toBe(true);
    expect(subjects.some((s) => (s?.length ?? 0) > 150)).toBe(true);
    expect(subjects.some((s) => /日本語/.test(s ?? ''))).toBe(true);
    expect(subjects.some((s) => /📦/.test(s ?? ''))).toBe(true);
    expect(subjects.some((s) => /[\u0600-\u06ff]/.test(s ?? ''))).toBe(true);
    expect(messages.some((m) => m.snippet.includes('&#39;'))).toBe(true);
    expect(messages.some((m) => m.snippet.includes('&amp;'))).toBe(true);
    expect(messages.some((m) => m.snippet.includes('&quot;'))).toBe(true);
    expect(messages.every((m) => !/[<>]|&(?!amp;|#39;|quot;|lt;|gt;)/.test(m.snippet))).toBe(true);
  });

  it('omits the Subject header when there is no subject', () => {
    const noSubject = generateMailbox(1, 'user@example.com', 50).find((m) => m.subject === undefined)!;
    expect(messageHeaders(noSubject).map((h) => h.name)).not.toContain('Subject');
  });

  it('writes RFC 2822 dates naming the same instant in the sender zone', () => {
    const ms = Date.UTC(2026, 2, 3, 23, 30, 5);
    expect(rfc2822Date(ms, 0)).toBe('Tue, 03 Mar 2026 23:30:05 +0000');
    expect(rfc2822Date(ms, 540)).toBe('Wed, 04 Mar 2026 08:30:05 +0900');
    expect(rfc2822Date(ms, -480)).toBe('Tue, 03 Mar 2026 15:30:05 -0800');
    expect(Date.parse(rfc2822Date(ms, -480))).toBe(ms);
  });

  // How fast is a benchmark's business (npm run bench builds 100,000 for its memory figure),
  // not a test's: a timed assertion only measures how busy the machine is.
  it('generates 100,000 messages, each id once', () => {
    const mailbox = generateMailbox(1, 'user@example.com', 100_000);
    expect(mailbox).toHaveLength(100_000);
    expect(new Set(mailbox.map((message) => message.id)).size).toBe(100_000);
  });
});
