/** What every output format implements; the formats (formats.ts, table.ts) depend on this, not on each other. */
import type { MessageSummary } from '../gmail/message.js';

/**
 * How the listing ended: output must stay well-formed whichever. `stopped` is --max-free
 * early ends that are not failures: Ctrl-C, or the reader of stdout going away.
 */
export type Outcome = 'complete' | 'stopped' | 'failed';

export interface MessageWriter<T = MessageSummary> {
  writePage(messages: readonly T[]): Promise<void>;
  /** Closes what the format opened (a JSON array). */
  end(outcome: Outcome): Promise<void>;
}

/** A writer of one item at a time: `show`'s messages, `thread`'s conversations. */
export interface ItemWriter<T> {
  write(item: T): Promise<void>;
  /** Closes what the format opened (a JSON array). */
  end(outcome: Outcome): Promise<void>;
}
