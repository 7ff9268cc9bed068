/**
 * The progress line of `list` on a terminal: what it says before Gmail's per-user limit is
 * known, and the time left at that limit once the quota pacer has learned it.
 */
import { describe, expect, it } from 'vitest';
import { progressText } from '../../src/commands/list.js';
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
    // Counted in the classic units (a get 5): Gmail lets 5 gets a second through between two refusals.
    answer(0, 1);
    for (let i = 0; i < 20; i++) {
      now += 200;
      answer(5, 0);
    }
    answer(0, 1);
    const seconds = pacer.secondsFor(1000 * METADATA_UNITS_PER_MESSAGE)!;
    expect(seconds / 60).toBeGreaterThan(3.3);
    expect(progressText({ written: 0, expected: 1000, perSecond: 5, secondsLeft: seconds })).toMatch(/, ~3 min left at Gmail's per-user limit$/);
  });
});
