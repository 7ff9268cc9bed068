/**
 * Spends Gmail's per-user quota the way a careful client would. A client cannot know which
 * of Google's three regimes its project is on (250 units/s; 15,000 units/min; 6,000
 * units/min with messages.get at 20), so the pacer learns the pace from the answers. Every
 * call waits until its units are in the pacer's own bucket, refilled at the pace:
 *
 * 1. Start: the pace begins at 200 gets a second and doubles about every 70 ms while calls
 *    succeed (TCP's slow start, in units instead of packets), with 8 calls in flight until
 *    100 gets have succeeded and batches that grow as calls succeed, so that a quota that is
 *    already empty is met by a few calls, and a full one is spent at full speed. Near each
 *    bucket Gmail publishes (PUBLISHED_BUCKETS) only a few calls are in flight, so that a
 *    full bucket's wall (every first run of the day) is met by those few.
 * 2. Learning, from the first rate-limit answer: Gmail's bucket is empty at that moment.
 *    The pacer waits until the retry time Gmail names, goes on at 90 % of the refill that a
 *    published bucket explains (what went through beyond it since the first call), or else
 *    at half of what succeeded between the first answers, and raises the pace slowly as
 *    calls succeed until Gmail refuses one again.
 *    Gmail's bucket is empty again then, so the units that succeeded in between, over the
 *    time in between, are the pace Gmail refills at (within one call's cost).
 * 3. Paced: from then on the pace is 97 % of that. A later rate-limit answer (someone else
 *    spending the same user's quota) lowers it by 15 %. "Too many concurrent requests for
 *    user." lowers the cap on calls in flight instead. Paced without a refusal for long
 *    (RAISE), it probes upward, and learns a raised quota within the run.
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
  'threads.get': 10,
  'threads.list': 10,
  'history.list': 2,
  getProfile: 1,
  'labels.list': 1,
  'labels.get': 1,
} as const;

export type QuotaMethod = keyof typeof UNIT_COSTS;

/** The method a Gmail API path (…/gmail/v1/users/{user}/…) calls; undefined for anything else. */
export function quotaMethodOf(path: string): QuotaMethod | undefined {
  const rest = /\/gmail\/v1\/users\/[^/]+\/(.*)$/.exec(path)?.[1];
  if (rest === undefined) return undefined;
  if (rest === 'profile') return 'getProfile';
  if (rest === 'labels') return 'labels.list';
  if (/^labels\/[^/]+$/.test(rest)) return 'labels.get';
  if (rest === 'threads') return 'threads.list';
  if (/^threads\/[^/]+$/.test(rest)) return 'threads.get';
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
interface Cost {
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
  /** The refusal was the per-minute quota's ("… per minute …"): the wait is until the next minute. */
  perMinute?: boolean;
  /** What Gmail answered, for the --debug line ("429 rateLimitExceeded"). */
  what?: string;
}

/** A request let through: settle it with its answer. */
interface Ticket {
  readonly cost: Cost;
  readonly sentAt: number;
}

export interface PacerOptions {
  /** Calls in flight at most (Gmail refuses more for one user). Default MAX_IN_FLIGHT. */
  maxInFlight?: number;
  /** Told of every pause, long wait and change of pace, as it happens. */
  onEvent?: (event: PacerEvent) => void;
  /**
   * What an earlier run learned (src/cache/pace-memory.ts): the run starts paced at it, and
   * first spends `availableUnits` (what has come back into Gmail's bucket since) at full speed.
   */
  remembered?: { unitsPerSecond: number; availableUnits?: number; bucketUnits?: number; learning?: boolean };
}

/** What this run learned about Gmail's quota, to be remembered for the next one. */
export interface LearnedQuota {
  unitsPerSecond: number;
  /** Gmail's bucket, from a start that met it full (what went through before the first wall, less the refill meanwhile). */
  bucketUnits?: number;
  /** The run ended while still learning: the pace is what it had reached (below Gmail's), to climb on from. */
  learning?: boolean;
}

/** The cap on calls in flight: Gmail does not publish its cap; the strict emulator refuses beyond 25, list calls included. */
const MAX_IN_FLIGHT = 24;

/** The start, before Gmail has refused anything: TCP's slow start, in units instead of packets. */
const START = {
  /** The pace at the start, units/s (200 gets a second). */
  pace: 1000,
  /** Each unit that succeeds adds this much to the pace (units/s): ×2 in about 70 ms. */
  growth: 10,
  /** Calls in flight at the start, until `proofUnits` (100 gets) have succeeded. */
  inFlight: 8,
  proofUnits: 100 * UNIT_COSTS['messages.get'],
  /** Batches grow by a call for every this many calls that succeeded. */
  batchGrowth: 6,
  /** Learning starts at this share of what Gmail let through between the first two rate-limit answers (no published bucket explaining the wall). */
  guess: 0.5,
} as const;

/**
 * Gmail's bucket under each regime it publishes, in this pacer's units (a get = 5): legacy
 * 250 units (a second's worth), the 2026 quota 6,000 units a minute (300 gets at 20: 1,500 of
 * these units), the per-minute quota 15,000. The first run of the day meets one of them
 * full, and the wall comes once it is spent and the refill since the first call with it.
 */
const PUBLISHED_BUCKETS = [250, 1500, 15_000] as const;

/** The start approaching a published bucket, and the first wall it explains. */
const APPROACH = {
  /**
   * The fastest refill assumed behind a published bucket (units/s): 80 gets a second, above
   * legacy's 50 (and the emulator's 2026 quota at time ×12, 60). Once more than the bucket
   * and this refill since the first call went through without a wall, that bucket is not Gmail's.
   */
  refill: 400,
  /**
   * Calls in flight at most from a published bucket's size on (until it is passed): the calls
   * that meet the wall are refused. At least `speedup` times the fastest refill must still
   * get through (the round trip decides how many calls that takes), or the bucket would
   * never be passed, nor its wall met.
   */
  inFlight: 6,
  speedup: 2,
  /** Learning starts at this share of the refill a published bucket explains (the first wall's units beyond it, over the time since the first call). */
  guess: 0.9,
} as const;

/** Learning the pace between two walls of Gmail's quota. */
const LEARNING = {
  /** Each unit that succeeds adds this much to the pace: ×1.65 a second. */
  growth: 0.5,
  /** A rate-limit answer too soon to learn from: over Gmail's pace, slow down by this much. */
  backoff: 0.85,
  /** The shortest span a pace is learned from: over it, one call's cost is a few % of the units. */
  minSpanMs: 600,
  /** Or over this many units (20 gets): one call's cost is 5 % of them. */
  minUnits: 20 * 5,
  /** A batch is small until the pace is learned: Gmail refuses a batch whole when it cannot pay for all of it. */
  batchCalls: 2,
  /** The learned pace is kept at this share of it: just inside Gmail's. */
  margin: 0.97,
} as const;

/** Telling a stray rate-limit answer (a backend hiccup, another process) from Gmail's wall. */
const PROOF = {
  /**
   * After a rate-limit answer (once its wait is over) this many calls may be in flight, and
   * one more for each that succeeds (twice as many each round trip): if Gmail's quota really
   * is spent, only these few meet its refusal again (and prove it); if the answer was a stray
   * one, the full number is back after a few round trips, at the pace before.
   */
  probeInFlight: 1,
  /**
   * Rate-limit answers in a row, each right after the wait of the one before, that prove the
   * quota is spent: two stray answers close together (a 403 on a list call, the next call
   * refused a moment later) must not pass for Gmail's wall; three in a row are not chance. A
   * part of a batch refused while the batch's other parts were answered does not count:
   * Gmail refuses a batch whole when its quota cannot pay for all of it.
   */
  strikes: 3,
  /**
   * Once a pace has been measured, a rate-limit answer this soon after the one before is the
   * quota too (the pace is over Gmail's), without waiting for the calls after it to prove it.
   */
  repeatWindowMs: 5_000,
} as const;

/**
 * The slowest quota Gmail publishes: 6,000 units per user per minute (projects created since
 * May 2026), where a get costs 20: 100 units/s, 5 gets a second, 25 units/s in this pacer's
 * units (a get = 5), kept just inside it by the margin. A pace is never learned below it unless
 * Google keeps refusing at it for FLOOR_PROOF_MS: a few rate-limit answers close together
 * (a backend hiccup, another process of the same user spending a moment of the quota) must
 * not slow a whole run to a crawl.
 */
const FLOOR_PACE = 25 * 0.97;
/**
 * How long Google must keep refusing at the floor pace before the pacer goes below it: one
 * minute, a whole window of the per-minute quotas. A per-minute quota spent by a burst (this
 * run's start, or another client of the same user) refuses for the rest of its minute at
 * most; refusals at 5 gets a second that outlast a whole minute mean the quota really is
 * lower than any Gmail publishes (lowered in the project's Cloud console, or shared with a
 * client that keeps spending it), and going on at the floor would have most calls refused.
 */
const FLOOR_PROOF_MS = 60_000;

/** The largest batch once the pace is learned (Google allows 100 parts and asks for 50 at most). */
const MAX_BATCH_CALLS = 20;

/** Paced at the learned pace. */
const PACED = {
  /** A rate-limit answer (someone else spends the quota too): the pace drops this much. */
  backoff: 0.85,
  /** The pacer's bucket holds this much of its pace (and at least the largest batch's cost). */
  burstSeconds: 0.25,
  /** A batch carries about this much of the pace, so that batches are neither one call nor a burst. */
  batchSeconds: 0.1,
} as const;

/**
 * Paced without a rate-limit answer for `quietMs` (and for twice the time Gmail's bucket
 * takes to refill at the pace), the pacer probes upward: the quota may have been raised
 * since it was learned (or remembered). It climbs as while learning, with small batches,
 * until Gmail refuses, and learns the pace again between two walls. A probe that finds
 * the same pace doubles the wait before the next: a quota that holds costs a wall or two
 * in a long run, not a steady share of refusals.
 */
const RAISE = {
  quietMs: 20_000,
  /** A probe found a raised quota when it learned a pace this much above the one it started from. */
  found: 1.1,
} as const;

/** Pauses of every request. */
const PAUSES = {
  /** Without a time named by Gmail, a rate-limit answer pauses sending this long. */
  defaultMs: 200,
  /**
   * After a server error or no answer, nothing is sent for this long, doubled for each in a
   * row (up to `maxServerMs`): the retry policy's longest wait before that retry, so that the
   * retries are back first.
   */
  serverMs: 400,
  maxServerMs: 10_000,
  /** A retry time beyond this is not waited for here (the retry policy reports it instead). */
  maxMs: 60_000,
} as const;

type Phase = 'start' | 'learning' | 'paced';

/** A moment, and the units that had succeeded by then. */
interface Mark {
  at: number;
  units: number;
}

/** Why the pacer holds requests back, told as it happens (the --debug lines, the progress line). */
export interface PacerEvent {
  kind: 'pause' | 'wait' | 'pace';
  /** How long requests wait (pause, wait); for 'pace', 0. */
  ms: number;
  /** One phrase: what the pacer does and why. */
  text: string;
  /** A pause for a spent per-minute quota: until the next minute. */
  perMinute?: boolean;
}

/** A request waiting this long on the pacer's own bucket is told (shorter waits are the pace at work, told when it changes). */
const TOLD_WAIT_MS = 100;

export class QuotaPacer {
  private phase: Phase = 'start';
  /** Units per second. */
  private pace: number = START.pace;
  /** Enough for the first calls to go at once. */
  private tokens = UNIT_COSTS['messages.get'] * LEARNING.batchCalls;
  private refilledAt: number;
  private inFlight = 0;
  private inFlightUnits = 0;
  private maxInFlight: number;
  private pausedUntil = 0;
  /** When the last episode of rate-limit answers began (its first answer). */
  private episodeAt = Number.NEGATIVE_INFINITY;
  /** Units that succeeded before the first rate-limit answer proven to be the quota (the start's proof). */
  private unitsInSpan = 0;
  /** Batches whose units and calls `reserve()` took ahead, by cost ("units/calls" → how many). */
  private readonly promised = new Map<string, number>();
  private readonly waiting = new Set<() => void>();
  private limitedCalls = 0;
  /** Requests in a row that Google answered with a server error, or not at all. */
  private failedInARow = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private retriesWaiting = 0;
  /** Units that succeeded in the whole run. */
  private unitsTotal = 0;
  /** The last moment Gmail's bucket was known to be empty: a rate-limit answer proven to be the quota. */
  private wall: Mark | undefined;
  /** A rate-limit answer not yet known to be the quota: the calls after its wait probe whether it was. */
  private suspect: Mark | undefined;
  /** While probing, the calls allowed in flight (one more for each that succeeds). */
  private probeCap: number | undefined;
  /** When Google began refusing at the floor pace (FLOOR_PROOF_MS). */
  private floorRefusedSince: number | undefined;
  private lastWallAt = Number.NEGATIVE_INFINITY;
  private lastEpisodeAt = Number.NEGATIVE_INFINITY;
  /** Rate-limit answers in a row, each while probing after the one before (or within seconds of it). */
  private strikes = 0;
  /** The first of those answers. */
  private chain: Mark | undefined;
  /** Units that may go without waiting: what has come back into Gmail's bucket since the last run, as remembered. */
  private credit = 0;
  /** While probing upward: the pace before the probe, which held. */
  private probeBase: number | undefined;
  /** When the probe began, and the units that had succeeded by then. */
  private probeStart: Mark | undefined;
  /** When the pace was last set (learned, remembered, or probed). */
  private pacedAt: number;
  private probeQuietMs: number = RAISE.quietMs;
  /** The pace came from an earlier run: one proven wrong is learned again. */
  private fromMemory = false;
  private readonly startedAt: number;
  /** What Gmail's bucket held, from a start that met it full: the first wall, less the refill meanwhile. */
  private bucketUnits: number | undefined;
  /** How long Gmail takes to answer, on average (ms). */
  private roundTripMs: number | undefined;
  /** When the first call that Gmail charged went out (its bucket, full until then, refills from there; a refused call spends nothing). */
  private firstSentAt: number | undefined;
  private readonly onEvent: (event: PacerEvent) => void;
  private readonly listeners = new Set<(event: PacerEvent) => void>();

  constructor(
    private readonly world: PacerWorld,
    options: PacerOptions = {},
  ) {
    this.onEvent = options.onEvent ?? (() => undefined);
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
    this.startedAt = world.now();
    if (options.remembered) {
      this.phase = options.remembered.learning ? 'learning' : 'paced';
      this.pace = Math.max(options.remembered.unitsPerSecond, FLOOR_PACE);
      this.credit = Math.max(0, options.remembered.availableUnits ?? 0);
      if (options.remembered.bucketUnits !== undefined && options.remembered.bucketUnits > 0) this.bucketUnits = options.remembered.bucketUnits;
      // The credit is Gmail's whole bucket then: nothing of the refill is there before the first call.
      if (this.credit > 0) this.tokens = 0;
      this.fromMemory = true;
    }
    this.refilledAt = world.now();
    this.pacedAt = world.now();
  }

  /** The pace the pacer keeps, in units per second, once it has learned one (Gmail's per-user limit). */
  get unitsPerSecond(): number | undefined {
    return this.phase === 'paced' ? this.pace : this.probeBase;
  }

  /** The pace kept now, in units per second, learned or not. */
  get currentPace(): number {
    return this.pace;
  }

  /** What this run learned (or started from and found right); undefined when it learned nothing. */
  learned(): LearnedQuota | undefined {
    if (this.phase === 'start') return undefined;
    const bucket = this.bucketUnits;
    // A run that ends while probing upward keeps the pace that held.
    if (this.probeBase !== undefined) return { unitsPerSecond: this.probeBase, ...(bucket !== undefined && bucket > 0 ? { bucketUnits: bucket } : {}) };
    return { unitsPerSecond: this.pace, ...(bucket !== undefined && bucket > 0 ? { bucketUnits: bucket } : {}), ...(this.phase === 'learning' ? { learning: true } : {}) };
  }

  /** Whether the pace came from an earlier run and still holds. */
  get remembered(): boolean {
    return this.fromMemory;
  }

  /** Also tells `listener` of every pause, long wait and change of pace; answers how to stop. */
  observe(listener: (event: PacerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
      const largest = this.phase === 'paced' ? MAX_BATCH_CALLS : this.phase === 'start' ? this.startBatchCalls() : LEARNING.batchCalls;
      // At most half the calls allowed in flight: a batch never waits for the others to drain.
      const target = this.credit >= unitCost * MAX_BATCH_CALLS ? MAX_BATCH_CALLS : this.batchTarget(unitCost);
      count = Math.max(1, Math.min(wanted, largest, Math.floor(this.inFlightCap() / 2), target));
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
    // The round trip, on average over the last few answers (a request that got none tells nothing).
    if (answer.spentUnits > 0 || answer.rateLimited > 0) this.roundTripMs = this.roundTripMs === undefined ? now - ticket.sentAt : 0.8 * this.roundTripMs + 0.2 * (now - ticket.sentAt);
    this.inFlight = Math.max(0, this.inFlight - ticket.cost.calls);
    this.inFlightUnits = Math.max(0, this.inFlightUnits - ticket.cost.units);
    if (answer.spentUnits > 0) this.succeeded(ticket, answer);
    if (answer.concurrent > 0) this.maxInFlight = Math.max(1, Math.min(this.maxInFlight, this.inFlight + ticket.cost.calls - answer.concurrent) - 1);
    if (answer.rateLimited > 0) this.rateLimited(ticket, answer, now);
    if (answer.failed) {
      // Give Google room: while one request waits to be retried, others do not take its place.
      // Requests sent before the last such pause began failed in the same burst: one pause for all.
      if (ticket.sentAt >= this.failedAt) {
        this.failedInARow += 1;
        this.failedAt = now;
        const pause = Math.min(PAUSES.serverMs * 2 ** (this.failedInARow - 1), PAUSES.maxServerMs);
        this.pausedUntil = Math.max(this.pausedUntil, now + pause);
        this.tell({ kind: 'pause', ms: pause, text: `every request waits ${pause} ms: Google failed to answer (${this.failedInARow} in a row), the retries go first` });
      }
    } else if (answer.spentUnits > 0) {
      this.failedInARow = 0;
    }
    this.wake();
  }

  private succeeded(ticket: Ticket, answer: Answer): void {
    const units = answer.spentUnits;
    this.firstSentAt = Math.min(this.firstSentAt ?? ticket.sentAt, ticket.sentAt);
    this.unitsInSpan += units;
    this.unitsTotal += units;
    if (this.probeCap !== undefined && this.suspect !== undefined && ticket.sentAt >= this.suspect.at) {
      // Calls sent after the rate-limit answer succeed: one more may be in flight for each.
      this.probeCap += Math.max(1, ticket.cost.calls - answer.rateLimited - answer.concurrent);
      if (this.probeCap >= this.maxInFlight) {
        this.tell({ kind: 'pace', ms: 0, text: `the rate-limit answer was not the quota running out (the calls after it succeed): the pace stays ${paceText(this.pace)}` });
        this.probeCap = undefined;
        this.suspect = undefined;
      }
      return;
    }
    if (this.probeCap !== undefined) return;
    if (this.phase !== 'paced') this.pace += (this.phase === 'start' ? START.growth : LEARNING.growth) * units;
    else this.probeIfQuiet();
  }

  /** Paced again after probing upward; a probe that found no more than before makes the next one wait twice as long. */
  private endProbe(now: number): void {
    this.probeQuietMs = this.pace > this.probeBase! * RAISE.found ? RAISE.quietMs : this.probeQuietMs * 2;
    this.probeBase = undefined;
    this.phase = 'paced';
    this.pacedAt = now;
  }

  /** Paced, and Gmail has not refused for long: probe upward (RAISE.quietMs). */
  private probeIfQuiet(): void {
    const now = this.world.now();
    const refillMs = ((this.bucketUnits ?? 0) / this.pace) * 1000;
    const quiet = now - Math.max(this.pacedAt, this.lastEpisodeAt);
    if (this.suspect !== undefined || quiet < Math.max(this.probeQuietMs, 2 * refillMs)) return;
    this.probeBase = this.pace;
    this.probeStart = { at: now, units: this.unitsTotal };
    this.phase = 'learning';
    this.wall = undefined;
    this.tell({ kind: 'pace', ms: 0, text: `no rate-limit answer for ${Math.round(quiet / 1000)} s at ${paceText(this.pace)}: probing upward (the quota may have been raised)` });
  }

  private rateLimited(ticket: Ticket, answer: Answer, now: number): void {
    this.limitedCalls += answer.rateLimited;
    const pause = answer.retryInMs === undefined ? PAUSES.defaultMs : Math.min(Math.max(answer.retryInMs, 0), PAUSES.maxMs);
    // A call sent before the last episode began is part of it: nothing new to learn.
    // Gmail's bucket is emptier than remembered: nothing more goes without waiting.
    this.credit = 0;
    if (ticket.sentAt >= this.episodeAt) {
      this.episodeAt = now;
      const what = answer.what ?? 'a rate limit';
      const why = answer.perMinute ? `Gmail answered ${what}: the per-minute quota is spent, until the next minute` : `Gmail answered ${what}${answer.retryInMs === undefined ? '' : ` naming a ${pause} ms wait`}`;
      this.tell({ kind: 'pause', ms: pause, text: `every request waits ${pause} ms: ${why}`, ...(answer.perMinute ? { perMinute: true } : {}) });
      const previous = this.lastEpisodeAt;
      this.lastEpisodeAt = now;
      // A batch whose other parts Gmail answered could be paid for: its refused part is no wall.
      const partial = answer.spentUnits > 0;
      if (answer.perMinute) {
        // A per-minute quota starts afresh at the next minute: nothing to learn about a refill.
      } else if (this.probeCap !== undefined && this.suspect !== undefined && partial) {
        // Probing goes on.
      } else if (this.probeCap !== undefined && this.suspect !== undefined && (this.strikes += 1) >= this.strikesToProve()) {
        // Refused again right after its wait: the quota is spent, not a stray answer.
        this.provenWall(now);
      } else if (this.probeCap !== undefined && this.suspect !== undefined) {
        // Refused again while probing: one more round of probing, from a few calls in flight.
        this.probeCap = PROOF.probeInFlight;
      } else if (this.phase !== 'start' && !partial && now - previous <= PROOF.repeatWindowMs) {
        // At a measured pace, refused again soon: this pace is over Gmail's.
        this.suspect = { at: now, units: this.unitsTotal };
        this.provenWall(now);
      } else {
        // One answer alone may not be the quota (a backend hiccup, another process): wait what
        // it names, then go on at the pace before with a few calls in flight, growing back.
        // Answers that keep coming back within seconds of each other are the quota all the
        // same, even when the calls right after each wait got through (a refill that is fast
        // next to the round trip): they count towards the proof together.
        const chained = !partial && now - previous <= PROOF.repeatWindowMs && this.chain !== undefined;
        this.strikes = chained ? this.strikes + 1 : 1;
        if (!chained) this.chain = { at: now, units: this.unitsTotal };
        if (this.strikes >= this.strikesToProve()) {
          this.suspect = this.chain;
          this.provenWall(now);
        } else {
          this.suspect = { at: now, units: this.unitsTotal };
          this.probeCap = PROOF.probeInFlight;
        }
      }
      // Gmail's bucket is empty now, and the calls still in flight will spend from it.
      this.refill(now);
      this.tokens = Math.min(this.tokens, 0) - this.inFlightUnits;
    }
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
  }

  /**
   * Rate-limit answers in a row that prove the quota is spent: one fewer at the start when a
   * published bucket explains where the first came (the wall expected there, not chance).
   */
  private strikesToProve(): number {
    const first = this.chain ?? this.suspect;
    const expected = this.phase === 'start' && first !== undefined && explainedWall(first.units, first.at - (this.firstSentAt ?? this.startedAt)) !== undefined;
    return expected ? PROOF.strikes - 1 : PROOF.strikes;
  }

  /** A rate-limit answer, then another right after its wait: Gmail's bucket was empty at both. */
  private provenWall(now: number): void {
    const suspect = this.suspect!;
    this.suspect = undefined;
    this.chain = undefined;
    this.strikes = 0;
    this.probeCap = undefined;
    if (this.phase === 'paced' && this.fromMemory) {
      // The remembered quota is wrong (a new project, a lowered quota): learn it again, from half.
      this.fromMemory = false;
      this.setPace(this.pace * START.guess, now, 'Gmail keeps refusing at the remembered pace: learning it again');
      this.phase = 'learning';
    } else if (this.phase === 'start') {
      // What succeeded between the two answers is what Gmail refilled in between (within a
      // call's cost): learning starts there and climbs until Gmail refuses again.
      // Over so short a span, one call more or less is much: start at half, and climb.
      const sinceFirst = suspect.at - (this.firstSentAt ?? this.startedAt);
      const explained = explainedWall(suspect.units, sinceFirst);
      if (explained) {
        // A published bucket, spent from full, and the refill since the first call: its pace.
        this.bucketUnits = explained.bucket;
        this.setPace(
          explained.refill * APPROACH.guess,
          now,
          `Gmail's wall came after ${Math.round(suspect.units)} units in ${Math.round(sinceFirst)} ms: a bucket of ${explained.bucket} and ${paceText(explained.refill)} of refill; learning its pace from ${Math.round(APPROACH.guess * 100)} % of that`,
        );
      } else {
        const measured = ((this.unitsTotal - suspect.units) / Math.max(now - suspect.at, 1)) * 1000;
        this.bucketUnits = suspect.units - (measured * sinceFirst) / 1000;
        this.setPace(measured * START.guess, now, `Gmail refused again after its wait: learning its pace from half of ${Math.round(this.unitsTotal - suspect.units)} units in ${Math.round(now - suspect.at)} ms`);
      }
      this.phase = 'learning';
    } else {
      const wall = this.wall;
      const span = wall === undefined ? 0 : suspect.at - wall.at;
      const units = wall === undefined ? 0 : suspect.units - wall.units;
      if (this.phase === 'learning' && (span >= LEARNING.minSpanMs || units >= LEARNING.minUnits) && units > 0) {
        // Gmail's bucket was empty at both ends: what it let through is what it refilled.
        this.setPace((units / span) * 1000 * LEARNING.margin, now, `learned: ${Math.round(units)} units in ${Math.round(span)} ms between two walls of Gmail's quota, less ${Math.round((1 - LEARNING.margin) * 100)} %`);
        this.phase = 'paced';
        this.pacedAt = now;
        if (this.probeBase !== undefined) this.endProbe(now);
      } else if (this.probeBase !== undefined && wall === undefined) {
        // The probe met Gmail's wall: its bucket was at most full when the probe began and is
        // empty now, so what went through beyond a bucket's worth is what it refilled meanwhile.
        const start = this.probeStart!;
        const refill = ((suspect.units - start.units - (this.bucketUnits ?? 0)) / Math.max(suspect.at - start.at, 1)) * 1000;
        if (refill > this.probeBase * RAISE.found) {
          this.setPace(refill * APPROACH.guess, now, `Gmail refused the probe after ${paceText(refill)} beyond its bucket: the quota was raised; learning its pace from ${Math.round(APPROACH.guess * 100)} % of that`);
        } else {
          this.setPace(this.probeBase, now, 'Gmail refused the probe: the quota was not raised');
          this.endProbe(now);
        }
      } else if (this.probeBase !== undefined) {
        // Refused again too soon to learn from: back to the pace that held.
        this.setPace(this.probeBase, now, 'Gmail refused the probe again at once: back to the pace that held');
        this.endProbe(now);
      } else {
        const factor = this.phase === 'learning' ? LEARNING.backoff : PACED.backoff;
        this.setPace(this.pace * factor, now, 'Gmail keeps refusing at this pace (someone else spends the same quota, or it is lower than learned)');
      }
    }
    this.wall = { at: now, units: this.unitsTotal };
    this.lastWallAt = now;
  }

  /**
   * The pace becomes `pace`, but not below the floor (the slowest quota Gmail publishes)
   * unless Google has kept refusing at the floor for FLOOR_PROOF_MS.
   */
  private setPace(pace: number, now: number, why: string): void {
    let next = pace;
    if (pace < FLOOR_PACE) {
      // Refusing at the floor since when: a stretch without a wall starts the count anew.
      if (this.floorRefusedSince === undefined || now - this.lastWallAt > FLOOR_PROOF_MS) this.floorRefusedSince = now;
      if (now - this.floorRefusedSince < FLOOR_PROOF_MS) next = Math.max(pace, Math.min(this.pace, FLOOR_PACE));
    } else {
      this.floorRefusedSince = undefined;
    }
    const floored = next !== pace ? ` (not below ${paceText(FLOOR_PACE)}, the slowest quota Gmail publishes, until Google has refused at it for ${FLOOR_PROOF_MS / 1000} s)` : '';
    this.tell({ kind: 'pace', ms: 0, text: `pace ${paceText(this.pace)} → ${paceText(next)}: ${why}${floored}` });
    this.pace = next;
  }

  /**
   * Calls in flight allowed now: few at the start, when an empty quota may be a few calls
   * away (every call in flight then is refused), all of them once 100 gets' worth succeeded.
   */
  private inFlightCap(): number {
    const early = this.phase === 'start' && this.unitsInSpan < START.proofUnits;
    const cap = Math.min(early ? START.inFlight : this.maxInFlight, this.maxInFlight, this.approachCap());
    return this.probeCap === undefined ? cap : Math.min(cap, this.probeCap);
  }

  /**
   * From a full bucket, the start meets Gmail's wall once the bucket and the refill since the
   * first call are spent: never more units in flight than a published bucket has left, and
   * from its size on, until it is passed, APPROACH.inFlight calls (they are all refused if
   * the wall is there).
   */
  private approachCap(): number {
    if (this.phase !== 'start' || this.firstSentAt === undefined) return Number.POSITIVE_INFINITY;
    const seconds = (this.world.now() - this.firstSentAt) / 1000;
    let cap = Number.POSITIVE_INFINITY;
    for (const bucket of PUBLISHED_BUCKETS) {
      if (this.unitsInSpan > bucket + APPROACH.refill * seconds) continue;
      cap = Math.min(cap, Math.max(this.approachInFlight(), Math.floor((bucket - this.unitsInSpan) / UNIT_COSTS['messages.get'])));
    }
    return cap;
  }

  /** Calls in flight near a published bucket: few, but enough for `speedup` times the fastest refill at the round trip seen. */
  private approachInFlight(): number {
    const needed = (APPROACH.speedup * APPROACH.refill * (this.roundTripMs ?? 0)) / 1000 / UNIT_COSTS['messages.get'];
    return Math.max(APPROACH.inFlight, Math.ceil(needed));
  }

  /** Batches grow as calls succeed before the first rate-limit answer: small while an empty quota may be near. */
  private startBatchCalls(): number {
    return Math.min(MAX_BATCH_CALLS, LEARNING.batchCalls + Math.floor(this.unitsInSpan / UNIT_COSTS['messages.get'] / START.batchGrowth));
  }

  /** Calls per batch at the pace: about a tenth of a second's worth. */
  private batchTarget(unitCost: number): number {
    return Math.floor((this.pace * PACED.batchSeconds) / unitCost);
  }

  /** 0 when `cost` may go now; else ms to wait (Infinity: until a call in flight is answered). */
  private waitFor(cost: Cost, retry = false): number {
    const now = this.world.now();
    if (!retry && this.retriesWaiting > 0) return Number.POSITIVE_INFINITY;
    if (this.inFlight > 0 && this.inFlight + cost.calls > this.inFlightCap()) return Number.POSITIVE_INFINITY;
    if (now < this.pausedUntil) return this.pausedUntil - now;
    // Less came back into Gmail's bucket since the last run than this call costs (a run started
    // right after it): that credit could never be spent, and while it is held the pacer's own
    // bucket refills nothing. It joins the pacer's own units, which refill at the pace from now.
    if (this.credit > 0 && this.credit < cost.units && this.unitsTotal === 0 && this.inFlight === 0) {
      this.tokens += this.credit;
      this.credit = 0;
    }
    this.refill(now);
    if (this.credit >= cost.units && this.tokens < cost.units) return 0;
    // A request larger than the bucket goes once the bucket is full.
    const needed = Math.min(cost.units, this.bucketSize(cost.units));
    return this.tokens >= needed ? 0 : Math.max(1, Math.ceil(((needed - this.tokens) / this.pace) * 1000));
  }

  private bucketSize(units: number): number {
    return Math.max(this.pace * PACED.burstSeconds, units);
  }

  private take(cost: Cost): void {
    this.inFlight += cost.calls;
    this.inFlightUnits += cost.units;
    // What refilled meanwhile goes first; what the last run left in Gmail's bucket after.
    if (this.tokens < cost.units && this.credit >= cost.units) this.credit -= cost.units;
    else this.tokens -= cost.units;
  }

  private refill(now: number): void {
    // Gmail's bucket, full, refills nothing until the first call spends from it.
    if (this.credit > 0 && this.unitsTotal === 0 && this.inFlight === 0) {
      this.refilledAt = now;
      return;
    }
    this.tokens = Math.min(this.bucketSize(UNIT_COSTS['messages.get'] * MAX_BATCH_CALLS), this.tokens + ((now - this.refilledAt) / 1000) * this.pace);
    this.refilledAt = now;
  }

  /** Sleeps `ms`, or until a call in flight is answered when `ms` is infinite. */
  private async pause(ms: number, signal?: AbortSignal): Promise<void> {
    if (Number.isFinite(ms)) {
      // A pause was told when it began; a long wait for the pacer's own units is told here.
      if (ms >= TOLD_WAIT_MS && this.world.now() >= this.pausedUntil) this.tell({ kind: 'wait', ms, text: `a request waits ${ms} ms for quota units at ${paceText(this.pace)}` });
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

  private tell(event: PacerEvent): void {
    this.onEvent(event);
    for (const listener of this.listeners) listener(event);
  }

  private wake(): void {
    // Each woken waiter checks again; the ones that do not fit wait anew.
    for (const resolve of [...this.waiting]) resolve();
  }
}

/** "250 units/s (50 gets/s)": the pace in both the pacer's units and gets. */
export function paceText(unitsPerSecond: number): string {
  const gets = unitsPerSecond / UNIT_COSTS['messages.get'];
  return `${Math.round(unitsPerSecond)} units/s (${gets < 10 ? gets.toFixed(1) : Math.round(gets)} gets/s)`;
}

/**
 * The published bucket (the largest) that explains a first wall met after `units` had gone
 * through, `ms` after the first call: the bucket, and the refill that topped it up meanwhile
 * (at least the slowest quota Gmail publishes, at most APPROACH.refill). Undefined when none
 * does (a quota of its own, a bucket that was not full).
 */
function explainedWall(units: number, ms: number): { bucket: number; refill: number } | undefined {
  const seconds = Math.max(ms, 1) / 1000;
  const bucket = [...PUBLISHED_BUCKETS].reverse().find((size) => size + FLOOR_PACE * seconds <= units && units <= size + APPROACH.refill * seconds);
  return bucket === undefined ? undefined : { bucket, refill: (units - bucket) / seconds };
}

function costKey(cost: Cost): string {
  return `${cost.units}/${cost.calls}`;
}
