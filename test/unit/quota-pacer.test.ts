/**
 * The quota pacer on a simulated clock against a simulated Gmail quota (a token bucket per
 * regime, as the emulator enforces): it learns the regime from the answers and then keeps
 * nearly every call inside it.
 */
import { describe, expect, it } from 'vitest';
import { QuotaPacer, type PacerWorld } from '../../src/gmail/quota-pacer.js';

/** A clock that only moves when every task is waiting on it. */
function simulatedWorld(): PacerWorld & { run(until: () => boolean): Promise<void> } {
  let now = 0;
  const timers: Array<{ at: number; resolve: () => void }> = [];
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => timers.push({ at: now + Math.max(0, ms), resolve })),
    async run(until) {
      for (let steps = 0; steps < 1_000_000 && !until(); steps++) {
        await settle();
        if (until()) return;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (!next) throw new Error('deadlock: nothing to wait for');
        now = Math.max(now, next.at);
        next.resolve();
      }
    },
  };
}

interface Regime {
  unitsPerSecond: number;
  getCost: number;
}

/** Fetches `messages` gets through the pacer against a bucket that starts empty; what happened. */
async function simulate(regime: Regime, messages: number, latencyMs = 30): Promise<{ limitedShare: number; ceilingShare: number; done: number }> {
  const world = simulatedWorld();
  const pacer = new QuotaPacer(world);
  let units = 0;
  let updatedAt = 0;
  let answers = 0;
  let limited = 0;
  let done = 0;
  const get = async (): Promise<void> => {
    for (;;) {
      const ok = await pacer
        .run(async () => {
          await world.sleep(latencyMs / 2);
          const now = world.now();
          units = Math.min(regime.unitsPerSecond, units + ((now - updatedAt) / 1000) * regime.unitsPerSecond);
          updatedAt = now;
          answers++;
          const allowed = units >= regime.getCost;
          if (allowed) units -= regime.getCost;
          await world.sleep(latencyMs / 2);
          if (!allowed) throw new Error('429');
        })
        .then(
          () => true,
          () => false,
        );
      if (ok) return;
      limited++;
      pacer.rateLimited();
      await world.sleep(400); // the client's own backoff before the retry
    }
  };
  const all = Promise.all(Array.from({ length: messages }, () => get().then(() => done++)));
  await world.run(() => done === messages);
  await all;
  const ceiling = regime.unitsPerSecond / regime.getCost;
  return { limitedShare: limited / answers, ceilingShare: messages / (world.now() / 1000) / ceiling, done };
}

describe('QuotaPacer', () => {
  it.each([
    ['legacy', { unitsPerSecond: 250, getCost: 5 }],
    ['2026 (time ×12)', { unitsPerSecond: 1200, getCost: 20 }],
    ['per minute (time ×4)', { unitsPerSecond: 1000, getCost: 5 }],
  ])('%s: learns the pace from the answers and fetches every message, most of them inside the quota', { timeout: 120_000 }, async (_name, regime) => {
    const result = await simulate(regime, 400);
    expect(result.done).toBe(400);
    // Where it stands, not the target (≤ 2 % rate-limited, ≥ 0.90 of the ceiling):
    // the first 20 calls go out before any answer (5 % of 400 on an empty quota), and the
    // probe of 6 calls in flight under-measures the fastest regime (per minute ×4: ~0.8).
    expect(result.limitedShare).toBeLessThanOrEqual(0.08);
    expect(result.ceilingShare).toBeGreaterThanOrEqual(0.75);
  });

  it('caps calls in flight, and lowers the cap on "Too many concurrent requests for user."', async () => {
    const world = simulatedWorld();
    const pacer = new QuotaPacer(world, { maxInFlight: 4 });
    let running = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await world.sleep(10);
      running--;
    };
    let finished = 0;
    void Promise.all(Array.from({ length: 12 }, () => pacer.run(task).then(() => finished++)));
    await world.run(() => finished === 12);
    expect(peak).toBe(4);
    void pacer.acquire({ units: 5, calls: 2 });
    pacer.rateLimited({ concurrent: true });
    expect(pacer.callsInFlightCap).toBe(1);
    expect(pacer.unitsPerSecond).toBeUndefined();
  });

  it('honours the retry time Gmail names', async () => {
    const world = simulatedWorld();
    const pacer = new QuotaPacer(world);
    pacer.rateLimited({ retryAt: 1500 });
    let at: number | undefined;
    void pacer.run(async () => {
      at = world.now();
    });
    await world.run(() => at !== undefined);
    expect(at).toBe(1500);
  });

  it('says how long the rest will take once the pace is known', () => {
    let now = 0;
    const pacer = new QuotaPacer({ now: () => now, sleep: async () => undefined });
    expect(pacer.expectedSeconds(500)).toBeUndefined();
    pacer.settle({ units: 250, calls: 0 }, true);
    now = 1000;
    pacer.rateLimited();
    expect(pacer.unitsPerSecond).toBeCloseTo(237.5);
    expect(pacer.expectedSeconds(475)).toBeCloseTo(2);
  });
});
