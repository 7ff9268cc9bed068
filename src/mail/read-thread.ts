/**
 * Reading a conversation: a users.threads.get answer (format=full) as `thread --json` prints
 * it — its messages oldest first, each read from Gmail's part tree by readMessage, so each is
 * the same object as `show --json` prints for it. A use case: it fetches only a body Gmail kept
 * apart (one attachments.get, when its text is needed) and prints nothing (warnings come back).
 */
import type { MessageDeps } from '../gmail/messages.js';
import { attachmentFetcher, type GmailThread } from '../gmail/threads.js';
import type { ThreadObject } from '../schemas/objects.js';
import { readMessage } from './read-message.js';

export async function readThread(deps: MessageDeps, thread: GmailThread): Promise<{ thread: ThreadObject; warnings: string[] }> {
  const reads = await Promise.all(oldestFirst(thread.messages).map((message) => readMessage({ message, attachment: attachmentFetcher(deps, message.id ?? '') })));
  return { thread: { id: thread.id, historyId: thread.historyId, messages: reads.map((read) => read.shown) }, warnings: reads.flatMap((read) => read.warnings) };
}

/** Gmail lists a thread's messages oldest first; sorted again (stably) so that it holds whatever the order served. */
export function oldestFirst(messages: GmailThread['messages']): GmailThread['messages'] {
  const at = (message: GmailThread['messages'][number]): number => Number(message.internalDate ?? 0);
  return [...messages].sort((a, b) => at(a) - at(b));
}
