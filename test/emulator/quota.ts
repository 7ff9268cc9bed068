/**
 * Gmail's per-user rate limit as a token bucket per account: each method costs quota
 * units, the bucket holds one window's worth and refills continuously.
 *
 *   legacy: 250 units per second per user; messages.get and messages.list cost 5.
 *   2026:   6,000 units per minute per user; messages.get costs 20, messages.list 5.
 *
 * `timeScale` shortens the window (60 makes the 2026 minute last one second), so tests
 * and benchmarks can hit the limit without waiting for it.
 */

export type QuotaRegime = 'legacy' | '2026';

export interface QuotaOptions {
  regime: QuotaRegime;
  /** >1 makes time pass faster: windows shrink by this factor. Default 1. */
  timeScale?: number;
  /** Bucket capacity; default one window's units. */
  burstUnits?: number;
}

/** The Gmail methods the emulator serves, named as Google's quota table names them. */
export type GmailMethod = 'messages.list' | 'messages.get' | 'getProfile' | 'labels.list';

interface Regime {
  unitsPerWindow: number;
  windowSec: number;
  costs: Record<GmailMethod, number>;
}

const REGIMES: Record<QuotaRegime, Regime> = {
  legacy: { unitsPerWindow: 250, windowSec: 1, costs: { 'messages.get': 5, 'messages.list': 5, getProfile: 1, 'labels.list': 1 } },
  '2026': { unitsPerWindow: 6000, windowSec: 60, costs: { 'messages.get': 20, 'messages.list': 5, getProfile: 1, 'labels.list': 1 } },
};

/** The sustained ceiling of a regime: what the benchmark compares its throughput with. */
export function quotaCeiling(regime: QuotaRegime, timeScale = 1): { getsPerSecond: number; unitsPerSecond: number } {
  const { unitsPerWindow, windowSec, costs } = REGIMES[regime];
  const unitsPerSecond = (unitsPerWindow / windowSec) * timeScale;
  return { unitsPerSecond, getsPerSecond: unitsPerSecond / costs['messages.get'] };
}

export type QuotaDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  units: number;
  updatedAt: number;
}

export class QuotaLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly costs: Record<GmailMethod, number>;
  private readonly capacity: number;
  private readonly unitsPerMs: number;

  constructor(
    options: QuotaOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    const regime = REGIMES[options.regime];
    if (!regime) throw new Error(`unknown quota regime: ${String(options.regime)}`);
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0)) throw new Error(`quota timeScale must be positive, not ${timeScale}`);
    this.costs = regime.costs;
    this.capacity = options.burstUnits ?? regime.unitsPerWindow;
    this.unitsPerMs = quotaCeiling(options.regime, timeScale).unitsPerSecond / 1000;
  }

  /** Takes the method's cost from the user's bucket, or says how long until it would fit. */
  take(user: string, method: GmailMethod): QuotaDecision {
    const now = this.now();
    const bucket = this.buckets.get(user) ?? { units: this.capacity, updatedAt: now };
    bucket.units = Math.min(this.capacity, bucket.units + (now - bucket.updatedAt) * this.unitsPerMs);
    bucket.updatedAt = now;
    this.buckets.set(user, bucket);
    const cost = this.costs[method];
    if (bucket.units >= cost) {
      bucket.units -= cost;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: (cost - bucket.units) / this.unitsPerMs };
  }
}
