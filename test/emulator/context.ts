/** The emulator's shared state, handed to every route. */
import type { FaultQueue } from './faults.js';
import type { ConcurrencyCap, QuotaLimiter } from './quota.js';
import type { AccountMailbox } from './search.js';
import type { TokenRegistry } from './tokens.js';

/** What the control API and the Emulator's setters change while it runs. */
export interface EmulatorSettings {
  latencyMs: number;
  autoApprove: boolean;
  accessTokenLifetimeSec: number;
  omitRefreshToken: boolean;
  /**
   * The OAuth client's consent screen is in Testing mode: Google then says in the token
   * response (refresh_token_expires_in) that the refresh token lives 7 days.
   */
  testingMode: boolean;
  /** Granular consent: grant only these; undefined grants what was asked. */
  grantedScopes: string[] | undefined;
  quota: QuotaLimiter | undefined;
  /**
   * As strict as Google where the emulator is otherwise kinder: quota 429s without a
   * Retry-After header (the time is only in the message), a batch refused whole when the
   * quota cannot pay for all its parts, Google's HTML pages for 502/503, Google's exact
   * answer to an oversize batch, and the per-user cap on calls in flight (`concurrency`).
   */
  strict: boolean;
  /** Set in strict mode. */
  concurrency: ConcurrencyCap | undefined;
}

export interface EmulatorContext {
  clientId: string;
  clientSecret: string;
  /** The accounts, first one the default. */
  accounts: readonly string[];
  mailboxes: ReadonlyMap<string, AccountMailbox>;
  tokens: TokenRegistry;
  faults: FaultQueue;
  settings: EmulatorSettings;
}
