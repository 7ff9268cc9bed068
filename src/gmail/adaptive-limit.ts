/**
 * A concurrency limit that finds Gmail's per-user quota instead of assuming one (Google
 * publishes two regimes that differ fourfold), as TCP finds a link's capacity: slow start
 * (one more slot per success, so the limit doubles every round) until Google first says we
 * are too fast, then additive increase (one slot per round) and multiplicative decrease
 * (halve on each burst of rate-limit answers).
 */

export interface AdaptiveLimitOptions {
  initial: number;
  min: number;
  max: number;
}

export class AdaptiveLimit {
  private limit: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private lastDecrease = 0;
  private slowStart = true;

  constructor(private readonly options: AdaptiveLimitOptions = { initial: 8, min: 1, max: 64 }) {
    this.limit = options.initial;
  }

  get current(): number {
    return Math.floor(this.limit);
  }

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.active >= Math.floor(this.limit)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active += 1;
    try {
      const result = await task();
      // Slow start: +1 per success (×2 per round). Then: +1 for every `limit` successes.
      this.limit = Math.min(this.options.max, this.limit + (this.slowStart ? 1 : 1 / this.limit));
      return result;
    } finally {
      this.active -= 1;
      this.wake();
    }
  }

  /** Google answered 429 or a 403 rate limit: halve, but once per burst of such answers. */
  rateLimited(now: number = Date.now()): void {
    this.slowStart = false;
    if (now - this.lastDecrease < 1000) return;
    this.lastDecrease = now;
    this.limit = Math.max(this.options.min, this.limit / 2);
  }

  /** Wakes as many waiting tasks as there are free slots; each re-checks the limit. */
  private wake(): void {
    let free = Math.floor(this.limit) - this.active;
    while (free > 0 && this.waiting.length > 0) {
      this.waiting.shift()?.();
      free -= 1;
    }
  }
}
