/** `gmailctl logout`: revoke the login at Google, then forget it here. */
import { AuthRequiredError } from '../basics/errors.js';
import type { CommandContext, ContextSource } from './context.js';
import { accountOrAllCommand } from './define.js';

function defineLogout() {
  return accountOrAllCommand('gmailctl logout', 'revoke the stored login at Google and delete it', { account: 'account to log out of (default: the default account)', all: 'log out of every stored account' });
}

export type LogoutFlags = ReturnType<ReturnType<typeof defineLogout>['opts']>;

export function logoutCommand(context: ContextSource) {
  return defineLogout().action((flags) => runLogout(context(), flags));
}

export async function runLogout(context: CommandContext, flags: LogoutFlags): Promise<void> {
  const { io, env } = context;
  const { logout } = await import('../auth/logout-flow.js');
  // Like `gh auth logout` with GH_TOKEN set: the environment's login is not ours to end,
  // and the stored logins are not what the user is using now.
  await context.refuseEnvironmentLogin(
    'logout did nothing, no stored login was touched.',
    (variables) => `Unset ${variables} to use (or log out of) the stored logins; to end that login for good, remove gmailctl at https://myaccount.google.com/permissions`,
  );
  const workspace = await context.workspace();
  let accounts: string[];
  if (flags.all) {
    accounts = workspace.settings.accounts ?? [];
    if (accounts.length === 0) throw new AuthRequiredError('There are no stored logins.', undefined, { hint: 'Nothing to log out of.' });
  } else {
    const account = await context.account(flags.account);
    if (!account) throw new AuthRequiredError('You are not logged in to any account.', undefined, { hint: 'Nothing to log out of.' });
    accounts = [account];
  }
  for (const result of await logout(workspace, accounts, env, context.google())) {
    if (result.dangling) {
      io.info(`Removed ${result.account} from the stored logins: ${result.dangling} (nothing to revoke).`);
      continue;
    }
    if (result.revokeFailure) {
      io.warn(
        `Could not revoke the login at Google (${result.revokeFailure}); it was deleted here anyway. ` +
          'To be sure, remove gmailctl at https://myaccount.google.com/permissions',
      );
    }
    io.info(`Logged out of ${result.account}`);
  }
}
