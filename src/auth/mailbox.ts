/**
 * The mailbox: everything a command needs to read mail, built once — the session, the
 * Gmail client with the one retry policy, the one quota pacer that every Gmail request
 * (retries included, batches included) goes through, and batching through the same client.
 * A command that reads mail asks for a mailbox and takes from it what it needs (`list`
 * hands it to the listing as ListDeps, and reads the learned quota for its progress line).
 */
import { setMaxListeners } from 'node:events';
import type { Session } from './session.js';
import { loadPace, savePace, startingPoint, type PaceMemory } from '../cache/pace-memory.js';
import { secureApiRoot } from '../basics/environment.js';
import { batchGet, type PartReply } from '../gmail/batch.js';
import { createGmailClient, retryConfigFor, sleep, type GmailClient } from '../gmail/client.js';
import type { CallGoogle } from '../gmail/listing.js';
import { pacedAdapter, requestName } from '../gmail/paced-transport.js';
import { paceText, QuotaPacer } from '../gmail/quota-pacer.js';
import type { FailureKind } from '../gmail/retry.js';

interface MailboxOptions {
  /** The login whose mail is read (the command context opens it). */
  session: Session;
  /** Where the cache directory is (the remembered quota, src/cache/pace-memory.ts). */
  env: NodeJS.ProcessEnv;
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

export async function openMailbox({ session, env, signal, debug }: MailboxOptions): Promise<Mailbox> {
  // Every request in flight listens to the signal: dozens at once is expected, not a leak.
  setMaxListeners(0, signal);
  const apiRoot = secureApiRoot(session.google);
  const clientId = (session.client as { _clientId?: string })._clientId ?? '';
  const memory = rememberedQuota(env, session, clientId, debug);
  const start = memory?.remembered && startingPoint(memory.remembered);
  const pacer = new QuotaPacer({ now: () => performance.now(), sleep }, { onEvent: (event) => debug(`pacer: ${event.text}`), ...(start ? { remembered: start } : {}) });
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
    close: async () => {
      if (memory) rememberQuota(env, session.account, clientId, memory, pacer, debug);
      await session.close();
    },
  };
}

/**
 * What an earlier run learned of this client's quota for the account (src/cache/pace-memory.ts),
 * told on the --debug line with where it came from. None for a login from the environment (CI
 * leaves no file), nor when the cache directory cannot be used (the run learns it again).
 */
function rememberedQuota(env: NodeJS.ProcessEnv, session: Session, clientId: string, debug: (line: string) => void): PaceMemory | undefined {
  // A login from the environment (CI) reads no config.json, and leaves no file behind.
  if (session.settings === undefined || !clientId) {
    debug('pacer: starts cold at 1000 units/s (200 gets/s): a login from the environment remembers no quota');
    return undefined;
  }
  const memory = loadPace(env, session.account, clientId);
  if (memory === undefined) debug('pacer: starts cold at 1000 units/s (200 gets/s): no cache directory to remember the quota in');
  else if (memory.problem) debug(`pacer: starts cold at 1000 units/s (200 gets/s): not using ${memory.file}: ${memory.problem}`);
  else if (!memory.remembered) debug(`pacer: starts cold at 1000 units/s (200 gets/s): nothing remembered in ${memory.file} for this OAuth client (or over a day old)`);
  else {
    const { unitsPerSecond, availableUnits } = startingPoint(memory.remembered);
    debug(
      `pacer: starts at ${paceText(unitsPerSecond)}, remembered in ${memory.file} (learned ${new Date(memory.remembered.learnedAt).toISOString()}), ` +
        `first spending ${Math.round(availableUnits)} units that came back into Gmail's bucket since the last run`,
    );
  }
  return memory?.problem ? undefined : memory;
}

/** Keeps what this run learned (or found still right) for the next run; a failure only says so on --debug. */
function rememberQuota(env: NodeJS.ProcessEnv, account: string, clientId: string, memory: PaceMemory, pacer: QuotaPacer, debug: (line: string) => void): void {
  const learned = pacer.learned();
  if (!learned) return;
  const kept = pacer.remembered ? memory.remembered : undefined;
  const bucketUnits = learned.bucketUnits ?? memory.remembered?.bucketUnits;
  const problem = savePace(env, account, clientId, {
    unitsPerSecond: learned.unitsPerSecond,
    ...(bucketUnits !== undefined ? { bucketUnits } : {}),
    ...(learned.learning ? { learning: true } : {}),
    learnedAt: kept?.learnedAt ?? Date.now(),
    endedAt: Date.now(),
  });
  debug(problem ? `pacer: could not remember the quota in ${memory.file}: ${problem}` : `pacer: remembered ${paceText(learned.unitsPerSecond)} in ${memory.file}`);
}
