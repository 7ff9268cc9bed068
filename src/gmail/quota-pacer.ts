/**
 * Spends Gmail's per-user quota the way a careful client would. A client cannot know which
 * of Google's three regimes its project is on (250 units/s; 15,000 units/min; 6,000
 * units/min with messages.get at 20), so the pacer learns the pace from the answers. Every
 * call waits until its units are in the pacer's own bucket, refilled at the pace:
 *
 * 1. Start: the pace begins at 200 gets a second and doubles about every 70 ms while calls
 *    succeed (TCP's slow start, in units instead of packets), with 8 calls in flight until
 *    100 gets have succeeded and batches that grow as calls succeed, so that a quota that is
 *    already empty is met by a few calls, and a full one is spent at full speed.
 * 2. Learning, from the first rate-limit answer: Gmail's bucket is empty at that moment.
 *    The pacer waits until the retry time Gmail names, goes on at half of what succeeded
 *    until then, and raises the pace slowly as calls succeed until Gmail refuses one again.
 *    Gmail's bucket is empty again then, so the units that succeeded in between, over the
 *    time in between, are the pace Gmail refills at (within one call's cost).
 * 3. Paced: from then on the pace is 97 % of that. A later rate-limit answer (someone else
 *    spending the same user's quota) lowers it by 15 %. "Too many concurrent requests for
 *    user." lowers the cap on calls in flight instead.
 *
 * Units are counted with one cost table (classic: messages.get 5). Under the 2026 regime a
 * get costs 20, so the pace learned in these units is a quarter as high, which is all that
 * matters for pacing gets; only a list call is then weighed as if it cost a quarter of a get
 * (it costs a sixteenth of the units a 2026 get does), one list call per 100 gets.
 * Pure: its clock and sleep are passed in, so that tests run it on a simulated clock.
 * One pacer per run, shared by every Gmail call the run makes (src/auth/mailbox.ts).
 */

/** What each call costs in quota units, as Gmail's quota table names the methods. */
export const UNIT_COSTS = {
  'messages.get': 5,
  'messages.list': 5,
  'messages.attachments.get': 5,
  'history.list': 2,
  getProfile: 1,
  'labels.list': 1,
} as const;

export type QuotaMethod = keyof typeof UNIT_COSTS;

/** The method a Gmail API path (…/gmail/v1/users/{user}/…) calls; undefined for anything else. */
export function quotaMethodOf(path: string): QuotaMethod | undefined {
  const rest = /\/gmail\/v1\/users\/[^/]+\/(.*)$/.exec(path)?.[1];
  if (rest === undefined) return undefined;
  if (rest === 'profile') return 'getProfile';
  if (rest === 'labels') return 'labels.list';
  if (rest === 'history') return 'history.list';
  if (rest === 'messages') return 'messages.list';
  if (/^messages\/[^/]+$/.test(rest)) return 'messages.get';
  if (/^messages\/[^/]+\/attachments\/[^/]+$/.test(rest)) return 'messages.attachments.get';
  return undefined;
}

export interface PacerWorld {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What one request costs: its units and how many calls it holds in flight (a batch: its parts). */
export interface Cost {
  units: number;
  calls: number;
}

/** How a request was answered, call by call (a batch's parts each count). */
export interface Answer {
  /** Units of the calls Gmail answered without a rate limit (it charged them). */
  spentUnits: number;
  /** Calls refused for the quota (429, or 403 rateLimitExceeded / userRateLimitExceeded). */
  rateLimited: number;
  /** Calls refused with "Too many concurrent requests for user." */
  concurrent: number;
  /** Answered 5xx, or not at all (a reset, a timeout): Google is struggling, not the quota. */
  failed?: boolean;
  /** In ms from now: the latest retry time Gmail named (Retry-After, or "Retry after <time>"). */
  retryInMs?: number;
}

/** A request let through: settle it with its answer. */
export interface Ticket {
  readonly cost: Cost;
  readonly sentAt: number;
}

export interface PacerOptions {
  /** Calls in flight at most (Gmail refuses more for one user). Default MAX_IN_FLIGHT. */
  maxInFlight?: number;
}

/** The cap on calls in flight: Gmail does not publish its cap; the strict emulator refuses beyond 25, list calls included. */
const MAX_IN_FLIGHT = 24;
/** The pace at the start, units/s (200 gets a second). */
const START_PACE = 1000;
/** While starting, each unit that succeeds adds this much to the pace (units/s): ×2 in about 70 ms. */
const START_GROWTH = 10;
/** After the first rate-limit answer, the pace goes on at this share of what succeeded until then. */
const START_GUESS = 0.5;
/** While learning, each unit that succeeds adds this much to the pace: ×1.65 a second. */
const LEARNING_GROWTH = 0.5;
/** A rate-limit answer too soon to learn from, while learning: over Gmail's pace, slow down. */
const LEARNING_BACKOFF = 0.85;
/** The shortest span a pace is learned from: over it, one call's cost is a few % of the units. */
const MIN_LEARNING_SPAN_MS = 600;
/** The learned pace is kept at this share of it: just inside Gmail's. */
const MARGIN = 0.97;
/** A rate-limit answer once paced (someone else spends the quota too): the pace drops this much. */
const BACKOFF = 0.85;
/** Without a time named by Gmail, a rate-limit answer pauses sending this long. */
const DEFAULT_PAUSE_MS = 200;
/**
 * After a server error or no answer, nothing is sent for this long, doubled for each in a
 * row: the retry policy's longest wait before that retry, so that the retries are back first.
 */
const SERVER_PAUSE_MS = 400;
const MAX_SERVER_PAUSE_MS = 10_000;
/** A retry time beyond this is not waited for here (the retry policy reports it instead). */
const MAX_PAUSE_MS = 60_000;
/** The pacer's bucket holds this much of its pace (and at least the largest batch's cost). */
const BURST_SECONDS = 0.25;
/** A batch carries about this much of the pace, so that batches are neither one call nor a burst. */
const BATCH_SECONDS = 0.1;
/** The largest batch once the pace is learned (Google allows 100 parts and asks for 50 at most). */
export const MAX_BATCH_CALLS = 20;
/** Calls in flight at the start, until this many units have succeeded. */
const START_IN_FLIGHT = 8;
const START_PROOF_UNITS = 100 * UNIT_COSTS['messages.get'];
/** Before the first rate-limit answer, batches grow by a call for every this many calls that succeeded. */
const START_BATCH_GROWTH = 6;
/** Until then a batch is small: Gmail refuses a batch whole when it cannot pay for all of it. */
const LEARNING_BATCH_CALLS = 2;

type Phase = 'start' | 'learning' | 'paced';

export class QuotaPacer {
  private phase: Phase = 'start';
  /** Units per second. */
  private pace = START_PACE;
  /** Enough for the first calls to go at once. */
  private tokens = UNIT_COSTS['messages.get'] * LEARNING_BATCH_CALLS;
  private refilledAt: number;
  private inFlight = 0;
  private inFlightUnits = 0;
  private maxInFlight: number;
  private pausedUntil = 0;
  /** When the last episode of rate-limit answers began (its first answer). */
  private episodeAt = Number.NEGATIVE_INFINITY;
  /** The span a pace is learned over: from a rate-limit answer, and the units that succeeded since. */
  private spanStart: number;
  private unitsInSpan = 0;
  /** Batches whose units and calls `reserve()` took ahead, by cost ("units/calls" → how many). */
  private readonly promised = new Map<string, number>();
  private readonly waiting = new Set<() => void>();
  private limitedCalls = 0;
  /** Requests in a row that Google answered with a server error, or not at all. */
  private failedInARow = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private retriesWaiting = 0;

  constructor(
    private readonly world: PacerWorld,
    options: PacerOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
    this.refilledAt = world.now();
    this.spanStart = world.now();
  }

  /** The pace the pacer keeps, in units per second, once it has learned one (Gmail's per-user limit). */
  get unitsPerSecond(): number | undefined {
    return this.phase === 'paced' ? this.pace : undefined;
  }

  /** Calls Gmail refused for the quota so far. */
  get rateLimitedCalls(): number {
    return this.limitedCalls;
  }

  get callsInFlightCap(): number {
    return this.maxInFlight;
  }

  /** Seconds that `units` more will take at the learned pace; undefined until one is learned. */
  secondsFor(units: number): number | undefined {
    const pace = this.unitsPerSecond;
    return pace === undefined ? undefined : units / pace;
  }

  /**
   * How many calls of `unitCost` units each to put in the next batch (1 … wanted), waiting
   * until they may go: the budget left in the pacer's bucket and the room in flight. They
   * are taken at once; the request that carries them passes `acquire()` without waiting.
   * 0 when `signal` aborts first (nothing is taken then).
   */
  async reserve(unitCost: number, wanted: number, signal?: AbortSignal): Promise<number> {
    let count = 1;
    for (;;) {
      // Until the pace is learned, a batch is small: Gmail refuses a batch whole when it cannot pay for all of it.
      const largest = this.phase === 'paced' ? MAX_BATCH_CALLS : this.phase === 'start' ? this.startBatchCalls() : LEARNING_BATCH_CALLS;
      // At most half the calls allowed in flight: a batch never waits for the others to drain.
      count = Math.max(1, Math.min(wanted, largest, Math.floor(this.inFlightCap() / 2), this.batchTarget(unitCost)));
      if (signal?.aborted) return 0;
      const wait = this.waitFor({ units: unitCost * count, calls: count });
      if (wait === 0) break;
      await this.pause(wait, signal);
    }
    const cost = { units: unitCost * count, calls: count };
    this.take(cost);
    this.promised.set(costKey(cost), (this.promised.get(costKey(cost)) ?? 0) + 1);
    return count;
  }

  /**
   * Waits until `cost` may go out, and counts it in flight. A batch (`batch`) whose cost
   * `reserve()` took already goes at once.
   */
  async acquire(cost: Cost, { batch = false, retry = false, signal }: { batch?: boolean; retry?: boolean; signal?: AbortSignal } = {}): Promise<Ticket> {
    const promised = batch ? (this.promised.get(costKey(cost)) ?? 0) : 0;
    if (promised > 0) {
      if (promised === 1) this.promised.delete(costKey(cost));
      else this.promised.set(costKey(cost), promised - 1);
      return { cost, sentAt: this.world.now() };
    }
    // A retry goes before new requests: a failing request is retried, not crowded out.
    if (retry) this.retriesWaiting += 1;
    try {
      for (;;) {
        // Aborted: let it through, the request itself then ends at once.
        if (signal?.aborted) break;
        const wait = this.waitFor(cost, retry);
        if (wait === 0) break;
        await this.pause(wait, signal);
      }
    } finally {
      if (retry) {
        this.retriesWaiting -= 1;
        this.wake();
      }
    }
    this.take(cost);
    return { cost, sentAt: this.world.now() };
  }

  /** The request is answered (or failed without an answer: all zeros). */
  settle(ticket: Ticket, answer: Answer): void {
    const now = this.world.now();
    this.inFlight = Math.max(0, this.inFlight - ticket.cost.calls);
    this.inFlightUnits = Math.max(0, this.inFlightUnits - ticket.cost.units);
    if (answer.spentUnits > 0) this.succeeded(answer.spentUnits);
    if (answer.concurrent > 0) this.maxInFlight = Math.max(1, Math.min(this.maxInFlight, this.inFlight + ticket.cost.calls - answer.concurrent) - 1);
    if (answer.rateLimited > 0) this.rateLimited(ticket, answer, now);
    if (answer.failed) {
      // Give Google room: while one request waits to be retried, others do not take its place.
      // Requests sent before the last such pause began failed in the same burst: one pause for all.
      if (ticket.sentAt >= this.failedAt) {
        this.failedInARow += 1;
        this.failedAt = now;
        this.pausedUntil = Math.max(this.pausedUntil, now + Math.min(SERVER_PAUSE_MS * 2 ** (this.failedInARow - 1), MAX_SERVER_PAUSE_MS));
      }
    } else if (answer.spentUnits > 0) {
      this.failedInARow = 0;
    }
    this.wake();
  }

  private succeeded(units: number): void {
    this.unitsInSpan += units;
    if (this.phase !== 'paced') this.pace += (this.phase === 'start' ? START_GROWTH : LEARNING_GROWTH) * units;
  }

  private rateLimited(ticket: Ticket, answer: Answer, now: number): void {
    this.limitedCalls += answer.rateLimited;
    // A call sent before the last episode began is part of it: nothing new to learn.
    if (ticket.sentAt >= this.episodeAt) {
      this.episodeAt = now;
      this.newEpisode(now);
      // Gmail's bucket is empty now, and the calls still in flight will spend from it.
      this.refill(now);
      this.tokens = Math.min(this.tokens, 0) - this.inFlightUnits;
    }
    const pause = answer.retryInMs === undefined ? DEFAULT_PAUSE_MS : Math.min(Math.max(answer.retryInMs, 0), MAX_PAUSE_MS);
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
  }

  private newEpisode(now: number): void {
    const span = now - this.spanStart;
    if (this.phase === 'start') {
      // What succeeded so far is at most the pace plus what the bucket held: start well below it.
      this.pace = Math.max(((this.unitsInSpan / Math.max(span, 100)) * 1000) * START_GUESS, 1);
      this.phase = 'learning';
      this.startSpan(now);
    } else if (this.phase === 'learning' && span >= MIN_LEARNING_SPAN_MS && this.unitsInSpan > 0) {
      // Gmail's bucket was empty at both ends: what it let through is what it refilled.
      this.pace = (this.unitsInSpan / span) * 1000 * MARGIN;
      this.phase = 'paced';
    } else {
      this.pace *= this.phase === 'learning' ? LEARNING_BACKOFF : BACKOFF;
    }
  }

  private startSpan(now: number): void {
    this.spanStart = now;
    this.unitsInSpan = 0;
  }

  /**
   * Calls in flight allowed now: few at the start, when an empty quota may be a few calls
   * away (every call in flight then is refused), all of them once 100 gets' worth succeeded.
   */
  private inFlightCap(): number {
    const early = this.phase === 'start' && this.unitsInSpan < START_PROOF_UNITS;
    return early ? Math.min(START_IN_FLIGHT, this.maxInFlight) : this.maxInFlight;
  }

  /** Batches grow as calls succeed before the first rate-limit answer: small while an empty quota may be near. */
  private startBatchCalls(): number {
    return Math.min(MAX_BATCH_CALLS, LEARNING_BATCH_CALLS + Math.floor(this.unitsInSpan / UNIT_COSTS['messages.get'] / START_BATCH_GROWTH));
  }

  /** Calls per batch at the pace: about a tenth of a second's worth. */
  private batchTarget(unitCost: number): number {
    return Math.floor((this.pace * BATCH_SECONDS) / unitCost);
  }

  /** 0 when `cost` may go now; else ms to wait (Infinity: until a call in flight is answered). */
  private waitFor(cost: Cost, retry = false): number {
    const now = this.world.now();
    if (!retry && this.retriesWaiting > 0) return Number.POSITIVE_INFINITY;
    if (this.inFlight > 0 && this.inFlight + cost.calls > this.inFlightCap()) return Number.POSITIVE_INFINITY;
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    // A request larger than the bucket goes once the bucket is full.
    const needed = Math.min(cost.units, this.bucketSize(cost.units));
    return this.tokens >= needed ? 0 : Math.max(1, Math.ceil(((needed - this.tokens) / this.pace) * 1000));
  }

  private bucketSize(units: number): number {
    return Math.max(this.pace * BURST_SECONDS, units);
  }

  private take(cost: Cost): void {
    this.inFlight += cost.calls;
    this.inFlightUnits += cost.units;
    this.tokens -= cost.units;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.bucketSize(UNIT_COSTS['messages.get'] * MAX_BATCH_CALLS), this.tokens + ((now - this.refilledAt) / 1000) * this.pace);
    this.refilledAt = now;
  }

  /** Sleeps `ms`, or until a call in flight is answered when `ms` is infinite. */
  private async pause(ms: number, signal?: AbortSignal): Promise<void> {
    if (Number.isFinite(ms)) {
      await this.world.sleep(ms, signal);
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    // Each woken waiter checks again; the ones that do not fit wait anew.
    for (const resolve of [...this.waiting]) resolve();
  }
}

function costKey(cost: Cost): string {
  return `${cost.units}/${cost.calls}`;
}
