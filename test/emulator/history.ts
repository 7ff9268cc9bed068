/**
 * Gmail's mailbox history, as users.history.list serves it: every change to a mailbox (a
 * message added or deleted, labels added or removed) is a record with an increasing id —
 * increasing but not contiguous, as Google's are. The mailbox's historyId is the newest
 * record's; a message's historyId is that of the last record that touched it. History
 * older than the retention floor is gone: a start before it answers 404, as Gmail does
 * after about a week (tests move the floor with expire()).
 */
import { createHash } from 'node:crypto';

export const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'] as const;
export type HistoryType = (typeof HISTORY_TYPES)[number];

/** A message as history records show it. */
export interface HistoryMessage {
  id: string;
  threadId: string;
  labelIds?: readonly string[];
}

export interface HistoryRecord {
  id: number;
  type: HistoryType;
  message: HistoryMessage;
  /** The labels added or removed (label records only). */
  labelIds?: readonly string[];
}

/** Gaps between consecutive history ids: Google's are not contiguous either. */
const ID_STEP = 3;

export class MailboxHistory {
  private readonly records: HistoryRecord[] = [];
  private floor: number;

  constructor(private current: number) {
    this.floor = current;
  }

  /** The mailbox's historyId: what getProfile and history.list answer. */
  get historyId(): number {
    return this.current;
  }

  /** Appends a record; answers its id (the touched message's new historyId). */
  record(type: HistoryType, message: HistoryMessage, labelIds?: readonly string[]): number {
    this.current += ID_STEP;
    this.records.push({ id: this.current, type, message, ...(labelIds ? { labelIds } : {}) });
    return this.current;
  }

  /** Forgets every record so far: any start before now answers 404. */
  expire(): void {
    this.floor = this.current;
    this.records.length = 0;
  }

  /** Whether Gmail still has the history after this start. */
  covers(startHistoryId: number): boolean {
    return startHistoryId >= this.floor;
  }

  /** Records after the start, of the given types (all when none), oldest first. */
  after(startHistoryId: number, types: readonly HistoryType[]): HistoryRecord[] {
    return this.records.filter((record) => record.id > startHistoryId && (types.length === 0 || types.includes(record.type)));
  }
}

/** A record as the API renders it: `messages` plus the one typed field. */
export function renderRecord(record: HistoryRecord): object {
  const ref = { id: record.message.id, threadId: record.message.threadId };
  const message = { ...ref, ...(record.message.labelIds && record.message.labelIds.length > 0 ? { labelIds: record.message.labelIds } : {}) };
  const typed = {
    messageAdded: () => ({ messagesAdded: [{ message }] }),
    messageDeleted: () => ({ messagesDeleted: [{ message: ref }] }),
    labelAdded: () => ({ labelsAdded: [{ message, labelIds: record.labelIds }] }),
    labelRemoved: () => ({ labelsRemoved: [{ message, labelIds: record.labelIds }] }),
  }[record.type]();
  return { id: String(record.id), messages: [ref], ...typed };
}

/** Page tokens of history listings: the offset, bound to (start, types) by a checksum. */
export function historyPageToken(key: string, offset: number): string {
  const checksum = createHash('sha256').update(`history\n${key}\n${offset}`).digest().readUIntBE(0, 6);
  return `${String(offset).padStart(9, '0')}${String(checksum).padStart(15, '0')}`;
}

export function historyOffset(token: string, key: string): number | undefined {
  if (!/^\d{24}$/.test(token)) return undefined;
  const offset = Number(token.slice(0, 9));
  return historyPageToken(key, offset) === token ? offset : undefined;
}
