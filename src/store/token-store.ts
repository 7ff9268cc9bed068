/**
 * What a login leaves behind, and the interface both token stores implement. The stored
 * value is one JSON string per account: the refresh token, plus the cached access token
 * and its expiry so that consecutive commands need no refresh.
 */
import type { TokenStoreKind } from '../basics/config.js';
import { TokenStoreError } from '../basics/errors.js';
import { registerSecret } from '../basics/redact.js';

export interface StoredLogin {
  refresh_token: string;
  access_token?: string;
  /** Milliseconds since the epoch, as google-auth-library keeps it. */
  expiry_date?: number;
  /** Space-separated scopes that Google granted. */
  scope?: string;
  token_type?: string;
  /** When this login was made (ms since the epoch). */
  created_at?: number;
  /**
   * When Google will expire the refresh token (ms since the epoch). Google says so
   * (refresh_token_expires_in) only for Testing-mode clients, whose logins last 7 days.
   */
  refresh_expiry_date?: number;
}

export interface TokenStore {
  readonly kind: TokenStoreKind;
  /** Where the secrets live, for people: "Secret Service (service gmailctl)" or a path. */
  readonly location: string;
  /** Fails with a TokenStoreError saying why and what to do when the store cannot be used. */
  probe(): Promise<void>;
  get(account: string): Promise<StoredLogin | undefined>;
  /** Replaces the account's login atomically: readers see the old one or the new one. */
  set(account: string, login: StoredLogin): Promise<void>;
  /** Whether there was something to delete. */
  delete(account: string): Promise<boolean>;
}

/** The two ways out when the keychain cannot be used; no silent plaintext fallback. */
export const INSECURE_STORAGE_HINT =
  'To keep tokens in a file (mode 0600) instead, run: gmailctl login --insecure-storage, or set GMAILCTL_TOKEN_STORE=file.';

export function serializeLogin(login: StoredLogin): string {
  registerLogin(login);
  return JSON.stringify(login);
}

/** Reads a stored value defensively: a store holding garbage is an error that says where. */
export function parseLogin(value: unknown, where: string, account: string): StoredLogin {
  let data: unknown = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      throw corrupt(where, account);
    }
  }
  if (typeof data !== 'object' || data === null) throw corrupt(where, account);
  const record = data as Record<string, unknown>;
  if (typeof record.refresh_token !== 'string' || record.refresh_token === '') throw corrupt(where, account);
  const login: StoredLogin = { refresh_token: record.refresh_token };
  if (typeof record.access_token === 'string' && record.access_token !== '') login.access_token = record.access_token;
  if (typeof record.expiry_date === 'number' && Number.isFinite(record.expiry_date)) login.expiry_date = record.expiry_date;
  if (typeof record.scope === 'string') login.scope = record.scope;
  if (typeof record.token_type === 'string') login.token_type = record.token_type;
  if (typeof record.created_at === 'number' && Number.isFinite(record.created_at)) login.created_at = record.created_at;
  if (typeof record.refresh_expiry_date === 'number' && Number.isFinite(record.refresh_expiry_date)) {
    login.refresh_expiry_date = record.refresh_expiry_date;
  }
  registerLogin(login);
  return login;
}

function registerLogin(login: StoredLogin): void {
  registerSecret(login.refresh_token);
  registerSecret(login.access_token);
}

function corrupt(where: string, account: string): TokenStoreError {
  return new TokenStoreError(`The stored login for ${account} in ${where} is not readable (not gmailctl's JSON).`, {
    hint: `Run: gmailctl login --account ${account}  (this replaces it)`,
  });
}
