/**
 * An authorized session for one account: the stored login, Google's OAuth2Client holding
 * it, and a `call` wrapper that gives every Google call the same treatment — a refreshed
 * access token before it expires, one refresh and one retry on a 401, Google's errors
 * turned into ours, and refreshed tokens written back so the next command needs no refresh.
 */
import type { OAuth2Client } from 'google-auth-library';
import { accountFromEnvironment, chooseAccount, resolveConfigDir, sameAddress, type Settings } from '../basics/config.js';
import { secureApiRoot, type GoogleSettings } from '../basics/environment.js';
import { AuthRequiredError, CredentialsError, GoogleApiError, UsageError } from '../basics/errors.js';
import { failureFacts, oauthErrorOf, toGmailctlError } from '../gmail/google-error.js';
import { createGmailClient } from '../gmail/client.js';
import { registerSecret } from '../basics/redact.js';
import { insecureEndpoint } from '../basics/secure-endpoint.js';
import type { StoredLogin } from '../store/token-store.js';
import type { Workspace } from '../store/workspace.js';
import { credentialsPath, GOOGLE_ENDPOINTS, loadClientCredentials, type ClientCredentials } from './credentials.js';
import { createOAuthClient } from './oauth-client.js';

export interface Session {
  /** The address, or a description when the login came from the environment. */
  readonly account: string;
  readonly client: OAuth2Client;
  /** False for an access token alone (GMAILCTL_ACCESS_TOKEN): its expiry is unknown and it cannot be renewed. */
  readonly canRefresh: boolean;
  /** Where Google is and how long a request may take, for clients built on this session. */
  readonly google: GoogleSettings;
  /** Runs one Google call with refresh-on-401 and our error mapping. */
  call<T>(doing: string, request: () => Promise<T>): Promise<T>;
  /** A valid access token, refreshed if it is missing or expires within 5 minutes. */
  accessToken(): Promise<string>;
  /** Asks Gmail once whether the access token works (for one that cannot be refreshed). */
  confirmAccessToken(signal?: AbortSignal): Promise<void>;
  /** The address Google knows this login by (getProfile, 1 quota unit; refreshed first if needed). */
  profileAddress(signal?: AbortSignal): Promise<string>;
  /** Waits for refreshed tokens to be written back to the store. */
  close(): Promise<void>;
  /** config.json as read for a stored login (none for a login from the environment), so no command reads it again. */
  readonly settings?: Settings;
}

interface SessionOptions {
  env: NodeJS.ProcessEnv;
  /** The settings from the environment, parsed once for the run. */
  google: GoogleSettings;
  /** --account (else GMAILCTL_ACCOUNT, else the default account). */
  account?: string;
  credentialsFile?: string;
  /** The login that GMAILCTL_* variables make, if they do (environmentLogin): it wins over the store. */
  fromEnvironment: EnvironmentLogin | undefined;
  /** config.json and the token store, opened when a stored login is needed. */
  workspace: () => Promise<Workspace>;
}

/**
 * The login for a command: from the environment when GMAILCTL_REFRESH_TOKEN or
 * GMAILCTL_ACCESS_TOKEN is set (CI, containers: no store, no files), else from the store.
 */
export async function openSession(options: SessionOptions): Promise<Session> {
  const { google, fromEnvironment } = options;
  if (fromEnvironment) {
    const session = await sessionFor(fromEnvironment.account, fromEnvironment.stored, fromEnvironment.credentials, google, {
      reloginHint: 'Set a fresh token in the environment (GMAILCTL_REFRESH_TOKEN, or GMAILCTL_ACCESS_TOKEN), or unset them to use the stored login.',
    });
    if (options.account) await insistOnAccount(session, fromEnvironment, options.account);
    return session;
  }

  // The OAuth client file is read while config.json and the stored login are: its path needs
  // neither. Its errors still come after theirs, as if it were read last.
  const credentialsRead = settled(loadClientCredentials(credentialsPath(options.credentialsFile, options.env, resolveConfigDir(options.env))));
  const workspace = await options.workspace();
  const account = chooseAccount(options.account, options.env, workspace.settings);
  if (!account) throw new AuthRequiredError('You are not logged in to any account.');
  const stored = await workspace.store.get(account);
  if (!stored) {
    // A keychain without a Secret Service reads as empty: tell that apart from "not stored".
    await workspace.store.probe();
    throw new AuthRequiredError(`There is no stored login for ${account}.`, account);
  }
  const credentials = await credentialsRead();
  const session = await sessionFor(account, stored, credentials, google, { persist: (login) => workspace.store.set(account, login) });
  return { ...session, settings: workspace.settings };
}

/**
 * --account with a login from the environment: the environment's login is the only one
 * used, so an address that is not its own would silently read the wrong mailbox.
 */
async function insistOnAccount(session: Session, login: EnvironmentLogin, wanted: string): Promise<void> {
  const address = await session.profileAddress();
  if (sameAddress(address, wanted)) return;
  throw new UsageError(`--account ${wanted} is not the login in the environment (${login.variables} is ${address}).`, {
    hint: `Drop --account to use ${address}, or unset ${login.variables} to use the stored login for ${wanted}.`,
  });
}

/** A login that GMAILCTL_* variables make: no store, no files. */
export interface EnvironmentLogin {
  /** GMAILCTL_ACCOUNT, else the variable's name, until Google names the address. */
  account: string;
  /** The variables it comes from, for messages. */
  variables: string;
  stored: StoredLogin;
  credentials: ClientCredentials;
}

/**
 * GMAILCTL_CLIENT_ID + GMAILCTL_CLIENT_SECRET + GMAILCTL_REFRESH_TOKEN make a complete
 * login; GMAILCTL_ACCESS_TOKEN alone works until it expires. Nothing is written anywhere.
 */
export function environmentLogin(env: NodeJS.ProcessEnv, google: Pick<GoogleSettings, 'tokenUri'>): EnvironmentLogin | undefined {
  const refreshToken = env.GMAILCTL_REFRESH_TOKEN || undefined;
  const accessToken = env.GMAILCTL_ACCESS_TOKEN || undefined;
  if (!refreshToken && !accessToken) return undefined;
  registerSecret(refreshToken);
  registerSecret(accessToken);
  registerSecret(env.GMAILCTL_CLIENT_SECRET);
  if (refreshToken) {
    const missing = ['GMAILCTL_CLIENT_ID', 'GMAILCTL_CLIENT_SECRET'].filter((name) => !env[name]);
    if (missing.length > 0) {
      throw new CredentialsError(`GMAILCTL_REFRESH_TOKEN is set, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not.`, {
        hint: 'Set all three (the OAuth client\'s id and secret with the refresh token), or unset GMAILCTL_REFRESH_TOKEN to use the stored login.',
      });
    }
  }
  const tokenUri = google.tokenUri ?? GOOGLE_ENDPOINTS.tokenUri;
  const insecure = insecureEndpoint(tokenUri, 'GMAILCTL_TOKEN_URI');
  if (insecure) throw new UsageError(`${insecure}.`, { hint: 'Unset GMAILCTL_TOKEN_URI to use Google\'s token endpoint.' });
  const credentials: ClientCredentials = {
    kind: 'installed',
    clientId: env.GMAILCTL_CLIENT_ID ?? '',
    clientSecret: env.GMAILCTL_CLIENT_SECRET ?? '',
    authUri: GOOGLE_ENDPOINTS.authUri,
    tokenUri,
    revokeUri: GOOGLE_ENDPOINTS.revokeUri,
    file: 'the environment',
  };
  const variables = refreshToken ? 'GMAILCTL_REFRESH_TOKEN' : 'GMAILCTL_ACCESS_TOKEN';
  const account = accountFromEnvironment(env) || variables;
  // Without a refresh token the access token is used until Google refuses it (no expiry known).
  return { account, variables, stored: { refresh_token: refreshToken ?? '', ...(accessToken ? { access_token: accessToken } : {}) }, credentials };
}

interface SessionHooks {
  /** Receives each refreshed login, so that the next command needs no refresh. */
  persist?: (login: StoredLogin) => Promise<void>;
  /** What to do when Google no longer accepts the login, if not `gmailctl login`. */
  reloginHint?: string;
}

/** A session for a login already read. */
export async function sessionFor(
  account: string,
  stored: StoredLogin,
  credentials: ClientCredentials,
  google: GoogleSettings,
  { persist, reloginHint }: SessionHooks = {},
): Promise<Session> {
  const client = await authorizedClient(credentials, stored, google);
  const writes = writeBackRefreshes(client, stored, persist);
  const mapError = (error: unknown, doing: string): Error => {
    const mapped = toGmailctlError(error, { account, doing });
    if (reloginHint && mapped instanceof AuthRequiredError) return new AuthRequiredError(mapped.message, undefined, { hint: reloginHint, cause: error });
    return mapped;
  };
  const call = refreshingCall(client, mapError);
  const profile = async (signal: AbortSignal | undefined, doing: string) => {
    const gmail = await createGmailClient(client, { apiRoot: secureApiRoot(google), ...(signal ? { signal } : {}) });
    return call(doing, () => gmail.users.getProfile({ userId: 'me' }, { ...(signal ? { signal } : {}) }));
  };

  return {
    account,
    client,
    canRefresh: Boolean(stored.refresh_token),
    google,
    call,
    async accessToken() {
      const { token } = await call('refreshing the access token', () => client.getAccessToken());
      if (!token) throw new AuthRequiredError(`Google gave no access token for ${account}.`, account);
      registerSecret(token);
      return token;
    },
    async confirmAccessToken(signal) {
      await profile(signal, 'checking the access token');
    },
    async profileAddress(signal) {
      const { data } = await profile(signal, 'asking Google which account this login is');
      if (!data.emailAddress) throw new GoogleApiError('Gmail answered getProfile without an address.', undefined);
      return data.emailAddress;
    },
    close: () => writes.settled(),
  };
}

/** Google's OAuth2Client holding the stored login. */
async function authorizedClient(credentials: ClientCredentials, stored: StoredLogin, google: GoogleSettings): Promise<OAuth2Client> {
  const client = await createOAuthClient(credentials, { timeoutMs: google.requestTimeoutMs });
  client.setCredentials({
    refresh_token: stored.refresh_token || null,
    access_token: stored.access_token ?? null,
    expiry_date: stored.expiry_date ?? null,
    scope: stored.scope,
    token_type: stored.token_type ?? 'Bearer',
  });
  return client;
}

/** Refreshed tokens are written back in order; settled() waits for the last write. */
function writeBackRefreshes(client: OAuth2Client, stored: StoredLogin, persist: SessionHooks['persist']): { settled(): Promise<void> } {
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
    if (persist) writes = writes.then(() => persist(snapshot)).catch(() => undefined);
  });
  return { settled: () => writes };
}

/**
 * Session.call: one Google call with our error mapping. A 401 with a token we thought valid
 * (revoked, clock skew) gets one refresh and one retry; when concurrent calls all fail, only
 * the first refreshes and the others reuse its token.
 */
function refreshingCall(client: OAuth2Client, mapError: (error: unknown, doing: string) => Error): Session['call'] {
  return async function call<T>(doing: string, request: () => Promise<T>): Promise<T> {
    const tokenUsed = client.credentials.access_token;
    try {
      return await request();
    } catch (error) {
      // A 401 with an OAuth body (invalid_client, unauthorized_client) came from the token
      // endpoint itself: refreshing again would get the same answer.
      if (failureFacts(error).status !== 401 || oauthErrorOf(error) !== undefined || !client.credentials.refresh_token) throw mapError(error, doing);
    }
    try {
      if (client.credentials.access_token === tokenUsed) await client.refreshAccessToken();
      return await request();
    } catch (error) {
      throw mapError(error, doing);
    }
  };
}

/** A promise started now and awaited later: no unhandled rejection if it is never awaited. */
function settled<T>(promise: Promise<T>): () => Promise<T> {
  promise.catch(() => undefined);
  return () => promise;
}
