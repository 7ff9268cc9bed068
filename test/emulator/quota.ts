/**
 * Gmail's per-user rate limit as a token bucket per account: each method costs quota
 * units, the bucket holds one window's worth and refills continuously.
 *
 *   legacy:     250 units per second per user (a moving average: short bursts pass);
 *               messages.get (any format), messages.list and attachments.get cost 5,
 *               threads.get and threads.list 10, history.list 2, labels.get, labels.list
 *               and getProfile 1 (Google's published table,
 *               https://developers.google.com/workspace/gmail/api/reference/quota).
 *   per-minute: 15,000 units per minute per user, same costs.
 *   2026:       6,000 units per minute per user (projects created since 1 May 2026);
 *               messages.get costs 20 (any format), threads.get 40, messages.list and
 *               attachments.get 5, history.list 2. Google's own stored pages show only the
 *               older table; threads.get at 40 is the 2026 table as quoted by Nylas
 *               (https://developer.nylas.com/docs/cookbook/email/gmail-api-quotas/ and
 *               https://cli.nylas.com/guides/gmail-api-quotas-2026, May 2026: "messages.get
 *               at 20, threads.get at 40"). Nobody quotes threads.list, labels.get or
 *               labels.list for 2026: we assume them unchanged (10, 1, 1), as messages.list
 *               and history.list are.
 *
 * `timeScale` shortens the window (60 makes a minute last one second), so tests and
 * benchmarks can hit the limit without waiting for it.
 *
 * Beside the units, Gmail caps the requests in flight for one user, whatever they cost
 * ("Too many concurrent requests for user."): `ConcurrencyCap`.
 */

export type QuotaRegime = 'legacy' | 'per-minute' | '2026';

export interface QuotaOptions {
  regime: QuotaRegime;
  /** >1 makes time pass faster: windows shrink by this factor. Default 1. */
  timeScale?: number;
  /** Bucket capacity; default one window's units. */
  burstUnits?: number;
}

/** The Gmail methods the emulator serves, named as Google's quota table names them. */
export type GmailMethod =
  | 'messages.list'
  | 'messages.get'
  | 'messages.attachments.get'
  | 'threads.list'
  | 'threads.get'
  | 'history.list'
  | 'getProfile'
  | 'labels.list'
  | 'labels.get';

interface Regime {
  unitsPerWindow: number;
  windowSec: number;
  costs: Record<GmailMethod, number>;
}

const CLASSIC_COSTS: Record<GmailMethod, number> = {
  'messages.get': 5,
  'messages.list': 5,
  'messages.attachments.get': 5,
  'threads.get': 10,
  'threads.list': 10,
  'history.list': 2,
  getProfile: 1,
  'labels.list': 1,
  'labels.get': 1,
};

const REGIMES: Record<QuotaRegime, Regime> = {
  legacy: { unitsPerWindow: 250, windowSec: 1, costs: CLASSIC_COSTS },
  'per-minute': { unitsPerWindow: 15_000, windowSec: 60, costs: CLASSIC_COSTS },
  // threads.list, labels.get and labels.list: no 2026 figure published; assumed unchanged.
  '2026': { unitsPerWindow: 6000, windowSec: 60, costs: { ...CLASSIC_COSTS, 'messages.get': 20, 'threads.get': 40 } },
};

export const QUOTA_REGIMES = Object.keys(REGIMES) as QuotaRegime[];

/** What one call of `method` costs under `regime`. */
export function methodCost(regime: QuotaRegime, method: GmailMethod): number {
  return REGIMES[regime].costs[method];
}

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
    return this.takeUnits(user, this.costs[method]);
  }

  /**
   * Takes the cost of all these calls at once, or none of it: how a batch POST is charged
   * when Google refuses it as a whole.
   */
  takeAll(user: string, methods: readonly GmailMethod[]): QuotaDecision {
    return this.takeUnits(user, methods.reduce((sum, method) => sum + this.costs[method], 0));
  }

  private takeUnits(user: string, cost: number): QuotaDecision {
    const now = this.now();
    const bucket = this.buckets.get(user) ?? { units: this.capacity, updatedAt: now };
    bucket.units = Math.min(this.capacity, bucket.units + (now - bucket.updatedAt) * this.unitsPerMs);
    bucket.updatedAt = now;
    this.buckets.set(user, bucket);
    if (bucket.units >= cost) {
      bucket.units -= cost;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: (Math.min(cost, this.capacity) - bucket.units) / this.unitsPerMs };
  }
}

/**
 * Gmail's cap on one user's calls in flight: beyond it, a call is answered 429 "Too many
 * concurrent requests for user." at once, whatever units are left. Google runs a batch's
 * parts side by side, so each part counts as a call in flight (which is why large batches
 * meet this answer in the wild).
 */
export class ConcurrencyCap {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new Error(`the concurrency cap must be a positive integer, not ${max}`);
  }

  /** Counts in as many of `calls` as fit under the cap and answers how many did. */
  enter(user: string, calls = 1): number {
    const now = this.inFlight.get(user) ?? 0;
    const admitted = Math.max(0, Math.min(calls, this.max - now));
    if (admitted > 0) this.inFlight.set(user, now + admitted);
    return admitted;
  }

  leave(user: string, calls = 1): void {
    const left = (this.inFlight.get(user) ?? 0) - calls;
    if (left <= 0) this.inFlight.delete(user);
    else this.inFlight.set(user, left);
  }
}
