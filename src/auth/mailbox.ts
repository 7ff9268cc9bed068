/**
 * The mailbox: everything a command needs to read mail, built once — the session, the
 * Gmail client with the one retry policy, the one quota pacer that every Gmail request
 * (retries included, batches included) goes through, and batching through the same client.
 * A command that reads mail asks for a mailbox and takes from it what it needs (`list`
 * hands it to the listing as ListDeps, and reads the learned quota for its progress line).
 */
import { setMaxListeners } from 'node:events';
import type { Session } from './session.js';
import { secureApiRoot } from '../basics/environment.js';
import { batchGet, type PartReply } from '../gmail/batch.js';
import { createGmailClient, retryConfigFor, sleep, type GmailClient } from '../gmail/client.js';
import type { CallGoogle } from '../gmail/listing.js';
import { pacedAdapter, requestName } from '../gmail/paced-transport.js';
import { QuotaPacer } from '../gmail/quota-pacer.js';
import type { FailureKind } from '../gmail/retry.js';

export interface MailboxOptions {
  /** The login whose mail is read (the command context opens it). */
  session: Session;
  /** Stops every request and every wait between retries (Ctrl-C, a closed stdout). */
  signal: AbortSignal;
  /** Where each retry is told (the command's --debug line). */
  debug: (line: string) => void;
}

export interface Mailbox {
  readonly session: Session;
  readonly gmail: GmailClient;
  /** The session's wrapper for each Google call: refresh on 401, our errors. */
  readonly call: CallGoogle;
  readonly signal: AbortSignal;
  /** Gmail's per-user quota as this run has learned it; every Gmail request waits on it. */
  readonly pacer: QuotaPacer;
  /** GETs for these API paths as one batch request, with the same retries and pacing as the client. */
  batch(paths: string[]): Promise<PartReply[]>;
  /** Waits for refreshed tokens to be written back. */
  close(): Promise<void>;
}

export async function openMailbox({ session, signal, debug }: MailboxOptions): Promise<Mailbox> {
  // Every request in flight listens to the signal: dozens at once is expected, not a leak.
  setMaxListeners(0, signal);
  const apiRoot = secureApiRoot(session.google);
  const pacer = new QuotaPacer({ now: () => performance.now(), sleep }, { onEvent: (event) => debug(`pacer: ${event.text}`) });
  const adapter = pacedAdapter(pacer, signal);
  const retries = {
    signal,
    onRetry: (kind: FailureKind, delayMs: number, attempt: number, url: string) => debug(`retry ${attempt} of ${requestName(url)} after ${delayMs} ms (${kind})`),
  };
  const gmail = await createGmailClient(session.client, { apiRoot, adapter, ...retries });
  const retryConfig = retryConfigFor(retries);
  return {
    session,
    gmail,
    call: session.call,
    signal,
    pacer,
    batch: (paths) => batchGet(session.client, paths, { apiRoot, signal, retryConfig, adapter }),
    close: () => session.close(),
  };
}
