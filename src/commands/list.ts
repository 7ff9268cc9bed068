import { setMaxListeners } from 'node:events';
import { openSession } from '../auth/session.js';
import { secureApiRoot } from '../environment.js';
import { InterruptedError } from '../errors.js';
import { AdaptiveLimit } from '../gmail/adaptive-limit.js';
import { batchGet } from '../gmail/batch.js';
import { createGmailClient, retryConfigFor } from '../gmail/client.js';
import type { FailureKind } from '../gmail/retry.js';
import { listMessageIds, listMessageSummaries, type ListPage } from '../gmail/listing.js';
import { createMessageWriter, defaultFormat, type Outcome, type OutputFormat } from '../output/index.js';
import { preloadGoogleLibraries } from '../lazy.js';
import type { CommandContext } from './context.js';

export interface ListFlags {
  query?: string;
  label: string[];
  max?: number;
  includeSpamTrash?: boolean;
  format?: OutputFormat;
  json?: boolean;
  account?: string;
}

export async function runList({ io, env, signal }: CommandContext, flags: ListFlags): Promise<void> {
  preloadGoogleLibraries();
  const format: OutputFormat = flags.format ?? (flags.json ? 'json' : defaultFormat(io));
  // Stop fetching when the user presses Ctrl-C or the reader of stdout goes away.
  const stop = AbortSignal.any([signal, io.stdoutClosed]);
  // Every request in flight listens to it: dozens at once is expected, not a leak.
  setMaxListeners(0, stop);
  const session = await openSession({ env, account: flags.account });
  const limit = new AdaptiveLimit();
  const apiRoot = secureApiRoot(session.google);
  const retries = {
    signal: stop,
    onRetry: (kind: FailureKind, delayMs: number, attempt: number) => {
      if (kind === 'rate-limited') limit.rateLimited();
      io.debug(`retry ${attempt} after ${delayMs} ms (${kind})`);
    },
  };
  const gmail = await createGmailClient(session.client, { apiRoot, ...retries });
  const retryConfig = retryConfigFor(retries);
  const batch = (paths: string[]) => batchGet(session.client, paths, { apiRoot, signal: stop, retryConfig });
  const query = {
    query: flags.query,
    labelIds: flags.label,
    includeSpamTrash: flags.includeSpamTrash ?? false,
    max: flags.max,
  };
  const deps = { gmail, call: session.call, signal: stop, limit, batch };
  const pages: AsyncIterable<ListPage> = format === 'ids' ? listMessageIds(deps, query) : listMessageSummaries(deps, query);

  const writer = await createMessageWriter(format, io);
  const progress = format === 'ids' ? undefined : io.progress();
  const started = Date.now();
  let written = 0;
  let outcome: Outcome = 'failed';
  try {
    for await (const page of pages) {
      progress?.clear();
      await writer.writePage(page.messages);
      written += page.messages.length;
      if (stop.aborted) break;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      const expected = Math.max(Math.min(page.resultSizeEstimate, flags.max ?? Number.POSITIVE_INFINITY), written);
      progress?.update(io.err.dim(`${written} of ~${expected} messages, ${Math.round(written / seconds)}/s`));
    }
    outcome = 'complete';
  } catch (error) {
    // A closed stdout or Ctrl-C makes in-flight requests fail with an abort: a normal end.
    if (!stop.aborted) throw error;
  } finally {
    progress?.clear();
    // Whatever was written stays valid (a JSON array is closed), even on error or Ctrl-C.
    await writer.end(stop.aborted ? 'stopped' : outcome);
    await session.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}
