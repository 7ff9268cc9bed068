/**
 * Logout: revoke at Google first (a deleted-but-valid refresh token would still grant
 * access to whoever copied it), then delete locally whatever Google answered.
 */
import { clearCaches } from '../cache/manage.js';
import { checkConfigDirWritable, updateSettings, withoutLogin } from '../basics/config.js';
import type { GoogleSettings } from '../basics/environment.js';
import { AuthRequiredError, TokenStoreError } from '../basics/errors.js';
import type { StoredLogin } from '../store/token-store.js';
import { oauthErrorOf, toGmailctlError } from '../gmail/google-error.js';
import type { Workspace } from '../store/workspace.js';
import { credentialsPath, loadClientCredentials } from './credentials.js';
import { createOAuthClient, revokeToken } from './oauth-client.js';

interface LogoutResult {
  account: string;
  /** Why revoking at Google failed, when it did; the local login is deleted regardless. */
  revokeFailure?: string;
  /**
   * Set when config.json listed the account but the store held no usable login for it
   * (removed by another tool, unreadable): the entry was cleaned, nothing was revoked.
   */
  dangling?: string;
}

/**
 * The login to log out of. An account that config.json lists but whose secret is gone or
 * unreadable is dangling: it is cleaned rather than stopping a logout of the others.
 */
async function readLogin(workspace: Workspace, account: string): Promise<{ stored?: StoredLogin; dangling?: string }> {
  const listed = (workspace.settings.accounts ?? []).includes(account) || workspace.settings.defaultAccount === account;
  try {
    const stored = await workspace.store.get(account);
    if (stored) return { stored };
    if (!listed) return {};
    // A keychain without a Secret Service reads as empty: that is not a dangling entry.
    await workspace.store.probe();
    return { dangling: `its secret is no longer in the ${workspace.store.kind === 'file' ? 'token file' : 'keychain'}` };
  } catch (error) {
    // Only an entry that holds garbage is dangling; a store that cannot be used stops us.
    if (!listed || !(error instanceof TokenStoreError) || !/is not readable/.test(error.message)) throw error;
    return { dangling: error.message };
  }
}

export async function logout(
  workspace: Workspace,
  accounts: string[],
  env: NodeJS.ProcessEnv,
  google: Pick<GoogleSettings, 'requestTimeoutMs'>,
  credentialsFile?: string,
): Promise<LogoutResult[]> {
  const logins: Array<{ account: string; stored?: StoredLogin; dangling?: string }> = [];
  for (const account of accounts) {
    const found = await readLogin(workspace, account);
    if (found.stored || found.dangling) logins.push({ account, ...found });
    else throw new AuthRequiredError(`There is no stored login for ${account}.`, undefined, { hint: 'See the stored accounts with: gmailctl status' });
  }
  // config.json (and tokens.json) must change after the revocation: a read-only config dir
  // stops the logout before Google is asked, not after the login is dead there.
  await checkConfigDirWritable(workspace.configDir, 'log out', 'Nothing was revoked or deleted.');
  let revoke: ((token: string) => Promise<void>) | string;
  try {
    const credentials = await loadClientCredentials(credentialsPath(credentialsFile, env, workspace.configDir));
    const client = await createOAuthClient(credentials, { timeoutMs: google.requestTimeoutMs });
    revoke = (token) => revokeToken(client, credentials.revokeUri, token);
  } catch (error) {
    revoke = `the OAuth client file is unusable: ${(error as Error).message}`;
  }

  const results: LogoutResult[] = [];
  for (const { account, stored, dangling } of logins) {
    if (!stored) {
      await workspace.store.delete(account).catch(() => false);
      await updateSettings(workspace.configDir, (settings) => withoutLogin(settings, account));
      results.push({ account, dangling: dangling ?? 'no stored login' });
      continue;
    }
    let revokeFailure: string | undefined;
    if (typeof revoke === 'string') revokeFailure = revoke;
    else {
      try {
        await revoke(stored.refresh_token);
      } catch (error) {
        // 400 invalid_token: Google no longer knows the token — it is already revoked (or
        // expired), which is what logging out wants.
        if (oauthErrorOf(error) !== 'invalid_token') revokeFailure = toGmailctlError(error, { account, doing: 'revoking the login' }).message;
      }
    }
    await workspace.store.delete(account);
    await updateSettings(workspace.configDir, (settings) => withoutLogin(settings, account));
    // Its cached mail goes with the login.
    clearCaches(env, [account]);
    results.push({ account, ...(revokeFailure ? { revokeFailure } : {}) });
  }
  return results;
}
