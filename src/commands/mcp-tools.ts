/**
 * What the MCP tools do, each through the use cases the commands use: the search as `list`
 * does it (labels by id or name, the message cache when it can be used), reading as `show`
 * and `thread` do it, labels as `labels` does. Answers are the commands' JSON objects; the
 * server (mcp.ts) cleans and cuts them.
 */
import type { Mailbox } from '../auth/mailbox.js';
import type { LabelObject, MessageSummary, ShownMessage, ThreadObject, ThreadSummary } from '../schemas/objects.js';
import type { CommandContext } from './context.js';

interface SearchInput {
  query: string | undefined;
  labels: string[];
  max: number;
  includeSpamTrash: boolean;
}

/** The messages of a search, newest first, at most `max`; metadata from the cache where it is in step with Gmail. */
export async function searchMessages(context: CommandContext, mailbox: Mailbox, input: SearchInput): Promise<MessageSummary[]> {
  const [{ listMessageSummaries }, { resolveLabelIds }] = await Promise.all([import('../gmail/listing.js'), import('../gmail/labels.js')]);
  const labelIds = input.labels.length > 0 ? await resolveLabelIds(mailbox, input.labels) : [];
  const cache = await openCache(context, mailbox);
  try {
    if (cache) await cache.sync();
    const deps = cache ? { ...mailbox, known: cache.known } : mailbox;
    const found: MessageSummary[] = [];
    for await (const page of listMessageSummaries(deps, { query: input.query, labelIds, includeSpamTrash: input.includeSpamTrash, max: input.max })) {
      found.push(...page.messages);
    }
    return found.slice(0, input.max);
  } finally {
    cache?.close();
  }
}

/**
 * The conversations of a search, newest activity first, at most `max`: a threads.list per 50,
 * and a metadata threads.get for each thread the cache does not know at its historyId.
 */
export async function searchThreads(context: CommandContext, mailbox: Mailbox, input: SearchInput): Promise<ThreadSummary[]> {
  const [{ listThreadSummaries }, { resolveLabelIds }] = await Promise.all([import('../gmail/thread-listing.js'), import('../gmail/labels.js')]);
  const labelIds = input.labels.length > 0 ? await resolveLabelIds(mailbox, input.labels) : [];
  const cache = await openCache(context, mailbox);
  try {
    const found: ThreadSummary[] = [];
    for await (const page of listThreadSummaries({ ...mailbox, knownThreads: cache?.knownThreads }, { query: input.query, labelIds, includeSpamTrash: input.includeSpamTrash, max: input.max })) {
      found.push(...page.threads);
    }
    return found;
  } finally {
    cache?.close();
  }
}

/**
 * Whole messages by id, as `show --json` prints them: one messages.get (format=raw) each,
 * through the pacer. An id that is not found fails the call, naming it (the others are not
 * lost: the agent asks again without it).
 */
export async function readMessages(mailbox: Mailbox, ids: readonly string[]): Promise<ShownMessage[]> {
  const [{ getRawMessages }, { readMessage }, { GoogleApiError }] = await Promise.all([
    import('../gmail/messages.js'),
    import('../mail/read-message.js'),
    import('../basics/errors.js'),
  ]);
  const shown: ShownMessage[] = [];
  const missing: string[] = [];
  for await (const fetched of getRawMessages(mailbox, ids)) {
    if (!fetched.found) missing.push(fetched.id);
    else shown.push((await readMessage({ message: fetched.message, raw: fetched.raw })).shown);
  }
  if (missing.length > 0) {
    throw new GoogleApiError(`${missing.length === 1 ? 'Message' : `${missing.length} messages`} not found: ${missing.join(', ')}.`, 404, {
      hint: 'It was deleted, or the id belongs to another account. Read the others without it.',
    });
  }
  return shown;
}

/** A conversation as `thread --json` prints it: one threads.get (format=full); a missing one fails the call, naming it. */
export async function readThread(mailbox: Mailbox, id: string): Promise<ThreadObject> {
  const [{ getThreads }, { readThread: read }, { GoogleApiError }] = await Promise.all([
    import('../gmail/threads.js'),
    import('../mail/read-thread.js'),
    import('../basics/errors.js'),
  ]);
  for await (const fetched of getThreads(mailbox, [id])) {
    if (fetched.found) return (await read(mailbox, fetched.thread)).thread;
  }
  throw new GoogleApiError(`Thread not found: ${id}.`, 404, { hint: 'It was deleted, or the id belongs to another account. Thread ids are what search_threads answers (or a message\'s threadId).' });
}

/**
 * The account's message cache, or undefined where `list` would not use one either (a login
 * from the environment, GMAILCTL_NO_CACHE=1, a cache that cannot be opened): then every
 * message's metadata is fetched. The server says nothing on stdout about it.
 */
async function openCache(context: CommandContext, mailbox: Mailbox) {
  if ((await context.environmentLogin()) !== undefined) return undefined;
  const [{ cacheEnabled }, { openListCache }, { settings }] = await Promise.all([import('../cache/paths.js'), import('../cache/list-cache.js'), context.config()]);
  if (!cacheEnabled(undefined, context.env, settings)) return undefined;
  return openListCache({ env: context.env, account: mailbox.session.account, deps: mailbox, notify: (notice) => context.io.debug(`cache: ${notice.kind}`) });
}

export type { LabelObject, ShownMessage, ThreadObject, ThreadSummary };

/** Every label as `labels --format json` prints it, in its order; with the counts, one labels.get per label, batched. */
export async function listLabels(mailbox: Mailbox, counts: boolean): Promise<LabelObject[]> {
  const [{ readLabels }, { toLabelObjects }] = await Promise.all([import('../gmail/labels.js'), import('../output/labels.js')]);
  return toLabelObjects(await readLabels(mailbox, { counts }), counts);
}
