/**
 * Reading whole messages by id: users.messages.get with format=raw (the RFC 822 bytes;
 * the same quota units as a metadata get), several at once — each request waits on the
 * mailbox's quota pacer like every other —, handed over in the order asked, each once. A
 * message that answers 404 is reported as not found rather than failing the others.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { failureFacts } from './google-error.js';
import type { GmailClient } from './client.js';
import { fetchInOrder } from './in-order.js';
import { wellFormed, type CallGoogle } from './listing.js';

export interface MessageDeps {
  gmail: GmailClient;
  call: CallGoogle;
  signal: AbortSignal;
}

type FetchedMessage = { id: string; found: true; message: gmail_v1.Schema$Message; raw: Buffer } | { id: string; found: false };

/** How many messages may be fetched ahead of the one being written: bounds memory (a raw message can weigh 35 MB). */
const FETCH_AHEAD = 16;

/** Each id once, in the order given, fetched concurrently but never more than `ahead` ahead. */
export function getRawMessages(deps: MessageDeps, ids: readonly string[], ahead = FETCH_AHEAD): AsyncGenerator<FetchedMessage> {
  return fetchInOrder(ids, (id) => getRaw(deps, id), ahead);
}

async function getRaw(deps: MessageDeps, id: string): Promise<FetchedMessage> {
  return deps.call(`reading message ${id}`, async () => {
    try {
      const response = await deps.gmail.users.messages.get({ userId: 'me', id, format: 'raw' }, { signal: deps.signal });
      const message = wellFormed(response.data, `message ${id}`);
      return { id, found: true, message, raw: Buffer.from(message.raw ?? '', 'base64url') };
    } catch (error) {
      if (failureFacts(error).status === 404) return { id, found: false };
      throw error;
    }
  });
}
