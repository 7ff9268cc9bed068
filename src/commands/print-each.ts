/**
 * The loop of the commands that print what they fetch one item at a time (`show`, `thread`):
 * it stops when the user presses Ctrl-C or the reader of stdout goes away, leaves the output
 * well-formed however the run ends (a JSON array is closed), closes the mailbox, and lets
 * report() turn an interruption into its exit code.
 */
import { GoogleApiError, InterruptedError } from '../basics/errors.js';
import type { IO } from '../basics/io.js';
import type { Outcome } from '../output/index.js';

interface Printing<T> {
  io: IO;
  signal: AbortSignal;
  mailbox: { close(): Promise<void> };
  items: AsyncIterable<T>;
  print(item: T): Promise<void>;
  end(outcome: Outcome): Promise<void>;
}

export async function printEach<T>({ io, signal, mailbox, items, print, end }: Printing<T>): Promise<void> {
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  let outcome: Outcome = 'failed';
  try {
    for await (const item of items) {
      await print(item);
      if (stop.aborted) break;
    }
    outcome = 'complete';
  } catch (error) {
    // A closed stdout or Ctrl-C makes in-flight requests fail with an abort: a normal end.
    if (!stop.aborted) throw error;
  } finally {
    await end(stop.aborted ? 'stopped' : outcome);
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** What was asked for and not found, once everything else is printed: exit 1, naming each. */
export function notFound(noun: 'Message' | 'Thread', missing: readonly string[], hint: string): GoogleApiError | undefined {
  if (missing.length === 0) return undefined;
  const what = missing.length === 1 ? noun : `${missing.length} ${noun.toLowerCase()}s`;
  return new GoogleApiError(`${what} not found: ${missing.join(', ')}.`, 404, { hint });
}
