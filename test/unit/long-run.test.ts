/**
 * settleIntoLongRun (src/basics/long-run.ts): after it, V8 optimizes nothing new — the
 * optimizing compiler's scratch memory on worker threads is what made a day of
 * `list --follow` grow. Checked in a child node with V8's natives syntax, which reports
 * whether a function got optimized; the same hot function without the call is the control,
 * so the check can fail.
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const LONG_RUN = path.resolve(import.meta.dirname, '../../src/basics/long-run.ts');

/** Runs a hot function in a child node, settled first or not; answers whether V8 optimized it. */
async function optimizedAfterWarmUp(settle: boolean): Promise<boolean> {
  const script = `
    import { settleIntoLongRun } from ${JSON.stringify(LONG_RUN)};
    if (${settle}) settleIntoLongRun();
    const status = new Function('f', 'return %GetOptimizationStatus(f)');
    function hot(x) { let sum = 0; for (let i = 0; i < 50; i++) sum += (x * i) % 7; return sum; }
    let total = 0;
    for (let round = 0; round < 40 && !(status(hot) & 16); round++) {
      for (let i = 0; i < 1e5; i++) total += hot(i);
      await new Promise((resolve) => setTimeout(resolve, 10)); // concurrent compiles finish meanwhile
    }
    process.stdout.write(String(Boolean(status(hot) & 16) && total > 0)); // 16: kOptimized (V8 11)
  `;
  const child = await execa(process.execPath, ['--import', 'tsx', '--allow-natives-syntax', '--input-type=module', '-e', script]);
  return child.stdout === 'true';
}

describe('settleIntoLongRun', () => {
  it('a hot function is optimized without it (the control)', async () => {
    expect(await optimizedAfterWarmUp(false)).toBe(true);
  }, 30_000);

  it('after it, the same hot function is never optimized', async () => {
    expect(await optimizedAfterWarmUp(true)).toBe(false);
  }, 30_000);
});
