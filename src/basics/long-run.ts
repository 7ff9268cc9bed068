/**
 * Settling the process for a run of days (`list --follow`): a poll every interval, a message
 * now and then — little work, spread thin, for as long as the user lets it run. From here on
 * V8 favours memory over speed, in two ways; the JavaScript heap's live data was already flat
 * (heap snapshots 1,000 messages apart differed by 0.2 MB: the 2,000 remembered ids filling).
 *
 * - It optimizes no more code. As the follower's functions slowly got hot, V8 optimized them
 *   one by one on its worker threads, and the optimizing compiler's scratch memory, freed
 *   afterwards, stayed behind in glibc's per-thread malloc arenas: RSS climbed about 1 MB a
 *   minute at a message a second (with optimization off, or MALLOC_ARENA_MAX=1, the arenas
 *   stayed at 0.3 MB). A follower needs no optimized code: a burst of 2,000 new messages was
 *   printed as fast either way (about 3 s, bound by Gmail's round trips), and what the
 *   listing before it optimized stays optimized.
 * - It collects garbage sooner (--optimize-for-size): by default V8 lets the old generation
 *   grow at least 8 MB past what is live before it collects, a sawtooth of about 7 MB on a
 *   10 MB heap; sized for memory, the step is 2 MB (measured at five messages a second: the
 *   V8 heap's pages stayed within 11.3–12.7 MB over 1,600 messages, against 10 → 16.4 MB).
 */
import v8 from 'node:v8';

export function settleIntoLongRun(): void {
  // Both optimizing tiers: TurboFan, and Maglev (on by default from Node 22's V8).
  v8.setFlagsFromString('--no-opt');
  v8.setFlagsFromString('--no-maglev');
  v8.setFlagsFromString('--optimize-for-size');
}
