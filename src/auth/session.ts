/**
 * An authorized session for one account: the stored login, Google's OAuth2Client holding
 * it, and a `call` wrapper that gives every Google call the same treatment — a refreshed
 * access token before it expires, one refresh and one retry on a 401, Google's errors
 * turned into ours, and refreshed tokens written back so the next command needs no refresh.
 */
import type { OAuth2Client } from 'google-auth-library';
import { chooseAccount, chooseTokenStore, loadSettings, resolveConfigDir, type Settings } from '../config.js';
import { AuthRequiredError } from '../errors.js';
import { failureFacts, toGmailctlError } from '../google-error.js';
import { registerSecret } from '../redact.js';
import { openTokenStore } from '../store/index.js';
import type { StoredLogin, TokenStore } from '../store/token-store.js';
import { credentialsPath, loadClientCredentials, type ClientCredentials } from './credentials.js';
import { createOAuthClient } from './oauth-client.js';

export interface Workspace {
  configDir: string;
  settings: Settings;
  store: TokenStore;
}

/** The config dir, config.json and the chosen token store: what every command starts from. */
export async function openWorkspace(env: NodeJS.ProcessEnv, forceStore?: 'file'): Promise<Workspace> {
  const configDir = resolveConfigDir(env);
  const settings = await loadSettings(configDir);
  const store = openTokenStore(forceStore ?? chooseTokenStore(env, settings), configDir, env);
  return { configDir, settings, store };
}

export interface Session {
  readonly account: string;
  readonly client: OAuth2Client;
  readonly credentials: ClientCredentials;
  readonly workspace: Workspace;
  /** Runs one Google call with refresh-on-401 and our error mapping. */
  call<T>(doing: string, request: () => Promise<T>): Promise<T>;
  /** A valid access token, refreshed if it is missing or expires within 5 minutes. */
  accessToken(): Promise<string>;
  /** Waits for refreshed tokens to be written back to the store. */
  close(): Promise<void>;
}

export interface SessionOptions {
  env: NodeJS.ProcessEnv;
  account?: string;
  credentialsFile?: string;
}

export async function openSession(options: SessionOptions): Promise<Session> {
  const workspace = await openWorkspace(options.env);
  const account = chooseAccount(options.account, options.env, workspace.settings);
  if (!account) throw new AuthRequiredError('You are not logged in to any account.');
  const stored = await workspace.store.get(account);
  if (!stored) throw new AuthRequiredError(`There is no stored login for ${account}.`, account);
  const credentials = await loadClientCredentials(credentialsPath(options.credentialsFile, options.env, workspace.configDir));
  return sessionFor(workspace, account, stored, credentials);
}

/** A session for a login already read from the store. */
export async function sessionFor(
  workspace: Workspace,
  account: string,
  stored: StoredLogin,
  credentials: ClientCredentials,
): Promise<Session> {
  const client = await createOAuthClient(credentials);
  client.setCredentials({
    refresh_token: stored.refresh_token,
    access_token: stored.access_token ?? null,
    expiry_date: stored.expiry_date ?? null,
    scope: stored.scope,
    token_type: stored.token_type ?? 'Bearer',
  });

  // Refreshed tokens are written back in order; close() waits for the last write.
  let latest: StoredLogin = stored;
  let writes: Promise<void> = Promise.resolve();
  client.on('tokens', (tokens) => {
    if (!tokens.access_token) return;
    registerSecret(tokens.access_token);
    latest = {
      ...latest,
      refresh_token: tokens.refresh_token ?? latest.refresh_token,
      access_token: tokens.access_token,
      expiry_date: tokens.expiry_date ?? undefined,
      scope: tokens.scope ?? latest.scope,
      token_type: tokens.token_type ?? latest.token_type,
    };
    const snapshot = latest;
    writes = writes.then(() => workspace.store.set(account, snapshot)).catch(() => undefined);
  });

  async function call<T>(doing: string, request: () => Promise<T>): Promise<T> {
    const tokenUsed = client.credentials.access_token;
    try {
      return await request();
    } catch (error) {
      if (failureFacts(error).status !== 401) throw toGmailctlError(error, { account, doing });
    }
    // A 401 with a token we thought valid (revoked, clock skew): one refresh, one retry.
    // When concurrent calls all fail, only the first refreshes; the others reuse its token.
    try {
      if (client.credentials.access_token === tokenUsed) await client.refreshAccessToken();
      return await request();
    } catch (error) {
      throw toGmailctlError(error, { account, doing });
    }
  }

  return {
    account,
    client,
    credentials,
    workspace,
    call,
    async accessToken() {
      const { token } = await call('refreshing the access token', () => client.getAccessToken());
      if (!token) throw new AuthRequiredError(`Google gave no access token for ${account}.`, account);
      registerSecret(token);
      return token;
    },
    async close() {
      await writes;
    },
  };
}
