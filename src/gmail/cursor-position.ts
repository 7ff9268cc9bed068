/**
 * A `--since-last` cursor's position, and how it moves. Pure: the message cache
 * (src/cache/message-cache.ts) keeps positions, `list` and `list --follow` move them.
 *
 * A position says which added messages were delivered (printed) already: every one added
 * up to `historyId`, and beyond it the ids in `delivered`. So a run cut short by `-n`, or
 * `--follow` printing one message at a time, can record exactly what reached stdout, and the
 * next run prints the rest, each once.
 */

export interface CursorPosition {
  /** Every message added up to this Gmail historyId was delivered. Undefined: not started yet (every match counts). */
  readonly historyId?: string;
  /** Messages delivered beyond historyId. */
  readonly delivered: readonly string[];
  /**
   * When historyId was read, in ms on this machine's clock. Mail added after it arrived
   * after about then: the next listing can skip older matches (a hint only: a message that
   * does not show up there is checked by its own date).
   */
  readonly readAt?: number;
}

/** Where a cursor that was never advanced stands: before everything. */
export const START: CursorPosition = { delivered: [] };

/** The position after these messages were delivered too (one by one, or a run cut short by -n). */
export function afterDelivering(position: CursorPosition, ids: Iterable<string>): CursorPosition {
  const delivered = new Set(position.delivered);
  for (const id of ids) delivered.add(id);
  return { ...position, delivered: [...delivered] };
}

/** The position once everything added up to `historyId` was delivered (or cannot match). */
export function caughtUp(historyId: string, readAt: number): CursorPosition {
  return { historyId, delivered: [], readAt };
}

/** What `gmailctl cursor list` shows of one cursor. */
export interface CursorSummary {
  name: string;
  /** When it last advanced (ms since the epoch); undefined when it never did. */
  advancedAt?: number;
  /** A `--no-commit` run recorded where it got, waiting for `gmailctl cursor commit`. */
  pending: boolean;
}

/** A position as the cache file keeps it (JSON text); undefined for anything malformed. */
export function parsePosition(text: string | null): CursorPosition | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as { historyId?: unknown; delivered?: unknown; readAt?: unknown };
    if (typeof value !== 'object' || value === null) return undefined;
    const delivered = Array.isArray(value.delivered) ? value.delivered.filter((id): id is string => typeof id === 'string') : [];
    return {
      ...(typeof value.historyId === 'string' && /^\d+$/.test(value.historyId) ? { historyId: value.historyId } : {}),
      delivered,
      ...(typeof value.readAt === 'number' && Number.isFinite(value.readAt) ? { readAt: value.readAt } : {}),
    };
  } catch {
    return undefined;
  }
}

export function formatPosition(position: CursorPosition): string {
  return JSON.stringify({ historyId: position.historyId, delivered: position.delivered, readAt: position.readAt });
}
