/**
 * Settling the process for a run of days (`list --follow`): a poll every interval, a message
 * now and then — little work, spread thin, for as long as the user lets it run.
 *
 * What grew there was not our data but the optimizing compiler's. As the follower's functions
 * slowly get hot, V8 optimizes them one by one on its worker threads, and the compiler's
 * scratch memory, freed afterwards, stays behind in glibc's per-thread malloc arenas: RSS
 * climbed about 1 MB a minute at a message a second while the JavaScript heap stayed flat
 * (measured: heap snapshots minutes apart differed by 0.6 MB, most of it compiled code; with
 * optimization off, or MALLOC_ARENA_MAX=1, the climb was gone: 0.5 MB over the benchmark's
 * 180 s against 5.6). Following needs no optimized code — the interpreter and the baseline
 * compiler handle a message a second with room to spare — so from here on V8 optimizes
 * nothing new. What the listing before it optimized stays optimized.
 */
import v8 from 'node:v8';

export function settleIntoLongRun(): void {
  // Both optimizing tiers: TurboFan, and Maglev (on by default from Node 22's V8).
  v8.setFlagsFromString('--no-opt');
  v8.setFlagsFromString('--no-maglev');
}
