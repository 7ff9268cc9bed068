/**
 * The progress line of `list` on a terminal: what it says before Gmail's per-user limit is
 * known, and the time left at that limit once the quota pacer has learned it.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fitProgressText, ProgressLine } from '../../src/basics/io.js';
import { settle } from './fake-io.js';
import { pauseText, progressText } from '../../src/commands/list.js';
import { METADATA_UNITS_PER_MESSAGE } from '../../src/gmail/listing.js';
import { QuotaPacer } from '../../src/gmail/quota-pacer.js';

describe('the progress line', () => {
  it('shows messages, the estimate and the rate while no limit has been learned', () => {
    expect(progressText({ written: 250, expected: 1000, perSecond: 49.6, secondsLeft: undefined })).toBe('250 of ~1000 messages, 50/s');
  });

  it('adds the time left at the learned limit, in seconds or minutes as an estimate deserves', () => {
    expect(progressText({ written: 250, expected: 1000, perSecond: 50, secondsLeft: 200 })).toBe("250 of ~1000 messages, 50/s, ~3 min left at Gmail's per-user limit");
    expect(progressText({ written: 900, expected: 1000, perSecond: 50, secondsLeft: 39.2 })).toBe("900 of ~1000 messages, 50/s, ~40 s left at Gmail's per-user limit");
    expect(progressText({ written: 0, expected: 200_000, perSecond: 5, secondsLeft: 4000 })).toBe("0 of ~200000 messages, 5/s, ~1 h 7 min left at Gmail's per-user limit");
    expect(progressText({ written: 1000, expected: 1000, perSecond: 50, secondsLeft: 0 })).toBe('1000 of ~1000 messages, 50/s');
  });

  it('takes the time left from what the pacer learned: 2026 quota (6,000 units a minute, a get 20) ≈ 5 messages a second', () => {
    let now = 0;
    const pacer = new QuotaPacer({ now: () => now, sleep: async () => undefined });
    const answer = (spentUnits: number, rateLimited: number): void => pacer.settle({ cost: { units: 0, calls: 0 }, sentAt: now }, { spentUnits, rateLimited, concurrent: 0 });
    // Counted in the classic units (a get 5): Gmail refuses three times in a row (its bucket is empty), then lets 5 gets a second through until it refuses again.
    for (let i = 0; i < 3; i++) {
      now += i === 0 ? 0 : 200;
      answer(0, 1);
    }
    for (let i = 0; i < 20; i++) {
      now += 200;
      answer(5, 0);
    }
    answer(0, 1);
    const seconds = pacer.secondsFor(1000 * METADATA_UNITS_PER_MESSAGE)!;
    expect(seconds / 60).toBeGreaterThan(3.3);
    expect(progressText({ written: 0, expected: 1000, perSecond: 5, secondsLeft: seconds })).toMatch(/, ~3 min left at Gmail's per-user limit$/);
  });

  it("says when Gmail's per-minute quota is spent: how long the wait is, and until when", () => {
    const now = new Date(2026, 2, 14, 12, 0, 45, 300).getTime();
    expect(pauseText({ kind: 'pause', ms: 14_700, text: '', perMinute: true }, now)).toBe("Gmail's per-minute quota is spent: waiting 15 s, until 12:01:00");
    expect(pauseText({ kind: 'pause', ms: 2000, text: '' }, now)).toBe('Gmail asked to wait: 2 s, until 12:00:47');
    // Short waits are the pace at work: the line keeps counting messages.
    expect(pauseText({ kind: 'pause', ms: 400, text: '' }, now)).toBeUndefined();
    expect(pauseText({ kind: 'wait', ms: 3000, text: '' }, now)).toBeUndefined();
  });
});

describe('the progress line fits the terminal (issue #24: a wrapped line left its first rows behind)', () => {
  const LONG = "600 of ~700 messages, 48/s, ~3 s left at Gmail's per-user limit";

  it('cuts the text to one column less than the terminal, ending with …', () => {
    expect(fitProgressText(LONG, 40)).toBe(`${LONG.slice(0, 38)}…`);
    expect(fitProgressText(LONG, 40)).toHaveLength(39);
    expect(fitProgressText('10 of ~20 messages', 40)).toBe('10 of ~20 messages');
    expect(fitProgressText('10 of ~20 messages', 19)).toBe('10 of ~20 messages');
    expect(fitProgressText('10 of ~20 messages', 18)).toBe('10 of ~20 messag…');
    expect(fitProgressText(LONG, 1)).toBe('');
  });

  /** A stderr on a terminal of `columns` columns that can be resized as Node's tty streams are. */
  function terminal(columns: number) {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns });
    let written = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (written += chunk));
    return {
      stream,
      written: () => written,
      resize(to: number) {
        stream.columns = to;
        stream.emit('resize');
      },
    };
  }
  const visible = (text: string): string[] =>
    text
      .replace(/\x1b\[\d*[AJK]/g, '\n')
      .split(/[\r\n]/)
      .filter((part) => part !== '');

  it('every redraw is at most columns − 1 wide, at the width of the moment', async () => {
    const t = terminal(40);
    const line = new ProgressLine(t.stream);
    line.update(LONG);
    await settle();
    expect(visible(t.written()).every((part) => part.length <= 39)).toBe(true);
    t.resize(100);
    line.update(LONG);
    await settle();
    expect(visible(t.written()).at(-1)).toBe(LONG);
    line.clear();
  });

  it('follows a resize at once: a narrower terminal gets the line redrawn to fit, erasing the rows the re-wrapped line took', async () => {
    const t = terminal(100);
    const line = new ProgressLine(t.stream);
    line.update(LONG); // 64 columns: one row at 100
    await settle();
    const before = t.written().length;
    t.resize(30); // a terminal that re-wraps it now shows it on 3 rows
    await settle();
    const redraw = t.written().slice(before);
    expect(redraw.startsWith('\r\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K')).toBe(true);
    expect(visible(redraw)).toEqual([`${LONG.slice(0, 28)}…`]);
    line.clear();
    await settle();
    expect(t.written().endsWith(`${LONG.slice(0, 28)}…\r\x1b[2K`)).toBe(true);
    // Cleared: a resize no longer draws anything.
    const after = t.written().length;
    t.resize(80);
    await settle();
    expect(t.written().length).toBe(after);
  });
});
