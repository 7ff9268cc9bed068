import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../src/gmail/adaptive-limit.js';

/** A task that stays running until released, recording how many ran at once. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AdaptiveLimit', () => {
  it('starts at the initial limit and runs no more tasks than that at once', async () => {
    const limit = new AdaptiveLimit({ initial: 3, min: 1, max: 10 });
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 8 }, gate);
    const all = gates.map((g) =>
      limit.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await g.promise;
        running -= 1;
      }),
    );
    await tick();
    expect(running).toBe(3);
    expect(peak).toBe(3); // before any task finished (finishing ones grow the limit)
    for (const g of gates) g.open();
    await Promise.all(all);
  });

  it('doubles every round of successes until the first rate limit (slow start)', async () => {
    const limit = new AdaptiveLimit({ initial: 2, min: 1, max: 100 });
    for (let i = 0; i < 2; i += 1) await limit.run(async () => undefined);
    expect(limit.current).toBe(4);
    for (let i = 0; i < 4; i += 1) await limit.run(async () => undefined);
    expect(limit.current).toBe(8);
  });

  it('after a rate limit, grows by about one slot per round of successes', async () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 10 });
    limit.rateLimited(1_000_000); // 4 → 2, and slow start is over
    expect(limit.current).toBe(2);
    // 2 successes at limit 2: 2 + 1/2 + 1/2.5 = 2.9 → still 2; a third makes it 3.
    for (let i = 0; i < 3; i += 1) await limit.run(async () => undefined);
    expect(limit.current).toBe(3);
    for (let i = 0; i < 100; i += 1) await limit.run(async () => undefined);
    expect(limit.current).toBeGreaterThan(3);
  });

  it('never grows above the maximum', async () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 5 });
    for (let i = 0; i < 500; i += 1) await limit.run(async () => undefined);
    expect(limit.current).toBe(5);
  });

  it('a failing task does not grow the limit, and frees its slot', async () => {
    const limit = new AdaptiveLimit({ initial: 1, min: 1, max: 10 });
    await expect(limit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(limit.current).toBe(1);
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it('halves on a rate limit, once per second however many answers arrive', () => {
    const limit = new AdaptiveLimit({ initial: 16, min: 1, max: 40 });
    limit.rateLimited(10_000);
    expect(limit.current).toBe(8);
    limit.rateLimited(10_001);
    limit.rateLimited(10_999);
    expect(limit.current).toBe(8);
    limit.rateLimited(11_000);
    expect(limit.current).toBe(4);
  });

  it('never drops below the minimum', () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 2, max: 40 });
    for (let i = 0; i < 10; i += 1) limit.rateLimited(1_000_000 + i * 1000);
    expect(limit.current).toBe(2);
  });

  it('after a halving, running tasks finish but new ones wait until below the new limit', async () => {
    const limit = new AdaptiveLimit({ initial: 4, min: 1, max: 4 });
    let running = 0;
    const gates = Array.from({ length: 6 }, gate);
    const all = gates.map((g) =>
      limit.run(async () => {
        running += 1;
        await g.promise;
        running -= 1;
      }),
    );
    await tick();
    expect(running).toBe(4);
    limit.rateLimited(5_000_000);
    expect(limit.current).toBe(2);
    gates[0]?.open();
    gates[1]?.open();
    await tick();
    await tick();
    // Two successes lift the limit from 2 to 2.9, still 2 slots: the two waiting tasks may not start.
    expect(limit.current).toBe(2);
    expect(running).toBe(2);
    for (const g of gates) g.open();
    await Promise.all(all);
  });

  it('in any interleaving of tasks, successes, failures and rate limits, never runs more than the current limit and stays within [min, max]', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('start' as const), fail: fc.boolean() }),
      fc.record({ kind: fc.constant('finish' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('rateLimited' as const), after: fc.integer({ min: 0, max: 2000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(step, { maxLength: 60 }),
        async (min, extraInitial, extraMax, steps) => {
          const initial = min + extraInitial;
          const max = initial + extraMax;
          const limit = new AdaptiveLimit({ initial, min, max });
          let running = 0;
          let now = 1_000_000;
          const open: Array<{ release: () => void; fail: boolean }> = [];
          const tasks: Promise<unknown>[] = [];
          const check = (): void => {
            expect(limit.current).toBeGreaterThanOrEqual(min);
            expect(limit.current).toBeLessThanOrEqual(max);
          };
          for (const s of steps) {
            if (s.kind === 'start') {
              tasks.push(
                limit
                  .run(async () => {
                    running += 1;
                    // Admission happens against the limit at that moment.
                    expect(running).toBeLessThanOrEqual(limit.current);
                    const g = gate();
                    open.push({ release: g.open, fail: s.fail });
                    await g.promise;
                    running -= 1;
                    if (s.fail) throw new Error('failed');
                  })
                  .catch(() => undefined),
              );
            } else if (s.kind === 'finish' && open.length > 0) {
              const [task] = open.splice(s.which % open.length, 1);
              task?.release();
            } else if (s.kind === 'rateLimited') {
              now += s.after;
              limit.rateLimited(now);
            }
            await tick();
            check();
          }
          while (open.length > 0) {
            open.shift()?.release();
            await tick();
            check();
          }
          await Promise.all(tasks);
          expect(running).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});
