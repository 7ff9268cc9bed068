/**
 * Many GETs of one kind (metadata gets, labels.get, threads.get): batched (src/gmail/batch.ts)
 * in sizes the quota pacer allows, and one call at a time for whatever a batch could not
 * answer (a rate-limited, failed or 401 part: retried there, with the same pacing and the
 * session's refresh). A 404 is an answer too: the thing is gone. Every request goes through
 * the mailbox's one pacer either way.
 */
import { failureFacts, toGmailctlError } from './google-error.js';
import { MAX_BATCH_SIZE, type PartReply } from './batch.js';
import type { QuotaPacer } from './quota-pacer.js';
import { classifyFailure } from './retry.js';

/** Wraps each Google call (refresh on 401, error mapping): the session's `call`. */
export type CallGoogle = <T>(doing: string, request: () => Promise<T>) => Promise<T>;

export interface BatchGetDeps {
  call: CallGoogle;
  signal: AbortSignal;
  /** Sizes each batch to the quota left (absent: batches of MAX_BATCH_SIZE). Every request waits on it anyway. */
  pacer?: Pick<QuotaPacer, 'reserve'>;
  /** Sends GETs for these API paths as one batch request (absent: one call each). */
  batch?: (paths: string[]) => Promise<PartReply[]>;
}

interface GetEach<T> {
  /** What the calls do, for error messages: "reading message metadata". */
  doing: string;
  /** The API path (relative to the API root, with its query) of the call for `key`. */
  path(key: string): string;
  /** The same call alone, through the generated client: undefined when Gmail answers 404. */
  one(key: string): Promise<T | undefined>;
  /**
   * The units one call costs, to size batches by the quota left (the pacer's `reserve`).
   * Undefined for calls so cheap (labels.get: 1 unit) that a whole batch of MAX_BATCH_SIZE
   * costs less than a single get: they go MAX_BATCH_SIZE at a time, each batch waiting on the
   * pacer like any request.
   */
  unitCost?: number;
  /** Checks a 200 part's body: throws when it is not what the call answers. */
  parse(body: unknown, key: string): T;
}

/** Each key's answer (undefined: Gmail answered 404), in the order of `keys`. */
export async function getEach<T>(deps: BatchGetDeps, keys: readonly string[], how: GetEach<T>): Promise<Map<string, T | undefined>> {
  const answers = new Map<string, T | undefined>();
  let oneByOne: string[] = [...keys];
  if (deps.batch) {
    const batch = deps.batch;
    oneByOne = [];
    const batches: Array<Promise<void>> = [];
    // A batch that failed for good ends the work: the others are not even sized. So does the
    // caller's signal, followed by a listener removed at the end, not AbortSignal.any(): on
    // Node 20 each any() leaves a WeakRef on the caller's signal for as long as that lives
    // (a run of list --follow: one more per poll that brought mail).
    const failed = new AbortController();
    const stop = (): void => failed.abort(deps.signal.reason);
    if (deps.signal.aborted) stop();
    else deps.signal.addEventListener('abort', stop, { once: true });
    try {
      // The pacer takes each batch's units as it sizes it: the next is sized on what is left.
      for await (const chunk of chunks(deps, keys, how.unitCost, failed.signal)) {
        const sent = deps.call(how.doing, () => batch(chunk.map((key) => how.path(key)))).then((replies) => {
          replies.forEach((reply, index) => {
            const key = chunk[index]!;
            const outcome = partOutcome(reply, key, how);
            if (outcome.kind === 'done') answers.set(key, outcome.value);
            else oneByOne.push(key);
          });
        });
        sent.catch(() => failed.abort()); // awaited below; no unhandled rejection while the next is sized
        batches.push(sent);
      }
      await Promise.all(batches);
    } finally {
      deps.signal.removeEventListener('abort', stop);
    }
  }
  await Promise.all(oneByOne.map(async (key) => answers.set(key, await how.one(key))));
  return new Map(keys.map((key) => [key, answers.get(key)]));
}

/** The keys in batches: each as large as the quota left allows (the pacer waits until one call may go). */
async function* chunks(deps: BatchGetDeps, keys: readonly string[], unitCost: number | undefined, signal: AbortSignal): AsyncGenerator<string[]> {
  for (let start = 0; start < keys.length; ) {
    const size = deps.pacer && unitCost !== undefined ? await deps.pacer.reserve(unitCost, keys.length - start, signal) : MAX_BATCH_SIZE;
    if (size === 0 || signal.aborted) return;
    yield keys.slice(start, start + size);
    start += size;
  }
}

type PartOutcome<T> = { kind: 'done'; value: T | undefined } | { kind: 'again' };

/**
 * What a batch part's answer means. Worth another try one by one (where retries, Retry-After
 * and the refresh on 401 apply): rate limits, server errors, 401. Anything else is final.
 */
function partOutcome<T>(reply: PartReply, key: string, how: GetEach<T>): PartOutcome<T> {
  let data: unknown = reply.body;
  try {
    data = JSON.parse(reply.body);
  } catch {
    // left as text: a 200 is then malformed, an error keeps its text
  }
  if (reply.status === 200) return { kind: 'done', value: how.parse(data, key) };
  if (reply.status === 404) return { kind: 'done', value: undefined };
  const failure = { response: { status: reply.status, data, headers: reply.headers } };
  const kind = classifyFailure(failureFacts(failure));
  if (kind === 'rate-limited' || kind === 'server' || reply.status === 401) return { kind: 'again' };
  throw toGmailctlError(failure, { doing: how.doing });
}

/** A call alone whose 404 means "gone": undefined then, any other failure thrown. */
export async function unlessGone<T>(request: () => Promise<T>): Promise<T | undefined> {
  try {
    return await request();
  } catch (error) {
    if (failureFacts(error).status === 404) return undefined;
    throw error;
  }
}
