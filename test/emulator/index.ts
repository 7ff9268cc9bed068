/**
 * A local Google for gmailctl's tests, demo and benchmarks: OAuth (auth, token, revoke)
 * and the Gmail API v1 calls the CLI makes (alone or in a POST /batch/gmail/v1), on
 * 127.0.0.1 only, speaking Google's wire formats, with seeded mailboxes, injectable
 * faults, latency and Gmail's per-user quota.
 *
 *   const emulator = await startEmulator({ messages: 1234 });
 *   // GMAILCTL_API_ROOT=emulator.url, client file = emulator.credentials()
 *   await emulator.close();
 */
import type { EmulatorContext, EmulatorSettings } from './context.js';
import { handleControl } from './control.js';
import type { RecordedRequest } from './exchange.js';
import { FaultQueue, type Fault, type RequestMatch } from './faults.js';
import type { GmailLabel, MailboxMessage } from './mailbox.js';
import { AUTH_PATH, REVOKE_PATH, TOKEN_PATH } from './oauth.js';
import { ConcurrencyCap, QuotaLimiter, type QuotaOptions } from './quota.js';
import { AccountMailbox, type ImportOptions, type NewMessageOptions } from './search.js';
import { startServer } from './server.js';
import { TokenRegistry, type IssuedTokens } from './tokens.js';

export { buildBatchBody, parseBatchResponse, BATCH_PATH, MAX_BATCH_PARTS, type BatchRequestPart, type BatchResponsePart } from './batch.js';
export { faults, type Fault, type RequestMatch } from './faults.js';
export { CONVERSATION_SLOTS, CONVERSATION_SUBJECT, generateMailbox, MAILBOX_LABELS, MAILBOX_NOW, messageIdOf, type GmailLabel, type MailboxMessage } from './mailbox.js';
export { methodCost, quotaCeiling, QUOTA_REGIMES, type GmailMethod, type QuotaOptions, type QuotaRegime } from './quota.js';
export type { RecordedRequest } from './exchange.js';
export type { ImportOptions, NewMessageOptions } from './search.js';
export type { IssuedTokens } from './tokens.js';

export interface EmulatorOptions {
  /** Default 0 (ephemeral); the host is always 127.0.0.1. */
  port?: number;
  /** Same seed → identical mailbox. Default 1. */
  seed?: number;
  /** Default ['user@example.com']; the first is the default account. */
  accounts?: string[];
  /** Messages per account (or per named account), default 50. */
  messages?: number | Record<string, number>;
  /** User labels beyond the seeded three (Receipts, Travel, Work/Projects), named "Project 004"…; default 0. */
  extraLabels?: number;
  clientId?: string;
  clientSecret?: string;
  /** Default true: the auth endpoint redirects at once; false shows an HTML consent page. */
  autoApprove?: boolean;
  /** Default 3599, as Google. */
  accessTokenLifetimeSec?: number;
  /** Added to every Gmail API response. Default 0. */
  latencyMs?: number;
  /** Default: no quota enforcement. */
  quota?: QuotaOptions;
  /**
   * As strict as Google where the emulator is otherwise kinder (default false): quota 429s
   * name the retry time only in their message (no Retry-After header), a batch is refused
   * whole when the quota cannot pay for all its parts, 502/503 faults answer Google's HTML
   * page, an oversize batch gets Google's exact 400, and each user may have at most
   * `concurrentCallsPerUser` calls in flight (batch parts count one each).
   */
  strict?: boolean;
  /** The per-user cap on calls in flight in strict mode. Default 25. */
  concurrentCallsPerUser?: number;
}

/** Google does not publish its per-user cap on calls in flight; this one is ours. */
export const DEFAULT_CONCURRENT_CALLS_PER_USER = 25;

export interface Emulator {
  /** 'http://127.0.0.1:PORT/', with the trailing slash: the GMAILCTL_API_ROOT. */
  url: string;
  port: number;
  clientId: string;
  clientSecret: string;
  /** A Google-console-shaped client file whose endpoints point at this emulator. */
  credentials(kind?: 'installed' | 'web'): object;
  /** Every request except the control API's, in arrival order. */
  readonly requests: RecordedRequest[];
  clearRequests(): void;
  /** The next `times` (default 1) requests matching `match` get `fault`. */
  enqueue(match: RequestMatch, fault: Fault, times?: number): void;
  /** Drops every queued fault that has not fired yet. */
  clearFaults(): void;
  setLatency(ms: number): void;
  setQuota(quota: QuotaOptions | undefined): void;
  /** Strict mode on or off (see EmulatorOptions.strict), with its cap on calls in flight per user. */
  setStrict(on: boolean, concurrentCallsPerUser?: number): void;
  setAccessTokenLifetime(seconds: number): void;
  setAutoApprove(on: boolean): void;
  /** authorization_code answers without refresh_token, as Google's do when the user does not re-consent. */
  setOmitRefreshToken(on: boolean): void;
  /** Testing-mode client: code exchanges say refresh_token_expires_in (7 days), as Google's do. */
  setTestingMode(on: boolean): void;
  /** Granular consent: grant only these scopes; undefined grants those requested. */
  setGrantedScopes(scopes: string[] | undefined): void;
  /** Every refresh and access token dies: refreshing gives invalid_grant. */
  revokeAll(): void;
  /** Access tokens answer 401 from now on; refreshing still works. */
  expireAccessTokens(): void;
  /** Every code, token and code verifier ever issued or seen, for leak checks. */
  tokens(): IssuedTokens;
  /** An account's messages (default: the first account), newest first as messages.list returns them. */
  mailbox(email?: string): readonly MailboxMessage[];
  /** Adds and removes labels of messages, as a mail client would between two runs (history records). */
  changeLabels(ids: readonly string[], change: { add?: readonly string[]; remove?: readonly string[] }, email?: string): void;
  /** An account's labels (default: the first account), as users.labels.list answers them. */
  labels(email?: string): readonly GmailLabel[];
  /** New mail: `count` messages newer than all others (default labels INBOX, UNREAD, CATEGORY_PERSONAL); with `threadId`, replies in that thread. */
  addMessages(count: number, options?: NewMessageOptions, email?: string): MailboxMessage[];
  /**
   * A message from its RFC 822 bytes (as Gmail's messages.import takes it): format=raw answers
   * them byte for byte, the other formats, attachments, search and threads read them as Gmail
   * does. Threaded by In-Reply-To/References and subject unless `threadId` is given.
   */
  importMessage(raw: Buffer | string, options?: ImportOptions, email?: string): MailboxMessage;
  /** Deletes messages for good (not to the trash): a messagesDeleted history record each. */
  deleteMessages(ids: readonly string[], email?: string): void;
  /** Gmail forgets the history so far: history.list from any earlier start answers 404. */
  expireHistory(email?: string): void;
  /**
   * An outage: the emulator stops listening and drops every connection, so that clients get
   * "connection refused" (ECONNREFUSED), until acceptConnections(). Requests made meanwhile
   * are neither answered nor recorded; mail can still be added, as it arrives at Gmail.
   */
  refuseConnections(): Promise<void>;
  /** Listens again, on the same port, after refuseConnections(). */
  acceptConnections(): Promise<void>;
  /** Closes the server and every open socket, keep-alive ones too. */
  close(): Promise<void>;
}

const DEFAULTS = {
  seed: 1,
  accounts: ['user@example.com'],
  messages: 50,
  clientId: '1234-emulator.apps.googleusercontent.com',
  clientSecret: 'GOCSPX-emulator-secret',
  accessTokenLifetimeSec: 3599,
};

function messageCount(messages: EmulatorOptions['messages'], account: string): number {
  if (typeof messages === 'number') return messages;
  return messages?.[account] ?? DEFAULTS.messages;
}

function validateLatency(ms: number): number {
  if (!(ms >= 0)) throw new Error(`latency must be >= 0 ms, not ${ms}`);
  return ms;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const accounts = options.accounts ?? DEFAULTS.accounts;
  if (accounts.length === 0) throw new Error('the emulator needs at least one account');
  const seed = options.seed ?? DEFAULTS.seed;
  const settings: EmulatorSettings = {
    latencyMs: validateLatency(options.latencyMs ?? 0),
    autoApprove: options.autoApprove ?? true,
    accessTokenLifetimeSec: options.accessTokenLifetimeSec ?? DEFAULTS.accessTokenLifetimeSec,
    omitRefreshToken: false,
    testingMode: false,
    grantedScopes: undefined,
    quota: options.quota ? new QuotaLimiter(options.quota) : undefined,
    strict: false,
    concurrency: undefined,
  };
  const setStrict = (on: boolean, concurrentCallsPerUser = DEFAULT_CONCURRENT_CALLS_PER_USER): void => {
    settings.concurrency = on ? new ConcurrencyCap(concurrentCallsPerUser) : undefined;
    settings.strict = on;
  };
  setStrict(options.strict ?? false, options.concurrentCallsPerUser);
  const context: EmulatorContext = {
    clientId: options.clientId ?? DEFAULTS.clientId,
    clientSecret: options.clientSecret ?? DEFAULTS.clientSecret,
    accounts,
    mailboxes: new Map(accounts.map((account) => [account, new AccountMailbox(seed, account, messageCount(options.messages, account), options.extraLabels ?? 0)])),
    tokens: new TokenRegistry(),
    faults: new FaultQueue(),
    settings,
  };
  const requests: RecordedRequest[] = [];
  const mailboxOf = (email = accounts[0]!): AccountMailbox => {
    const mailbox = context.mailboxes.get(email);
    if (!mailbox) throw new Error(`no such account in the emulator: ${email}`);
    return mailbox;
  };

  const emulator: Emulator = {
    url: '',
    port: 0,
    clientId: context.clientId,
    clientSecret: context.clientSecret,
    credentials(kind = 'installed') {
      return {
        [kind]: {
          client_id: context.clientId,
          project_id: 'gmailctl-emulator',
          auth_uri: new URL(AUTH_PATH, emulator.url).toString(),
          token_uri: new URL(TOKEN_PATH, emulator.url).toString(),
          revoke_uri: new URL(REVOKE_PATH, emulator.url).toString(),
          auth_provider_x509_cert_url: new URL('oauth2/v1/certs', emulator.url).toString(),
          client_secret: context.clientSecret,
          redirect_uris: ['http://localhost'],
        },
      };
    },
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    enqueue: (match, fault, times) => context.faults.enqueue(match, fault, times),
    clearFaults: () => context.faults.clear(),
    setLatency: (ms) => {
      settings.latencyMs = validateLatency(ms);
    },
    setQuota: (quota) => {
      settings.quota = quota ? new QuotaLimiter(quota) : undefined;
    },
    setStrict,
    setAccessTokenLifetime: (seconds) => {
      settings.accessTokenLifetimeSec = seconds;
    },
    setAutoApprove: (on) => {
      settings.autoApprove = on;
    },
    setOmitRefreshToken: (on) => {
      settings.omitRefreshToken = on;
    },
    setTestingMode: (on) => {
      settings.testingMode = on;
    },
    setGrantedScopes: (scopes) => {
      settings.grantedScopes = scopes && [...scopes];
    },
    revokeAll: () => context.tokens.revokeAll(),
    expireAccessTokens: () => context.tokens.expireAccessTokens(),
    tokens: () => context.tokens.issued(),
    mailbox: (email) => mailboxOf(email).messages,
    labels: (email) => mailboxOf(email).labels,
    changeLabels: (ids, change, email) => mailboxOf(email).changeLabels(ids, change.add ?? [], change.remove ?? []),
    addMessages: (count, options, email) => mailboxOf(email).addMessages(count, options),
    importMessage: (raw, options, email) => mailboxOf(email).importMessage(Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'), options),
    deleteMessages: (ids, email) => mailboxOf(email).deleteMessages(ids),
    expireHistory: (email) => mailboxOf(email).history.expire(),
    refuseConnections: () => server.refuseConnections(),
    acceptConnections: () => server.acceptConnections(),
    close: async () => {
      await server.close();
    },
  };
  const server = await startServer({ port: options.port ?? 0, context, log: requests, control: (request, bytes) => handleControl(request, emulator, bytes) });
  emulator.port = server.port;
  emulator.url = `http://127.0.0.1:${server.port}/`;
  return emulator;
}
