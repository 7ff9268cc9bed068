/**
 * The quota pacer on a simulated clock against a simulated Gmail that is as strict as the
 * emulator's strict mode (a token bucket per regime that starts empty, a batch charged
 * whole or refused whole, a cap of 25 calls in flight, "Retry after" the moment the
 * refused cost would fit): it learns the regime from the answers and then keeps nearly
 * every call inside it.
 */
import { describe, expect, it } from 'vitest';
import { pacedAdapter } from '../../src/gmail/paced-transport.js';
import { QuotaPacer, quotaMethodOf, UNIT_COSTS, type LearnedQuota, type PacerOptions, type PacerWorld } from '../../src/gmail/quota-pacer.js';

/** A clock that only moves when every task is waiting on it. */
function simulatedWorld(): PacerWorld & { run(until: () => boolean): Promise<void> } {
  let now = 0;
  const timers: Array<{ at: number; seq: number; resolve: () => void }> = [];
  let seq = 0;
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => timers.push({ at: now + Math.max(0, ms), seq: seq++, resolve })),
    async run(until) {
      for (let steps = 0; steps < 2_000_000 && !until(); steps++) {
        await settle();
        if (until()) return;
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (!next) throw new Error('deadlock: nothing to wait for');
        now = Math.max(now, next.at);
        next.resolve();
      }
    },
  };
}

interface Regime {
  /** Gmail's refill, in its own units per second (time-scaled as the benchmark runs it). */
  unitsPerSecond: number;
  /** Its bucket: one window's units. */
  capacity: number;
  getCost: number;
  listCost: number;
}

const REGIMES: Array<[string, Regime]> = [
  ['legacy', { unitsPerSecond: 250, capacity: 250, getCost: 5, listCost: 5 }],
  ['per minute', { unitsPerSecond: 250, capacity: 15_000, getCost: 5, listCost: 5 }],
  ['2026 (time ×12)', { unitsPerSecond: 1200, capacity: 6000, getCost: 20, listCost: 5 }],
];

interface Outcome {
  messages: number;
  calls: number;
  rateLimited: number;
  concurrent: number;
  /** Messages per second ÷ what the regime allows (units per message: a get and a hundredth of a list call). */
  ceilingShare: number;
  /** Simulated seconds from the empty bucket to the last message. */
  seconds: number;
  /** The pace the pacer keeps at the end (units/s), learned or not. */
  pace: number;
  /** What it would remember for the next run. */
  learned?: LearnedQuota | undefined;
}

/** A rate-limit answer that is not the quota (a backend hiccup, another process): Gmail refuses call number `atCall` and charges nothing. */
interface Stray {
  atCall: number;
  retryInMs: number;
}

/**
 * A listing of `messages` ids in pages of 100 (a list call each) whose metadata is fetched
 * in batches the pacer sizes, against a Gmail whose bucket was emptied just before the
 * start and refilled for `startupMs` since (the process starting). A rate-limited batch is
 * retried whole after the retry policy's wait; parts refused for concurrency are fetched
 * again. Time counts from the empty bucket.
 */
async function simulate(
  regime: Regime,
  messages = 1000,
  {
    latencyMs = 30,
    startupMs = 300,
    stray,
    full = false,
    remembered,
  }: { latencyMs?: number; startupMs?: number; stray?: Stray; full?: boolean; remembered?: PacerOptions['remembered'] } = {},
): Promise<Outcome> {
  const world = simulatedWorld();
  // PACER_SIM_TRACE=1: every pause, change of pace and refusal on the simulated clock, to see what the pacer did.
  const trace = process.env.PACER_SIM_TRACE ? (event: { text: string }) => console.log(`${world.now().toFixed(0)} ms: ${event.text}`) : undefined;
  const pacer = new QuotaPacer(world, { ...(trace ? { onEvent: trace } : {}), ...(remembered ? { remembered } : {}) });
  // Full: the first run of the day, Gmail's whole bucket to spend before its refill paces the rest.
  let bucket = full ? regime.capacity : (regime.unitsPerSecond * startupMs) / 1000;
  let updatedAt = 0;
  let inFlight = 0;
  const outcome: Outcome = { messages: 0, calls: 0, rateLimited: 0, concurrent: 0, ceilingShare: 0, seconds: 0, pace: 0 };
  const started = world.sleep(startupMs);
  await world.run(() => world.now() >= startupMs);
  await started;

  /** Gmail: charges (or refuses) the calls of one request on arrival; answers each call's status. */
  const gmail = async (costs: number[], batch: boolean): Promise<{ statuses: Array<200 | 'quota' | 'concurrent'>; retryInMs?: number }> => {
    await world.sleep(latencyMs / 3);
    const now = world.now();
    bucket = Math.min(regime.capacity, bucket + ((now - updatedAt) / 1000) * regime.unitsPerSecond);
    updatedAt = now;
    const admitted = Math.max(0, Math.min(costs.length, 25 - inFlight));
    const charged = costs.slice(0, admitted).reduce((a, b) => a + b, 0);
    let statuses: Array<200 | 'quota' | 'concurrent'>;
    let retryInMs: number | undefined;
    if (bucket >= charged || !batch) {
      statuses = costs.map((cost, i) => {
        if (i >= admitted) return 'concurrent';
        if (bucket >= cost) {
          bucket -= cost;
          return 200;
        }
        retryInMs = ((cost - bucket) / regime.unitsPerSecond) * 1000;
        return 'quota';
      });
    } else {
      statuses = costs.map(() => 'quota');
      retryInMs = ((charged - bucket) / regime.unitsPerSecond) * 1000;
    }
    // The stray answer: this one call refused (a part of a batch, or a call alone), nothing charged for it.
    const strayAt = stray === undefined ? -1 : stray.atCall - outcome.calls - 1;
    if (strayAt >= 0 && strayAt < costs.length && statuses[strayAt] === 200) {
      statuses[strayAt] = 'quota';
      bucket += costs[strayAt]!;
      retryInMs = Math.max(retryInMs ?? 0, stray!.retryInMs + (latencyMs * 2) / 3);
    }
    inFlight += admitted;
    await world.sleep((latencyMs * 2) / 3);
    inFlight -= admitted;
    outcome.calls += costs.length;
    outcome.rateLimited += statuses.filter((s) => s === 'quota').length;
    if (trace && statuses.includes('quota')) trace({ text: `Gmail refused ${statuses.filter((s) => s === 'quota').length} of ${costs.length} (${batch ? 'batch' : 'alone'}), bucket ${bucket.toFixed(0)}` });
    outcome.concurrent += statuses.filter((s) => s === 'concurrent').length;
    return { statuses, ...(retryInMs === undefined ? {} : { retryInMs: retryInMs - (latencyMs * 2) / 3 }) };
  };

  /** One request through the pacer, retried as the client's retry policy does while it is refused whole. */
  const send = async (methods: Array<'get' | 'list'>, batch: boolean): Promise<Array<200 | 'quota' | 'concurrent'>> => {
    const units = methods.length * UNIT_COSTS['messages.get'];
    for (let attempt = 1; ; attempt++) {
      const ticket = await pacer.acquire({ units, calls: methods.length }, { batch: batch && attempt === 1 });
      const answer = await gmail(methods.map((m) => (m === 'get' ? regime.getCost : regime.listCost)), batch);
      const limited = answer.statuses.filter((s) => s === 'quota').length;
      const concurrent = answer.statuses.filter((s) => s === 'concurrent').length;
      pacer.settle(ticket, {
        spentUnits: UNIT_COSTS['messages.get'] * (methods.length - limited - concurrent),
        rateLimited: limited,
        concurrent,
        ...(answer.retryInMs === undefined ? {} : { retryInMs: answer.retryInMs }),
      });
      const wholeRefused = limited === methods.length;
      if (!wholeRefused) return answer.statuses;
      await world.sleep(Math.max(answer.retryInMs ?? 0, 200 * 2 ** (attempt - 1)));
    }
  };

  const queue: number[] = [];
  let listed = 0;
  let wake: (() => void) | undefined;
  const lister = (async () => {
    while (listed < messages) {
      // The next page is asked for once the queue runs low, as the listing reads ahead by a page.
      while (queue.length > 100) await new Promise<void>((resolve) => (wake = resolve));
      await send(['list'], false);
      const page = Math.min(100, messages - listed);
      queue.push(...Array.from({ length: page }, (_, i) => listed + i));
      listed += page;
      wake?.();
    }
  })();
  const batches: Array<Promise<void>> = [];
  const fetcher = (async () => {
    while (outcome.messages < messages) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const count = await pacer.reserve(UNIT_COSTS['messages.get'], queue.length);
      const chunk = queue.splice(0, count);
      if (chunk.length === 0) continue;
      wake?.();
      batches.push(
        send(
          chunk.map(() => 'get'),
          true,
        ).then((statuses) => {
          statuses.forEach((status, i) => (status === 200 ? outcome.messages++ : queue.push(chunk[i]!)));
          wake?.();
        }),
      );
    }
  })();
  await world.run(() => outcome.messages === messages);
  await Promise.all([lister, fetcher, ...batches]);
  const seconds = (world.now() - 0) / 1000;
  const unitsPerMessage = regime.getCost + regime.listCost / 100;
  // With a full bucket, the ideal spends it at once and the rest at the refill.
  outcome.ceilingShare = full ? (messages * unitsPerMessage - regime.capacity) / regime.unitsPerSecond / seconds : messages / seconds / (regime.unitsPerSecond / unitsPerMessage);
  outcome.seconds = seconds;
  outcome.pace = pacer.currentPace;
  outcome.learned = pacer.learned();
  return outcome;
}

/** PACER_SIM_FIGURES=1: each run's figures on the simulated clock. */
function figures(name: string, result: Outcome): void {
  if (!process.env.PACER_SIM_FIGURES) return;
  console.log(`${name}: ${result.messages} messages in ${result.seconds.toFixed(2)} s = ${result.ceilingShare.toFixed(3)} of the ceiling; ${result.rateLimited} of ${result.calls} calls refused = ${((100 * result.rateLimited) / result.calls).toFixed(2)} %; pace ${result.pace.toFixed(0)}; learned ${JSON.stringify(result.learned)}`);
}

describe('QuotaPacer', () => {
  it.each(REGIMES)('$0: learns the pace from the answers and fetches every message, at most 2 in 100 rate-limited, at least 0.90 of the ceiling', { timeout: 60_000 }, async (_name, regime) => {
    const result = await simulate(regime, 1000);
    expect(result.concurrent).toBe(0);
    expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.02);
    expect(result.ceilingShare).toBeGreaterThanOrEqual(0.9);
  });

  it('2026 at its real pace (5 gets a second), from an empty quota: the start meets it 20 times too fast, and the rest is paced', { timeout: 60_000 }, async () => {
    const result = await simulate({ unitsPerSecond: 100, capacity: 6000, getCost: 20, listCost: 5 }, 1000);
    expect(result.concurrent).toBe(0);
    expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.03);
    expect(result.ceilingShare).toBeGreaterThanOrEqual(0.9);
  });

  describe('a cold run: the first run of the day meets a full bucket, then the wall', () => {
    /** Enough messages for the wall to come: the bucket's worth and as much again. */
    const COLD: Array<[string, Regime, number]> = [
      ['legacy', REGIMES[0]![1], 1000],
      ['per minute', REGIMES[1]![1], 4000],
      ['2026 (time ×12)', REGIMES[2]![1], 900],
      ['2026 (real time)', { unitsPerSecond: 100, capacity: 6000, getCost: 20, listCost: 5 }, 900],
    ];
    it.each(COLD)('%s: at most 2 in 100 calls rate-limited, at least 0.90 of the ceiling', { timeout: 60_000 }, async (_name, regime, messages) => {
      const result = await simulate(regime, messages, { full: true });
      figures(`cold ${_name}`, result);
      expect(result.messages).toBe(messages);
      expect(result.concurrent).toBe(0);
      expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.02);
      expect(result.ceilingShare).toBeGreaterThanOrEqual(0.9);
    });
  });

  describe('a warm run: what the last run learned is remembered', () => {
    const regime = REGIMES[2]![1];
    // The issue's target. Of the 0.05 left, 0.03 is the process starting (Gmail's full bucket refills nothing meanwhile).
    it('2026 (time ×12): the next run, its bucket refilled, spends the bucket and goes on at the pace: at least 0.95 of the ceiling (the cold run: 0.90), at most 1 in 200 calls rate-limited', { timeout: 60_000 }, async () => {
      const cold = await simulate(regime, 900, { full: true });
      expect(cold.learned?.unitsPerSecond).toBeGreaterThan(0);
      expect(cold.learned?.bucketUnits).toBeGreaterThan(0);
      const warm = await simulate(regime, 900, { full: true, remembered: { unitsPerSecond: cold.learned!.unitsPerSecond, availableUnits: cold.learned!.bucketUnits!, bucketUnits: cold.learned!.bucketUnits! } });
      figures('cold 2026 ×12 (before warm)', cold);
      figures('warm 2026 ×12', warm);
      expect(warm.messages).toBe(900);
      expect(warm.rateLimited / warm.calls).toBeLessThanOrEqual(0.005);
      expect(warm.ceilingShare).toBeGreaterThanOrEqual(0.95);
    });

    it('a run started right after the last one (less come back into the bucket than a call costs) still goes, at the remembered pace', { timeout: 60_000 }, async () => {
      // Two runs a few milliseconds apart (an in-process caller, a script's loop): 2 units came
      // back, a get costs 5. The credit must not hold back the pacer's own refill for ever.
      const legacy = REGIMES[0]![1];
      const warm = await simulate(legacy, 200, { remembered: { unitsPerSecond: 240, availableUnits: 2, bucketUnits: 250 } });
      expect(warm.messages).toBe(200);
      expect(warm.ceilingShare).toBeGreaterThanOrEqual(0.8);
    });

    it('a quota raised since it was remembered (twice the pace) is noticed within the run: the pacer probes upward when Gmail refuses nothing', { timeout: 60_000 }, async () => {
      const result = await simulate(regime, 3000, { full: true, remembered: { unitsPerSecond: 150, availableUnits: 1500, bucketUnits: 1500 } });
      figures('raised quota (remembered half the pace)', result);
      expect(result.messages).toBe(3000);
      expect(result.learned?.unitsPerSecond).toBeGreaterThan(300 * 0.9);
      expect(result.learned?.unitsPerSecond).toBeLessThan(300 * 1.05);
      expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.02);
    });

    it('a quota that holds costs few refusals over a long run, probes included', { timeout: 60_000 }, async () => {
      const cold = await simulate(regime, 900, { full: true });
      const result = await simulate(regime, 6000, { full: true, remembered: { unitsPerSecond: cold.learned!.unitsPerSecond, availableUnits: cold.learned!.bucketUnits!, bucketUnits: cold.learned!.bucketUnits! } });
      figures('long warm run (6,000 messages)', result);
      expect(result.messages).toBe(6000);
      expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.005);
      expect(result.ceilingShare).toBeGreaterThanOrEqual(0.95);
    });

    it('a remembered pace that turns out wrong (twice too fast: a new project) is learned again within the run', { timeout: 60_000 }, async () => {
      const result = await simulate(regime, 1000, { remembered: { unitsPerSecond: 600 } });
      figures('remembered twice too fast', result);
      expect(result.messages).toBe(1000);
      expect(result.learned?.unitsPerSecond).toBeGreaterThan(300 * 0.85);
      expect(result.learned?.unitsPerSecond).toBeLessThan(300 * 1.05);
      expect(result.rateLimited / result.calls).toBeLessThanOrEqual(0.04);
    });
  });

  describe('one stray rate-limit answer (not the quota) costs the wait it names, and the pace before it resumes', () => {
    const NO_QUOTA: Regime = { unitsPerSecond: 1e12, capacity: 1e12, getCost: 5, listCost: 5 };
    it.each([['no quota', NO_QUOTA] as [string, Regime], ...REGIMES])('%s: on the first call, and in the middle of the run', { timeout: 60_000 }, async (_name, regime) => {
      const messages = regime === NO_QUOTA ? 300 : 1000;
      const clean = await simulate(regime, messages);
      for (const atCall of [1, Math.round(messages / 2)]) {
        const noisy = await simulate(regime, messages, { stray: { atCall, retryInMs: 1000 } });
        figures(`${_name} clean`, clean);
        figures(`${_name} stray at call ${atCall}`, noisy);
        expect(noisy.messages).toBe(messages);
        // The second it names, and at most half a second more (the issue's target: 1.5 s in all).
        expect(noisy.seconds - clean.seconds).toBeLessThanOrEqual(1.5);
        // The stray answer's own call, and at worst one more wall's worth of calls in flight: its wait refills
        // Gmail's bucket a little, and the start then meets the wall later, with more calls under way.
        expect(noisy.rateLimited - clean.rateLimited).toBeLessThanOrEqual(25);
        // The pace was not learned from the stray answer.
        expect(noisy.pace).toBeGreaterThanOrEqual(clean.pace * 0.8);
      }
    });
  });

  it('without a quota, a slow network (100 ms round trips) passes the published buckets: the calls in flight near them are enough to outrun any refill', { timeout: 60_000 }, async () => {
    const NO_QUOTA: Regime = { unitsPerSecond: 1e12, capacity: 1e12, getCost: 5, listCost: 5 };
    const result = await simulate(NO_QUOTA, 2000, { latencyMs: 100 });
    figures('no quota, 100 ms round trips', result);
    expect(result.messages).toBe(2000);
    // 24 calls in flight make 240 a second at 100 ms (11.9 s with the slow start and the caution near the
    // buckets); held at 6 calls near the 2026 bucket, 60 a second, slower than the refill assumed, it took 34.6 s.
    expect(result.seconds).toBeLessThan(15);
  });

  it('knows what each Gmail method costs', () => {
    expect(quotaMethodOf('/gmail/v1/users/me/messages/abc')).toBe('messages.get');
    expect(quotaMethodOf('/gmail/v1/users/me/messages')).toBe('messages.list');
    expect(quotaMethodOf('/gmail/v1/users/me/messages/abc/attachments/x')).toBe('messages.attachments.get');
    expect(quotaMethodOf('/gmail/v1/users/u%40example.com/history')).toBe('history.list');
    expect(quotaMethodOf('/gmail/v1/users/me/profile')).toBe('getProfile');
    expect(quotaMethodOf('/gmail/v1/users/me/labels')).toBe('labels.list');
    expect(quotaMethodOf('/gmail/v1/users/me/labels/Label_7')).toBe('labels.get');
    expect(quotaMethodOf('/gmail/v1/users/me/threads')).toBe('threads.list');
    expect(quotaMethodOf('/gmail/v1/users/me/threads/18c1f0e2a5b3d4e6')).toBe('threads.get');
    expect([UNIT_COSTS['threads.get'], UNIT_COSTS['threads.list'], UNIT_COSTS['labels.get']]).toEqual([10, 10, 1]);
    expect(quotaMethodOf('/token')).toBeUndefined();
    expect([UNIT_COSTS['messages.get'], UNIT_COSTS['messages.list'], UNIT_COSTS['history.list'], UNIT_COSTS.getProfile, UNIT_COSTS['labels.list']]).toEqual([5, 5, 2, 1, 1]);
  });

  it('caps calls in flight, and lowers the cap on "Too many concurrent requests for user."', async () => {
    const world = simulatedWorld();
    const pacer = new QuotaPacer(world, { maxInFlight: 4 });
    let running = 0;
    let peak = 0;
    const task = async (): Promise<void> => {
      // No units: only the cap on calls in flight holds them back.
      const ticket = await pacer.acquire({ units: 0, calls: 1 });
      running++;
      peak = Math.max(peak, running);
      await world.sleep(10);
      running--;
      pacer.settle(ticket, { spentUnits: 5, rateLimited: 0, concurrent: 0 });
    };
    let finished = 0;
    void Promise.all(Array.from({ length: 12 }, () => task().then(() => finished++)));
    await world.run(() => finished === 12);
    expect(peak).toBe(4);
    const first = await pacer.acquire({ units: 5, calls: 1 });
    const second = await pacer.acquire({ units: 5, calls: 1 });
    pacer.settle(second, { spentUnits: 0, rateLimited: 0, concurrent: 1 });
    pacer.settle(first, { spentUnits: 5, rateLimited: 0, concurrent: 0 });
    expect(pacer.callsInFlightCap).toBe(1);
    expect(pacer.unitsPerSecond).toBeUndefined();
  });

  it('sends nothing until the retry time Gmail names', async () => {
    const world = simulatedWorld();
    const pacer = new QuotaPacer(world);
    const ticket = await pacer.acquire({ units: 5, calls: 1 });
    pacer.settle(ticket, { spentUnits: 0, rateLimited: 1, concurrent: 0, retryInMs: 1500 });
    let at: number | undefined;
    void pacer.acquire({ units: 5, calls: 1 }).then(() => (at = world.now()));
    await world.run(() => at !== undefined);
    expect(at).toBeGreaterThanOrEqual(1500);
  });

  it('says how long the rest will take once the pace is learned, and not before', () => {
    let now = 0;
    const pacer = new QuotaPacer({ now: () => now, sleep: async () => undefined });
    const answer = (spentUnits: number, rateLimited: number): void =>
      pacer.settle({ cost: { units: 0, calls: 0 }, sentAt: now }, { spentUnits, rateLimited, concurrent: 0 });
    // Refused three times in a row, each right after the wait before: Gmail's bucket is empty (one answer alone proves nothing).
    for (let i = 0; i < 3; i++) {
      now += i === 0 ? 0 : 200;
      answer(0, 1);
    }
    expect(pacer.secondsFor(500)).toBeUndefined();
    // 200 units get through in the second that follows, then Gmail refuses again: 200 units/s.
    for (let i = 0; i < 40; i++) {
      now += 25;
      answer(5, 0);
    }
    expect(pacer.secondsFor(500)).toBeUndefined();
    answer(0, 1);
    expect(pacer.unitsPerSecond).toBeCloseTo(200 * 0.97, 5);
    expect(pacer.secondsFor(194)).toBeCloseTo(1, 5);
  });
});

describe('every Gmail request through the pacer (the gaxios adapter)', () => {
  const part = (id: number, status: number, body: object): string =>
    `--b\r\nContent-Type: application/http\r\nContent-ID: <response-${id}>\r\n\r\nHTTP/1.1 ${status} X\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(body)}\r\n`;
  const error = (message: string) => ({ error: { code: 429, message, errors: [{ reason: 'rateLimitExceeded', message }] } });

  it("counts a batch's parts: units spent, rate limits with Gmail's retry time, and the cap on calls in flight", async () => {
    let now = 0;
    const pacer = new QuotaPacer({ now: () => now, sleep: async (ms) => void (now += ms) });
    const adapter = pacedAdapter(pacer);
    const retryAt = new Date(Date.now() + 3000).toISOString();
    const body = `${part(0, 200, { id: 'a' })}${part(1, 429, error(`User-rate limit exceeded.  Retry after ${retryAt}`))}${part(2, 429, error('Too many concurrent requests for user.'))}--b--\r\n`;
    const data = ['a', 'b', 'c'].map((id, i) => `--x\r\nContent-Type: application/http\r\nContent-ID: <${i}>\r\n\r\nGET /gmail/v1/users/me/messages/${id}?format=metadata HTTP/1.1\r\n\r\n`).join('') + '--x--\r\n';
    const sent: string[] = [];
    const send = async (options: { url: URL }) => {
      sent.push(options.url.pathname);
      return { status: 200, data: body, headers: new Headers({ 'content-type': 'multipart/mixed; boundary=b' }) };
    };
    const options = { url: new URL('https://gmail.googleapis.com/batch/gmail/v1'), method: 'POST', data };
    await (adapter as unknown as (o: typeof options, s: typeof send) => Promise<unknown>)(options, send);
    expect(sent).toEqual(['/batch/gmail/v1']);
    expect(pacer.rateLimitedCalls).toBe(1);
    expect(pacer.callsInFlightCap).toBeLessThan(24);
    // Nothing goes before the time Gmail named.
    const before = now;
    await pacer.acquire({ units: 5, calls: 1 });
    expect(now - before).toBeGreaterThanOrEqual(2500);
  });
});
