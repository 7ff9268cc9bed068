/**
 * A concurrency limit that finds Gmail's per-user quota instead of assuming one (Google
 * publishes two regimes that differ fourfold): additive increase while calls succeed,
 * multiplicative decrease when Google says we are too fast (AIMD, as TCP does).
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

  constructor(private readonly options: AdaptiveLimitOptions = { initial: 8, min: 1, max: 40 }) {
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
      // One more slot for every `limit` successes: +1 per round of requests.
      this.limit = Math.min(this.options.max, this.limit + 1 / this.limit);
      return result;
    } finally {
      this.active -= 1;
      this.wake();
    }
  }

  /** Google answered 429 or a 403 rate limit: halve, but once per burst of such answers. */
  rateLimited(now: number = Date.now()): void {
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
