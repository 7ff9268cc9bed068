/**
 * Status: which logins are stored, which is the default, where tokens live and whether the
 * store answers, what the OAuth client file holds, and whether each login works *as Google
 * answers now* (getProfile, 1 quota unit, after a refresh when the access token has
 * expired) — or, offline, what the stored facts say — with the next command to run when
 * something is wrong.
 */
import { describeCache, type CacheSummary } from '../cache/manage.js';
import { chooseAccount, sameAddress } from '../basics/config.js';
import { AuthRequiredError, GmailctlError, GoogleApiError } from '../basics/errors.js';
import { credentialsPath, loadClientCredentials, type ClientCredentials } from './credentials.js';
import { EAGER_REFRESH_MS, GMAIL_READONLY_SCOPE } from './oauth-client.js';
import type { GoogleSettings } from '../basics/environment.js';
import type { Workspace } from '../store/workspace.js';
import { sessionFor, type EnvironmentLogin, type Session } from './session.js';
import type { StoredLogin } from '../store/token-store.js';

/**
 * valid: Google answered with the cached access token; refreshed: after a refresh;
 * stored: offline, a stored login not checked; revoked / expired / missing: log in again;
 * unreachable: Google could not be asked; error: anything else (scope, store, client file).
 */
type LoginState = 'valid' | 'refreshed' | 'stored' | 'revoked' | 'expired' | 'missing' | 'unreachable' | 'error';

const DAY_MS = 86_400_000;
/** Warn this long before a Testing-mode login (7 days) expires. */
const EXPIRY_WARNING_MS = 2 * DAY_MS;

interface AccountStatus {
  account: string;
  /** Where the login comes from: the token store, or GMAILCTL_* variables (CI). */
  source: 'store' | 'environment';
  isDefault: boolean;
  ok: boolean;
  state: LoginState;
  detail: string;
  /** Scopes Google granted; `missingScopes` are the needed ones it did not. */
  scopes: string[];
  missingScopes: string[];
  /** Days since the login was made, when known. */
  loginAgeDays?: number;
  /**
   * When Google will expire the refresh token (ISO 8601): Google says so only for clients
   * whose consent screen is in Testing mode, where refresh tokens live 7 days.
   */
  loginExpiresAt?: string;
  /** Something to act on soon, though the login works now. */
  warning?: string;
  /** The command that fixes what is wrong. */
  fix?: string;
  /** The local message cache of this account, when it has one. */
  cache?: CacheSummary;
}

export interface StatusReport {
  /** True with --offline: nothing was asked of Google, the report is the stored facts. */
  offline: boolean;
  /** Absent for a login from the environment: no config dir is read. */
  configDir?: string;
  tokenStore: { kind: 'keychain' | 'file' | 'environment'; location: string; reachable: boolean; problem?: string };
  credentials: { file: string; kind?: 'installed' | 'web'; problem?: string };
  neededScopes: string[];
  defaultAccount?: string;
  accounts: AccountStatus[];
}

const NEEDED_SCOPES = [GMAIL_READONLY_SCOPE];
/** Broader scopes that include reading. */
const READ_SCOPES = new Set([GMAIL_READONLY_SCOPE, 'https://www.googleapis.com/auth/gmail.modify', 'https://mail.google.com/']);

interface StatusOptions {
  google: GoogleSettings;
  /** Report the stored facts only; ask Google nothing. */
  offline?: boolean;
  now?: number;
}

export async function collectStatus(workspace: Workspace, env: NodeJS.ProcessEnv, options: StatusOptions): Promise<StatusReport> {
  const now = options.now ?? Date.now();
  const file = credentialsPath(undefined, env, workspace.configDir);
  let credentials: ClientCredentials | undefined;
  let problem: string | undefined;
  try {
    credentials = await loadClientCredentials(file);
    if (credentials.kind === 'web') {
      problem = 'This is a "Web application" client: Google lets only "Desktop app" clients redirect to 127.0.0.1. Create a Desktop app client.';
    }
  } catch (error) {
    problem = (error as Error).message;
  }

  let storeProblem: string | undefined;
  try {
    await workspace.store.probe();
  } catch (error) {
    storeProblem = error instanceof GmailctlError && error.hint ? `${error.message} ${error.hint}` : (error as Error).message;
  }

  const defaultAccount = chooseAccount(undefined, env, workspace.settings);
  const accounts: AccountStatus[] = [];
  const known = [...(workspace.settings.accounts ?? [])];
  if (defaultAccount && !known.some((k) => sameAddress(k, defaultAccount))) known.push(defaultAccount);
  for (const account of known) {
    const status = storeProblem
      ? { ok: false, state: 'error' as const, detail: 'the token store cannot be read', scopes: [], missingScopes: [] }
      : await checkLogin(workspace, account, { credentials, credentialsProblem: problem, now, ...options });
    const cache = await describeCache(env, account);
    accounts.push({ account, source: 'store', isDefault: defaultAccount !== undefined && sameAddress(account, defaultAccount), ...status, ...(cache ? { cache } : {}) });
  }
  return {
    offline: options.offline ?? false,
    configDir: workspace.configDir,
    tokenStore: {
      kind: workspace.store.kind,
      location: workspace.store.location,
      reachable: storeProblem === undefined,
      ...(storeProblem ? { problem: storeProblem } : {}),
    },
    credentials: { file, ...(credentials ? { kind: credentials.kind } : {}), ...(problem ? { problem } : {}) },
    neededScopes: NEEDED_SCOPES,
    ...(defaultAccount ? { defaultAccount } : {}),
    accounts,
  };
}

/**
 * The login from the environment, and only it: no store is opened, no file is read. Named
 * by the address Google gives for it (getProfile), unless --offline.
 */
export async function collectEnvironmentStatus(login: EnvironmentLogin, options: StatusOptions): Promise<StatusReport> {
  const check = options.offline
    ? { account: login.account, ok: true, state: 'stored' as const, detail: 'from the environment; not checked with Google (--offline)' }
    : await checkEnvironmentLogin(login, options.google);
  return {
    offline: options.offline ?? false,
    tokenStore: { kind: 'environment', location: login.variables, reachable: true },
    credentials: { file: login.credentials.file, kind: login.credentials.kind },
    neededScopes: NEEDED_SCOPES,
    defaultAccount: check.account,
    accounts: [{ source: 'environment', isDefault: true, scopes: [], missingScopes: [], ...check }],
  };
}

type LoginCheck = Omit<AccountStatus, 'account' | 'isDefault' | 'source'>;

/** Whether Google accepts the environment's login: one getProfile, after a refresh if it can. */
async function checkEnvironmentLogin(
  login: EnvironmentLogin,
  google: GoogleSettings,
): Promise<Pick<AccountStatus, 'account' | 'ok' | 'state' | 'detail'>> {
  try {
    const session = await sessionFor(login.account, login.stored, login.credentials, google);
    const { address, refreshed } = await askGoogle(session, login.stored.access_token);
    return { account: address, ok: true, state: refreshed ? 'refreshed' : 'valid', detail: 'from the environment; Google accepts it' };
  } catch (error) {
    if (error instanceof AuthRequiredError) return { account: login.account, ok: false, state: 'revoked', detail: 'from the environment; Google no longer accepts it' };
    return { account: login.account, ...failedCheck(error) };
  }
}

/** One getProfile through the session (refreshing first when the access token has expired). */
async function askGoogle(session: Session, before: string | undefined): Promise<{ address: string; refreshed: boolean }> {
  const address = await session.profileAddress();
  const after = session.client.credentials.access_token ?? undefined;
  return { address, refreshed: after !== before };
}

function failedCheck(error: unknown): Pick<AccountStatus, 'ok' | 'state' | 'detail'> {
  const message = error instanceof GmailctlError ? error.message : String(error);
  const unreachable = error instanceof GoogleApiError && error.status === undefined;
  return { ok: false, state: unreachable ? 'unreachable' : 'error', detail: message };
}

interface CheckOptions extends StatusOptions {
  credentials: ClientCredentials | undefined;
  credentialsProblem: string | undefined;
  now: number;
}

async function checkLogin(workspace: Workspace, account: string, options: CheckOptions): Promise<LoginCheck> {
  const relogin = `gmailctl login --account ${account}`;
  let stored: StoredLogin | undefined;
  try {
    stored = await workspace.store.get(account);
  } catch (error) {
    return { ok: false, state: 'error', detail: (error as Error).message, scopes: [], missingScopes: [], fix: relogin };
  }
  if (!stored) return { ok: false, state: 'missing', detail: 'no stored login', scopes: [], missingScopes: [], fix: relogin };

  const { now } = options;
  const scopes = (stored.scope ?? '').split(/\s+/).filter(Boolean);
  const missingScopes = scopes.length === 0 || scopes.some((s) => READ_SCOPES.has(s)) ? [] : NEEDED_SCOPES;
  const facts: Pick<LoginCheck, 'scopes' | 'missingScopes' | 'loginAgeDays' | 'loginExpiresAt' | 'warning'> = { scopes, missingScopes };
  if (stored.created_at) facts.loginAgeDays = Math.floor((now - stored.created_at) / DAY_MS);
  const expiresIn = stored.refresh_expiry_date === undefined ? undefined : stored.refresh_expiry_date - now;
  if (stored.refresh_expiry_date !== undefined && expiresIn !== undefined) {
    facts.loginExpiresAt = new Date(stored.refresh_expiry_date).toISOString();
    if (expiresIn < EXPIRY_WARNING_MS) {
      const when = expiresIn <= 0 ? 'has expired' : `expires in ${Math.max(1, Math.round(expiresIn / 3_600_000))} hours`;
      facts.warning = `this login ${when}: the OAuth consent screen is in Testing mode, where Google keeps logins 7 days (see the README)`;
    }
  }
  if (missingScopes.length > 0) {
    // Listing would fail with 403: the login exists but does not work for gmailctl.
    return { ok: false, state: 'error', detail: `Google did not grant ${missingScopes.join(', ')}`, ...facts, fix: relogin };
  }
  if (expiresIn !== undefined && expiresIn <= 0) {
    // Google refuses to refresh it; a cached access token would die within the hour.
    return { ok: false, state: 'expired', detail: 'the login has expired', ...facts, fix: relogin };
  }
  const cachedMinutes =
    stored.access_token && stored.expiry_date && stored.expiry_date - EAGER_REFRESH_MS > now ? Math.round((stored.expiry_date - now) / 60_000) : undefined;
  if (options.offline) {
    const cached = cachedMinutes === undefined ? 'stored' : `access token valid for ${cachedMinutes} more minutes`;
    return { ok: true, state: 'stored', detail: `${cached}; not checked with Google (--offline)`, ...facts };
  }
  if (!options.credentials) return { ok: false, state: 'error', detail: options.credentialsProblem ?? 'no OAuth client file', ...facts };
  try {
    const session = await sessionFor(account, stored, options.credentials, options.google, { persist: (login) => workspace.store.set(account, login) });
    const { refreshed } = await askGoogle(session, stored.access_token);
    await session.close();
    return {
      ok: true,
      state: refreshed ? 'refreshed' : 'valid',
      detail: refreshed ? 'Google accepts it (refreshed the access token)' : 'Google accepts it',
      ...facts,
    };
  } catch (error) {
    if (error instanceof AuthRequiredError) {
      return { ok: false, state: 'revoked', detail: 'Google no longer accepts it: the login was revoked or has expired', ...facts, fix: relogin };
    }
    const scopeMissing = error instanceof GoogleApiError && error.status === 403 && /lacks the Gmail scope/.test(error.message);
    return { ...failedCheck(error), ...facts, ...(scopeMissing ? { fix: relogin } : {}) };
  }
}
