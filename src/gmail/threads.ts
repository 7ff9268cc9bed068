/**
 * Reading whole conversations by id: one users.threads.get per thread (format=full: every
 * message's parsed part tree, bodies inline), several at once — each request waits on the
 * mailbox's quota pacer like every other —, handed over in the order asked, each once. A
 * thread that answers 404 is reported as not found rather than failing the others. A body
 * part Gmail keeps apart costs one users.messages.attachments.get, and only when asked for.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { failureFacts } from './google-error.js';
import { fetchInOrder } from './in-order.js';
import { wellFormed } from './listing.js';
import type { MessageDeps } from './messages.js';

export interface GmailThread {
  id: string;
  /** The id of the thread's last change. */
  historyId: string;
  /** Oldest first, as Gmail orders them. */
  messages: gmail_v1.Schema$Message[];
}

type FetchedThread = { id: string; found: true; thread: GmailThread } | { id: string; found: false };

/** `full`: each message's part tree (to read it); `minimal`: its ids and labels only (to fetch it raw). */
export type ThreadFormat = 'full' | 'minimal';

/** Threads weigh more than messages (every message's bodies): fewer are fetched ahead of the one being written. */
const THREADS_AHEAD = 4;

/** Each id once, in the order given, fetched concurrently but never more than `ahead` ahead. */
export function getThreads(deps: MessageDeps, ids: readonly string[], format: ThreadFormat = 'full', ahead = THREADS_AHEAD): AsyncGenerator<FetchedThread> {
  return fetchInOrder(ids, (id) => getThread(deps, id, format), ahead);
}

async function getThread(deps: MessageDeps, id: string, format: ThreadFormat): Promise<FetchedThread> {
  return deps.call(`reading thread ${id}`, async () => {
    try {
      const response = await deps.gmail.users.threads.get({ userId: 'me', id, format }, { signal: deps.signal });
      const thread = wellFormed(response.data, `thread ${id}`);
      return { id, found: true, thread: { id: thread.id ?? id, historyId: thread.historyId ?? '', messages: thread.messages ?? [] } };
    } catch (error) {
      if (failureFacts(error).status === 404) return { id, found: false };
      throw error;
    }
  });
}

/** A part of message `messageId` that Gmail did not inline: one users.messages.attachments.get, its bytes decoded. */
export function attachmentFetcher(deps: MessageDeps, messageId: string): (attachmentId: string) => Promise<Uint8Array> {
  return (attachmentId) =>
    deps.call(`reading a part of message ${messageId}`, async () => {
      const response = await deps.gmail.users.messages.attachments.get({ userId: 'me', messageId, id: attachmentId }, { signal: deps.signal });
      return Buffer.from(wellFormed(response.data, `a part of message ${messageId}`).data ?? '', 'base64url');
    });
}
