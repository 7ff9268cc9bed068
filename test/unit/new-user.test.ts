/**
 * The smaller things a new user ran into (issue #12, item 10), checked in-process.
 */
import { PassThrough } from 'node:stream';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { parseMax } from '../../src/commands/options.js';
import { chooseAccount, resolveConfigDir } from '../../src/basics/config.js';
import { IO } from '../../src/basics/io.js';
import { tableLayout, tableWriter, threadTableWriter } from '../../src/output/table.js';
import { displayName } from '../../src/output/text.js';
import { settle } from './fake-io.js';

describe('--max', () => {
  it('beyond 2^53 is refused for being too large, not for not being a whole number', () => {
    expect(() => parseMax('9007199254740993')).toThrow(/at most 9007199254740991/);
    expect(() => parseMax('0')).toThrow(/1 or more/);
    expect(parseMax('9007199254740991')).toBe(9007199254740991);
  });
});

describe('account addresses are case-insensitive', () => {
  it('--account A@Example.com finds the login stored as a@example.com', () => {
    const settings = { accounts: ['a@example.com', 'b@example.com'], defaultAccount: 'b@example.com' };
    expect(chooseAccount('A@Example.com', {}, settings)).toBe('a@example.com');
    expect(chooseAccount(undefined, { GMAILCTL_ACCOUNT: 'B@EXAMPLE.COM' }, settings)).toBe('b@example.com');
    expect(chooseAccount('new@example.com', {}, settings)).toBe('new@example.com');
  });
});

describe('the table', () => {
  it('a quoted display name is shown unquoted, escapes undone', () => {
    expect(displayName('"Team \\"Ops\\"" <ops@example.com>')).toBe('Team "Ops"');
    expect(displayName('"Lovelace, Ada" <ada@example.com>')).toBe('Lovelace, Ada');
    expect(displayName('"a\\\\b" <x@example.com>')).toBe('a\\b');
  });

  it('FROM grows with a wide terminal instead of stopping at 24 columns', () => {
    expect(tableLayout(200).fromWidth).toBeGreaterThan(40);
    expect(tableLayout(200).fromWidth + tableLayout(200).subjectWidth).toBe(200 - 16 - 16 - 6);
  });

  it('DATE is left out below 58 columns and FROM below 40, as list --help and the README say (test/e2e/texts.test.ts)', () => {
    const narrowest = (has: (width: number) => boolean): number => {
      let width = 200;
      while (width > 0 && has(width - 1)) width -= 1;
      return width;
    };
    expect(narrowest((w) => tableLayout(w).date)).toBe(58);
    expect(narrowest((w) => tableLayout(w).fromWidth > 0)).toBe(40);
  });

  it('list --threads: MSGS always stays; DATE goes below 64 columns and FROM below 46, as the README says; no row is wider than the terminal', async () => {
    const narrowest = (has: (width: number) => boolean): number => {
      let width = 200;
      while (width > 0 && has(width - 1)) width -= 1;
      return width;
    };
    expect(narrowest((w) => tableLayout(w, { count: true }).date)).toBe(64);
    expect(narrowest((w) => tableLayout(w, { count: true }).fromWidth > 0)).toBe(46);
    for (const columns of [30, 45, 46, 63, 64, 80, 120, 200]) {
      expect(tableLayout(columns, { count: true }).count, `at ${columns}`).toBe(4);
      const stdout = Object.assign(new PassThrough(), { isTTY: true, columns });
      let out = '';
      stdout.setEncoding('utf8');
      stdout.on('data', (chunk: string) => (out += chunk));
      const io = new IO({ stdout, stderr: new PassThrough(), env: { NO_COLOR: '1' } });
      const writer = threadTableWriter(io);
      const id = '1a187fa59c0d4e21';
      const subject = 'A subject long enough to be cut at any of these widths, and then some more words';
      await writer.writePage([{ id, historyId: '9', messageCount: 12, date: '2026-01-01T00:00:00Z', from: '田中 太郎 <taro@example.com>', subject, snippet: '', labelIds: [] }]);
      await settle();
      const [header, row] = out.split('\n');
      expect(header, `at ${columns}`).toMatch(/ MSGS  SUBJ/);
      expect(row, `at ${columns}`).toContain(id);
      expect(row, `at ${columns}`).toMatch(/ {3}12 {2}A sub/);
      for (const line of [header!, row!]) expect(stringWidth(line), `at ${columns}: ${line}`).toBeLessThanOrEqual(columns);
    }
  });

  it('the id column is never cut, however narrow the terminal', async () => {
    for (const columns of [10, 20, 30, 40]) {
      const stdout = Object.assign(new PassThrough(), { isTTY: true, columns });
      let out = '';
      stdout.setEncoding('utf8');
      stdout.on('data', (chunk: string) => (out += chunk));
      const io = new IO({ stdout, stderr: new PassThrough(), env: {} });
      const writer = tableWriter(io);
      const id = '1a187fa59c0d4e21';
      await writer.writePage([{ id, threadId: id, labelIds: [], date: '2026-01-01T00:00:00Z', from: 'A <a@example.com>', to: '', subject: 'Hello there', snippet: '' }]);
      await settle();
      expect(out.split('\n')[1], `at ${columns} columns`).toContain(id);
    }
  });
});

describe('no usable home directory', () => {
  it('a relative XDG_CONFIG_HOME is ignored; an empty HOME is refused with a clear error', () => {
    expect(resolveConfigDir({ HOME: '/home/u', XDG_CONFIG_HOME: 'rel' })).toBe('/home/u/.config/gmailctl');
    expect(() => resolveConfigDir({ HOME: '' })).toThrow(/no usable home directory/);
    expect(resolveConfigDir({ HOME: '', GMAILCTL_CONFIG_DIR: '/x/y' })).toBe('/x/y');
  });
});

describe('the progress line', () => {
  function streams(stderrTTY: boolean, stdoutTTY: boolean) {
    const stdout = Object.assign(new PassThrough(), { isTTY: stdoutTTY });
    const stderr = Object.assign(new PassThrough(), { isTTY: stderrTTY });
    let err = '';
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => (err += chunk));
    return { stdout, stderr, err: () => err };
  }
  const cases = [
    { what: 'stdout a file, stderr a terminal: shown (long runs into a file)', stderrTTY: true, stdoutTTY: false, stdoutIsFile: true, shown: true },
    { what: 'stdout a pipe, stderr a terminal: not shown (rows would be glued to it)', stderrTTY: true, stdoutTTY: false, stdoutIsFile: false, shown: false },
    { what: 'both terminals: shown', stderrTTY: true, stdoutTTY: true, stdoutIsFile: false, shown: true },
    { what: 'stderr not a terminal: never', stderrTTY: false, stdoutTTY: false, stdoutIsFile: true, shown: false },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const s = streams(c.stderrTTY, c.stdoutTTY);
      const io = new IO({ stdout: s.stdout, stderr: s.stderr, env: {}, stdoutIsFile: c.stdoutIsFile });
      io.progress().update('10 of ~20 messages');
      await settle();
      expect(s.err().includes('10 of ~20 messages')).toBe(c.shown);
    });
  }
});
