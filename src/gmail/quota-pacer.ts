/**
 * Spends Gmail's per-user quota the way a careful client would. A client cannot know which
 * of Google's three regimes its project is on (250 units/s; 15,000 units/min; 6,000
 * units/min with messages.get at 20), so the pacer learns it from the answers:
 *
 * - Until Gmail first says "rate limited", calls go out as fast as the cap on calls in
 *   flight allows (a fresh quota holds a window's worth of units).
 * - At a rate-limit answer, the units that succeeded since the previous one, over that
 *   time, are the pace Gmail sustains (while we ask for more than it grants, it grants
 *   exactly its refill): the pacer keeps 95 % of it, and from then on waits before each
 *   call until the units it costs are in its own bucket, refilled at that pace.
 * - Each success raises the pace a little (about 1 % a second at full pace), so that a
 *   pace learned too low recovers; the next rate-limit answer corrects it again.
 * - "Too many concurrent requests for user." lowers the cap on calls in flight instead.
 *
 * Units are counted with the classic costs (messages.get 5): under the 2026 regime, where a
 * get costs 20, the learned pace is simply a quarter as high, which is what matters.
 * Pure: its clock and its sleep are passed in, so tests run it on a hand-driven clock.
 * One pacer per run, shared by every command that reads mail (list, show, the cache).
 */
import { sleep } from './client.js';

/** What each call costs, as Gmail's quota table names the methods (classic costs). */
export const UNIT_COSTS = {
  'messages.get': 5,
  'messages.list': 5,
  'history.list': 2,
  getProfile: 1,
  'labels.list': 1,
} as const;

export type QuotaMethod = keyof typeof UNIT_COSTS;

export interface PacerWorld {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface PacerOptions {
  /** Calls in flight at once before Gmail says otherwise. Default 20. */
  maxInFlight?: number;
}

/** What one request costs: its units and how many calls it holds in flight (a batch: its parts). */
export interface Cost {
  units: number;
  calls: number;
}

export interface RateLimitAnswer {
  /** "Too many concurrent requests for user.": too many in flight, not too many units. */
  concurrent?: boolean;
  /** When Gmail said to retry (its Retry-After header or "Retry after <time>"), in the world's clock. */
  retryAt?: number;
}

/** The smallest span of successes a pace is learned from, in ms. */
const MIN_LEARNING_SPAN_MS = 250;
/** Learned paces are kept at this share, so that the pacer stays just inside the quota. */
const MARGIN = 0.95;
/** Additive increase: each success adds this share of its units to the pace (units/s). */
const GROWTH = 0.01;
/** Calls in flight while the pace is being measured. */
const PROBE_IN_FLIGHT = 6;
/** After the first rate limit, with no time named: let the quota refill a little before measuring it. */
const FIRST_PAUSE_MS = 500;
/** The pacer's bucket holds this much of a second's pace: short bursts, no more. */
const BURST_SECONDS = 0.25;

export class QuotaPacer {
  private pace: number | undefined;
  private tokens = 0;
  private refilledAt: number;
  private inFlight = 0;
  private maxInFlight: number;
  private pausedUntil = 0;
  /** Units that succeeded since `spanStart` (the run's start, then the last rate limit). */
  private unitsInSpan = 0;
  private spanStart: number;
  private readonly waiting: Array<() => void> = [];
  private limitedCount = 0;

  constructor(
    private readonly world: PacerWorld,
    options: PacerOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 20;
    this.refilledAt = world.now();
    this.spanStart = world.now();
  }

  /** The learned pace in units per second, once Gmail has said where its limit is. */
  get unitsPerSecond(): number | undefined {
    return this.pace;
  }

  /** How many rate-limit answers the pacer has seen. */
  get rateLimitAnswers(): number {
    return this.limitedCount;
  }

  get callsInFlightCap(): number {
    return this.maxInFlight;
  }

  /** Seconds that `units` more will take at the learned pace; undefined before it is known. */
  expectedSeconds(units: number): number | undefined {
    return this.pace === undefined ? undefined : units / this.pace;
  }

  /** Runs `task` once its cost fits: room in flight and, once a pace is learned, the units. */
  async run<T>(task: () => Promise<T>, cost: Cost = { units: UNIT_COSTS['messages.get'], calls: 1 }, signal?: AbortSignal): Promise<T> {
    await this.acquire(cost, signal);
    let ok = false;
    try {
      const result = await task();
      ok = true;
      return result;
    } finally {
      this.settle(cost, ok);
    }
  }

  /** Waits until `cost` may go out, and counts it in flight. */
  async acquire(cost: Cost, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      // A request larger than the cap still goes, alone.
      // Between the first rate limit and a learned pace, a few calls at a time measure it.
      const cap = this.limitedCount > 0 && this.pace === undefined ? Math.min(PROBE_IN_FLIGHT, this.maxInFlight) : this.maxInFlight;
      if (this.inFlight > 0 && this.inFlight + cost.calls > cap) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      const now = this.world.now();
      if (now < this.pausedUntil) {
        await this.world.sleep(this.pausedUntil - now, signal);
        continue;
      }
      if (this.pace !== undefined) {
        this.refill(now);
        const needed = Math.min(cost.units, this.pace * BURST_SECONDS);
        if (this.tokens < needed) {
          await this.world.sleep(Math.ceil(((needed - this.tokens) / this.pace) * 1000), signal);
          continue;
        }
        this.tokens -= cost.units;
      }
      this.inFlight += cost.calls;
      return;
    }
  }

  /** The request is answered: a success counts towards the pace Gmail sustains. */
  settle(cost: Cost, ok: boolean, succeededUnits = ok ? cost.units : 0): void {
    this.inFlight = Math.max(0, this.inFlight - cost.calls);
    if (succeededUnits > 0) {
      this.unitsInSpan += succeededUnits;
      if (this.pace !== undefined) this.pace += GROWTH * succeededUnits;
    }
    this.wake();
  }

  /** Gmail answered a call with a rate limit (429, or 403 rate/userRateLimitExceeded). */
  rateLimited(answer: RateLimitAnswer = {}): void {
    const now = this.world.now();
    if (answer.concurrent) {
      this.maxInFlight = Math.max(1, Math.min(this.maxInFlight, this.inFlight) - 1);
      return;
    }
    this.limitedCount += 1;
    const span = now - this.spanStart;
    if (span >= MIN_LEARNING_SPAN_MS && this.unitsInSpan > 0) {
      const sustained = (this.unitsInSpan / span) * 1000 * MARGIN;
      this.pace = this.pace === undefined ? sustained : Math.min(this.pace * MARGIN, Math.max(sustained, this.pace / 2));
    }
    // The quota is empty now: nothing is spent until it refills (or Gmail's time has come).
    this.tokens = 0;
    this.refilledAt = now;
    if (answer.retryAt !== undefined && answer.retryAt > now) this.pausedUntil = Math.max(this.pausedUntil, Math.min(answer.retryAt, now + 60_000));
    else if (this.pace === undefined && this.limitedCount === 1) this.pausedUntil = now + FIRST_PAUSE_MS;
    // A new span starts at the first rate limit, then at each one a pace was learned from.
    if (this.limitedCount === 1 || span >= MIN_LEARNING_SPAN_MS) {
      this.spanStart = now;
      this.unitsInSpan = 0;
    }
  }

  private refill(now: number): void {
    if (this.pace === undefined) return;
    this.tokens = Math.min(this.pace * BURST_SECONDS, this.tokens + ((now - this.refilledAt) / 1000) * this.pace);
    this.refilledAt = now;
  }

  private wake(): void {
    // Each woken task checks the cap again; wake them all, the ones that do not fit wait anew.
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

/** The real world: wall clock and timers that Ctrl-C cuts short. */
export const REAL_WORLD: PacerWorld = { now: () => performance.now(), sleep };
