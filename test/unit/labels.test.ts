/** The labels' order and table, as pure functions: what `gmailctl labels` prints. */
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { labelTable, labelTsvLine, sortLabels } from '../../src/output/labels.js';
import type { LabelObject } from '../../src/output/objects.js';

const plain = { bold: (text: string) => text, dim: (text: string) => text };
const counted = (id: string, name: string, type: 'system' | 'user', unread = 0): LabelObject => ({ id, name, type, messagesTotal: 1234, messagesUnread: unread, threadsTotal: 999, threadsUnread: unread });

describe('sortLabels', () => {
  it("puts Gmail's labels first in Gmail's order, unknown system labels after them, then the user's by name (case-insensitive, numbers as numbers)", () => {
    const labels = [
      counted('Label_9', 'zebra', 'user'),
      counted('CATEGORY_FORUMS', 'CATEGORY_FORUMS', 'system'),
      counted('Label_2', 'Project 10', 'user'),
      counted('SENT', 'SENT', 'system'),
      counted('YELLOW_STAR', 'YELLOW_STAR', 'system'),
      counted('Label_1', 'Project 9', 'user'),
      counted('INBOX', 'INBOX', 'system'),
      counted('Label_3', 'Apple', 'user'),
    ];
    expect(sortLabels(labels).map((l) => l.name)).toEqual(['INBOX', 'SENT', 'CATEGORY_FORUMS', 'YELLOW_STAR', 'Apple', 'Project 9', 'Project 10', 'zebra']);
  });
});

describe('labelTable', () => {
  const labels = [counted('INBOX', 'INBOX', 'system', 3), counted('Label_1', 'A rather long label name for the projects of the year', 'user'), counted('Label_2', 'Ünïcödé 日本語 label', 'user', 1)];

  it.each([120, 80, 60, 52, 40])('is never wider than %i columns, keeping the name and the counts', (width) => {
    const lines = labelTable(labels, width, plain).trimEnd().split('\n');
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
    expect(lines[0]).toMatch(/^NAME +MESSAGES +UNREAD +THREADS +UNREAD/);
    expect(lines[1]).toMatch(/^INBOX +1234 +3 +999 +3/);
  });

  it('drops ID first, then TYPE, when the terminal is narrow', () => {
    expect(labelTable(labels, 120, plain).split('\n')[0]).toMatch(/TYPE +ID$/);
    expect(labelTable(labels, 60, plain).split('\n')[0]).toMatch(/UNREAD +TYPE$/);
    expect(labelTable(labels, 52, plain).split('\n')[0]).toMatch(/UNREAD$/);
  });

  it('without counts: NAME, TYPE, ID', () => {
    const table = labelTable([{ id: 'INBOX', name: 'INBOX', type: 'system' }], 80, plain);
    expect(table.split('\n')[0]).toMatch(/^NAME +TYPE +ID$/);
  });

  it('cleans names from outside: no control or bidi characters reach the terminal or a TSV field', () => {
    const evil = counted('Label_7', 'evil\u001b[2J\tname\u202e', 'user');
    expect(labelTable([evil], 80, plain)).not.toMatch(/[\u001b\t\u202e]/);
    expect(labelTsvLine(evil).split('\t')).toHaveLength(7);
  });
});
