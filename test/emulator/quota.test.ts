import { describe, expect, it } from 'vitest';
import { QuotaLimiter } from './quota.js';

/** A limiter on a hand-driven clock, so that counts are exact. */
function limiter(options: ConstructorParameters<typeof QuotaLimiter>[0]): { quota: QuotaLimiter; advance(ms: number): void } {
  let now = 0;
  return { quota: new QuotaLimiter(options, () => now), advance: (ms) => (now += ms) };
}

function allowedGets(quota: QuotaLimiter, tries: number, user = 'a@example.com'): number {
  let allowed = 0;
  for (let i = 0; i < tries; i++) if (quota.take(user, 'messages.get').allowed) allowed++;
  return allowed;
}

describe('QuotaLimiter', () => {
  it('legacy: a full bucket holds 250 units, 50 gets; refills 250 units a second', () => {
    const { quota, advance } = limiter({ regime: 'legacy' });
    expect(allowedGets(quota, 100)).toBe(50);
    advance(100);
    expect(allowedGets(quota, 100)).toBe(5);
    expect(quota.take('a@example.com', 'messages.get')).toEqual({ allowed: false, retryAfterMs: 20 });
  });

  it('2026: 6,000 units a minute, gets cost 20, lists 5, profile and labels 1', () => {
    const { quota, advance } = limiter({ regime: '2026' });
    expect(allowedGets(quota, 400)).toBe(300);
    advance(1000);
    expect(allowedGets(quota, 10)).toBe(5);
    advance(1000);
    const costs = ['messages.list', 'getProfile', 'labels.list'] as const;
    expect(costs.map((method) => quota.take('a@example.com', method).allowed)).toEqual([true, true, true]);
  });

  it('timeScale shortens the window', () => {
    const { quota, advance } = limiter({ regime: '2026', timeScale: 60 });
    expect(allowedGets(quota, 400)).toBe(300);
    advance(1000);
    expect(allowedGets(quota, 400)).toBe(300);
  });

  it('keeps one bucket per user and honours burstUnits', () => {
    const { quota } = limiter({ regime: 'legacy', burstUnits: 10 });
    expect(allowedGets(quota, 5, 'a@example.com')).toBe(2);
    expect(allowedGets(quota, 5, 'b@example.com')).toBe(2);
  });

  it('rejects an unknown regime or a bad time scale', () => {
    expect(() => new QuotaLimiter({ regime: 'nope' as never })).toThrow();
    expect(() => new QuotaLimiter({ regime: 'legacy', timeScale: 0 })).toThrow();
  });
});
