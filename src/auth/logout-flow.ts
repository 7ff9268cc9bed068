/**
 * Logout: revoke at Google first (a deleted-but-valid refresh token would still grant
 * access to whoever copied it), then delete locally whatever Google answered.
 */
import { updateSettings, withoutLogin } from '../config.js';
import { googleSettings } from '../environment.js';
import { AuthRequiredError } from '../errors.js';
import { toGmailctlError } from '../google-error.js';
import type { Workspace } from '../workspace.js';
import { credentialsPath, loadClientCredentials } from './credentials.js';
import { createOAuthClient, revokeToken } from './oauth-client.js';

export interface LogoutResult {
  account: string;
  /** Why revoking at Google failed, when it did; the local login is deleted regardless. */
  revokeFailure?: string;
}

export async function logout(
  workspace: Workspace,
  accounts: string[],
  env: NodeJS.ProcessEnv,
  credentialsFile?: string,
): Promise<LogoutResult[]> {
  const logins = [];
  for (const account of accounts) {
    const stored = await workspace.store.get(account);
    if (!stored) throw new AuthRequiredError(`There is no stored login for ${account}.`, undefined, { hint: 'See the stored accounts with: gmailctl status' });
    logins.push({ account, stored });
  }
  let revoke: ((token: string) => Promise<void>) | string;
  try {
    const credentials = await loadClientCredentials(credentialsPath(credentialsFile, env, workspace.configDir));
    const client = await createOAuthClient(credentials, { timeoutMs: googleSettings(env).requestTimeoutMs });
    revoke = (token) => revokeToken(client, credentials.revokeUri, token);
  } catch (error) {
    revoke = `the OAuth client file is unusable: ${(error as Error).message}`;
  }

  const results: LogoutResult[] = [];
  for (const { account, stored } of logins) {
    let revokeFailure: string | undefined;
    if (typeof revoke === 'string') revokeFailure = revoke;
    else {
      try {
        await revoke(stored.refresh_token);
      } catch (error) {
        revokeFailure = toGmailctlError(error, { account, doing: 'revoking the login' }).message;
      }
    }
    await workspace.store.delete(account);
    await updateSettings(workspace.configDir, (settings) => withoutLogin(settings, account));
    results.push({ account, ...(revokeFailure ? { revokeFailure } : {}) });
  }
  return results;
}
