/**
 * Status: which logins are stored, which is the default, where tokens live and whether the
 * store answers, what the OAuth client file holds, and whether each login still works (a
 * valid cached access token, or a successful refresh) — with the next command to run when
 * something is wrong.
 */
import { AuthRequiredError, GmailctlError } from '../errors.js';
import { credentialsPath, loadClientCredentials, type ClientCredentials } from './credentials.js';
import { EAGER_REFRESH_MS, GMAIL_READONLY_SCOPE } from './oauth-client.js';
import { googleSettings, type GoogleSettings } from '../environment.js';
import type { Workspace } from '../workspace.js';
import { environmentLogin, sessionFor } from './session.js';

export type LoginState = 'valid' | 'refreshed' | 'revoked' | 'missing' | 'error';

const DAY_MS = 86_400_000;
/** Warn this long before a Testing-mode login (7 days) expires. */
const EXPIRY_WARNING_MS = 2 * DAY_MS;

export interface AccountStatus {
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
}

export interface StatusReport {
  configDir: string;
  tokenStore: { kind: 'keychain' | 'file'; location: string; reachable: boolean; problem?: string };
  credentials: { file: string; kind?: 'installed' | 'web'; problem?: string };
  neededScopes: string[];
  defaultAccount?: string;
  accounts: AccountStatus[];
}

export const NEEDED_SCOPES = [GMAIL_READONLY_SCOPE];
/** Broader scopes that include reading. */
const READ_SCOPES = new Set([GMAIL_READONLY_SCOPE, 'https://www.googleapis.com/auth/gmail.modify', 'https://mail.google.com/']);

export async function collectStatus(workspace: Workspace, env: NodeJS.ProcessEnv, now = Date.now()): Promise<StatusReport> {
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

  const google = googleSettings(env);
  const fromEnvironment = environmentLogin(env);
  const defaultAccount = fromEnvironment?.account ?? (env.GMAILCTL_ACCOUNT || workspace.settings.defaultAccount);
  const accounts: AccountStatus[] = [];
  if (fromEnvironment) {
    // Every command uses this login while the variables are set, whatever the store holds.
    const check = await checkEnvironmentLogin(fromEnvironment, google);
    accounts.push({ account: fromEnvironment.account, source: 'environment', isDefault: true, scopes: [], missingScopes: [], ...check });
  }
  const known = [...(workspace.settings.accounts ?? [])];
  if (!fromEnvironment && defaultAccount && !known.includes(defaultAccount)) known.push(defaultAccount);
  for (const account of known) {
    const status = storeProblem
      ? { ok: false, state: 'error' as const, detail: 'the token store cannot be read', scopes: [], missingScopes: [] }
      : await checkLogin(workspace, account, credentials, problem, google, now);
    accounts.push({ account, source: 'store', isDefault: account === defaultAccount, ...status });
  }
  return {
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

type LoginCheck = Omit<AccountStatus, 'account' | 'isDefault' | 'source'>;

/** Whether Google accepts the environment's login: a refresh, or (access token alone) one Gmail call. */
async function checkEnvironmentLogin(
  login: NonNullable<ReturnType<typeof environmentLogin>>,
  google: GoogleSettings,
): Promise<Pick<AccountStatus, 'ok' | 'state' | 'detail'>> {
  try {
    const session = await sessionFor(login.account, login.stored, login.credentials, google);
    if (session.canRefresh) {
      await session.accessToken();
      return { ok: true, state: 'refreshed', detail: 'from the environment; refreshed the access token' };
    }
    await session.confirmAccessToken();
    return { ok: true, state: 'valid', detail: 'from the environment; the access token works' };
  } catch (error) {
    if (error instanceof AuthRequiredError) return { ok: false, state: 'revoked', detail: 'from the environment; Google no longer accepts it' };
    return { ok: false, state: 'error', detail: error instanceof GmailctlError ? error.message : String(error) };
  }
}

async function checkLogin(
  workspace: Workspace,
  account: string,
  credentials: ClientCredentials | undefined,
  credentialsProblem: string | undefined,
  google: GoogleSettings,
  now: number,
): Promise<LoginCheck> {
  const relogin = `gmailctl login --account ${account}`;
  let stored;
  try {
    stored = await workspace.store.get(account);
  } catch (error) {
    return { ok: false, state: 'error', detail: (error as Error).message, scopes: [], missingScopes: [], fix: relogin };
  }
  if (!stored) return { ok: false, state: 'missing', detail: 'no stored login', scopes: [], missingScopes: [], fix: relogin };

  const scopes = (stored.scope ?? '').split(/\s+/).filter(Boolean);
  const missingScopes = scopes.length === 0 || scopes.some((s) => READ_SCOPES.has(s)) ? [] : NEEDED_SCOPES;
  const facts: Pick<LoginCheck, 'scopes' | 'missingScopes' | 'loginAgeDays' | 'loginExpiresAt' | 'warning'> = { scopes, missingScopes };
  if (stored.created_at) facts.loginAgeDays = Math.floor((now - stored.created_at) / DAY_MS);
  if (stored.refresh_expiry_date) {
    facts.loginExpiresAt = new Date(stored.refresh_expiry_date).toISOString();
    const left = stored.refresh_expiry_date - now;
    if (left < EXPIRY_WARNING_MS) {
      const when = left <= 0 ? 'has expired' : `expires in ${Math.max(1, Math.round(left / 3_600_000))} hours`;
      facts.warning = `this login ${when}: the OAuth consent screen is in Testing mode, where Google keeps logins 7 days (see the README)`;
    }
  }
  if (missingScopes.length > 0) {
    // Listing would fail with 403: the login exists but does not work for gmailctl.
    return { ok: false, state: 'error', detail: `Google did not grant ${missingScopes.join(', ')}`, ...facts, fix: relogin };
  }

  if (stored.access_token && stored.expiry_date && stored.expiry_date - EAGER_REFRESH_MS > now) {
    const minutes = Math.round((stored.expiry_date - now) / 60_000);
    return { ok: true, state: 'valid', detail: `access token valid for ${minutes} more minutes`, ...facts };
  }
  if (!credentials) return { ok: false, state: 'error', detail: credentialsProblem ?? 'no OAuth client file', ...facts };
  try {
    const session = await sessionFor(account, stored, credentials, google, { persist: (login) => workspace.store.set(account, login) });
    await session.accessToken();
    await session.close();
    return { ok: true, state: 'refreshed', detail: 'refreshed the access token', ...facts };
  } catch (error) {
    if (error instanceof AuthRequiredError) {
      return { ok: false, state: 'revoked', detail: 'the login was revoked or has expired', ...facts, fix: relogin };
    }
    return { ok: false, state: 'error', detail: error instanceof GmailctlError ? error.message : String(error), ...facts };
  }
}
