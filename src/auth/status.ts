/**
 * Status: which logins are stored, which is the default, where tokens live, and whether
 * each login still works (a valid cached access token, or a successful refresh).
 */
import { AuthRequiredError, GmailctlError } from '../errors.js';
import { credentialsPath, loadClientCredentials, type ClientCredentials } from './credentials.js';
import { EAGER_REFRESH_MS, GMAIL_READONLY_SCOPE } from './oauth-client.js';
import { sessionFor, type Workspace } from './session.js';

export type LoginState = 'valid' | 'refreshed' | 'revoked' | 'missing' | 'error';

export interface AccountStatus {
  account: string;
  isDefault: boolean;
  ok: boolean;
  state: LoginState;
  detail: string;
  scopes: string[];
  /** Days since the refresh token was issued, when known. */
  loginAgeDays?: number;
}

export interface StatusReport {
  configDir: string;
  tokenStore: { kind: 'keychain' | 'file'; location: string };
  credentials: { file: string; kind?: 'installed' | 'web'; problem?: string };
  defaultAccount?: string;
  accounts: AccountStatus[];
}

export async function collectStatus(workspace: Workspace, env: NodeJS.ProcessEnv, now = Date.now()): Promise<StatusReport> {
  const file = credentialsPath(undefined, env, workspace.configDir);
  let credentials: ClientCredentials | undefined;
  let problem: string | undefined;
  try {
    credentials = await loadClientCredentials(file);
  } catch (error) {
    problem = (error as Error).message;
  }
  const defaultAccount = env.GMAILCTL_ACCOUNT || workspace.settings.defaultAccount;
  const known = [...(workspace.settings.accounts ?? [])];
  if (defaultAccount && !known.includes(defaultAccount)) known.push(defaultAccount);

  const accounts: AccountStatus[] = [];
  for (const account of known) {
    accounts.push({ account, isDefault: account === defaultAccount, ...(await checkLogin(workspace, account, credentials, problem, now)) });
  }
  return {
    configDir: workspace.configDir,
    tokenStore: { kind: workspace.store.kind, location: workspace.store.location },
    credentials: { file, ...(credentials ? { kind: credentials.kind } : {}), ...(problem ? { problem } : {}) },
    ...(defaultAccount ? { defaultAccount } : {}),
    accounts,
  };
}

async function checkLogin(
  workspace: Workspace,
  account: string,
  credentials: ClientCredentials | undefined,
  credentialsProblem: string | undefined,
  now: number,
): Promise<Omit<AccountStatus, 'account' | 'isDefault'>> {
  let stored;
  try {
    stored = await workspace.store.get(account);
  } catch (error) {
    return { ok: false, state: 'error', detail: (error as Error).message, scopes: [] };
  }
  if (!stored) return { ok: false, state: 'missing', detail: 'no stored login', scopes: [] };
  const scopes = (stored.scope ?? '').split(/\s+/).filter(Boolean);
  const age = stored.created_at ? { loginAgeDays: Math.floor((now - stored.created_at) / 86_400_000) } : {};
  if (stored.access_token && stored.expiry_date && stored.expiry_date - EAGER_REFRESH_MS > now) {
    const minutes = Math.round((stored.expiry_date - now) / 60_000);
    return { ok: true, state: 'valid', detail: `access token valid for ${minutes} more minutes`, scopes, ...age };
  }
  if (!credentials) return { ok: false, state: 'error', detail: credentialsProblem ?? 'no OAuth client file', scopes, ...age };
  try {
    const session = await sessionFor(account, stored, credentials, { persist: (login) => workspace.store.set(account, login) });
    await session.accessToken();
    await session.close();
    return { ok: true, state: 'refreshed', detail: 'refreshed the access token', scopes, ...age };
  } catch (error) {
    if (error instanceof AuthRequiredError) {
      return { ok: false, state: 'revoked', detail: 'the login was revoked or has expired', scopes, ...age };
    }
    return { ok: false, state: 'error', detail: error instanceof GmailctlError ? error.message : String(error), scopes, ...age };
  }
}

export function hasNeededScope(scopes: string[]): boolean {
  return scopes.length === 0 || scopes.includes(GMAIL_READONLY_SCOPE) || scopes.some((s) => s === 'https://mail.google.com/');
}
