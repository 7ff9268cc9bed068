/**
 * Gmail's history: what changed in the mailbox since a historyId (users.history.list, 2
 * quota units a page against 20 for one messages.get), and the mailbox's current historyId
 * (users.getProfile, 1 unit). Gmail keeps history for about a week; an older start answers
 * 404, which is a normal outcome here ('expired'), not a failure.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { GoogleApiError } from '../basics/errors.js';
import { failureFacts } from './google-error.js';
import type { CallGoogle } from './listing.js';
import type { GmailClient } from './client.js';

export type HistoryType = 'messageAdded' | 'messageDeleted' | 'labelAdded' | 'labelRemoved';

export const ALL_HISTORY_TYPES: readonly HistoryType[] = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

/** One change read from Gmail's history, in the order Gmail recorded it, with its record's historyId. */
export type HistoryChange = (
  | { kind: 'deleted'; id: string }
  | { kind: 'labelsAdded'; id: string; labelIds: string[] }
  | { kind: 'labelsRemoved'; id: string; labelIds: string[] }
) & { historyId: string };

/** A message added in the history read. */
interface AddedMessage {
  /** The record that added it. */
  historyId: string;
  /** Its labels as of the end of the read (added, then changed), when Gmail gave them. */
  labelIds?: string[];
}

export interface HistoryDeps {
  gmail: GmailClient;
  call: CallGoogle;
  signal: AbortSignal;
}

export interface MailboxChanges {
  /** Label changes and deletions, in Gmail's order. */
  changes: HistoryChange[];
  /** The messages added since the start (and not deleted since), in Gmail's order. */
  added: Map<string, AddedMessage>;
  /** The mailbox's historyId when the last page was answered: where the next read starts. */
  historyId: string;
}

/** The largest page users.history.list allows. */
const HISTORY_PAGE_SIZE = 500;

/** Every change of the given types after `startHistoryId`, all pages; 'expired' when Gmail no longer has them. */
export async function readHistory(deps: HistoryDeps, startHistoryId: string, types: readonly HistoryType[]): Promise<MailboxChanges | 'expired'> {
  const result: MailboxChanges = { changes: [], added: new Map(), historyId: startHistoryId };
  let pageToken: string | undefined;
  do {
    const token = pageToken;
    const page = await deps.call('reading the mailbox history', async () => {
      try {
        const response = await deps.gmail.users.history.list(
          {
            userId: 'me',
            startHistoryId,
            maxResults: HISTORY_PAGE_SIZE,
            historyTypes: [...types],
            ...(token ? { pageToken: token } : {}),
          },
          { signal: deps.signal },
        );
        return response.data;
      } catch (error) {
        if (failureFacts(error).status === 404) return 'expired' as const;
        throw error;
      }
    });
    if (page === 'expired') return 'expired';
    for (const record of page.history ?? []) collect(record, result);
    if (page.historyId && isLater(page.historyId, result.historyId)) result.historyId = page.historyId;
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return result;
}

function collect(record: gmail_v1.Schema$History, into: MailboxChanges): void {
  const historyId = record.id && /^\d+$/.test(record.id) ? record.id : into.historyId;
  for (const { message } of record.messagesAdded ?? []) {
    if (message?.id) into.added.set(message.id, { historyId, ...(message.labelIds ? { labelIds: [...message.labelIds] } : {}) });
  }
  for (const { message } of record.messagesDeleted ?? []) {
    if (!message?.id) continue;
    into.added.delete(message.id);
    into.changes.push({ kind: 'deleted', id: message.id, historyId });
  }
  for (const { message, labelIds } of record.labelsAdded ?? []) {
    if (!message?.id || !labelIds?.length) continue;
    into.changes.push({ kind: 'labelsAdded', id: message.id, labelIds, historyId });
    const added = into.added.get(message.id)?.labelIds;
    if (added) for (const label of labelIds) if (!added.includes(label)) added.push(label);
  }
  for (const { message, labelIds } of record.labelsRemoved ?? []) {
    if (!message?.id || !labelIds?.length) continue;
    into.changes.push({ kind: 'labelsRemoved', id: message.id, labelIds, historyId });
    const added = into.added.get(message.id);
    if (added?.labelIds) added.labelIds = added.labelIds.filter((label) => !labelIds.includes(label));
  }
  if (record.id && isLater(record.id, into.historyId)) into.historyId = record.id;
}

/** The part of a read that came after `historyId` (a read from an earlier start serves a later one too). */
export function changesAfter(read: MailboxChanges, historyId: string): MailboxChanges {
  const after = BigInt(historyId);
  return {
    changes: read.changes.filter((change) => BigInt(change.historyId) > after),
    added: new Map([...read.added].filter(([, added]) => BigInt(added.historyId) > after)),
    historyId: read.historyId,
  };
}

/** The earlier of two historyIds. */
export function earlierHistoryId(a: string, b: string): string {
  return BigInt(a) <= BigInt(b) ? a : b;
}

/** historyIds are unsigned 64-bit numbers sent as strings. */
function isLater(candidate: string, than: string): boolean {
  if (!/^\d+$/.test(candidate)) throw malformed(`a historyId "${candidate.slice(0, 30)}"`);
  return BigInt(candidate) > BigInt(than);
}

function malformed(what: string): GoogleApiError {
  return new GoogleApiError(`Gmail answered with ${what}.`, undefined, { hint: 'Try again; if it keeps happening, run with --debug and report it.' });
}

/** The mailbox's current historyId, from the profile. */
export async function currentHistoryId(deps: HistoryDeps): Promise<string> {
  const profile = await deps.call('reading the mailbox profile', async () => {
    const response = await deps.gmail.users.getProfile({ userId: 'me' }, { signal: deps.signal });
    return response.data;
  });
  if (!profile.historyId || !/^\d+$/.test(profile.historyId)) throw malformed('a profile without a historyId');
  return profile.historyId;
}
