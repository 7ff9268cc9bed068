/** `gmailctl switch [ACCOUNT]`: make another stored login the default, as `gh auth switch` does. */
import { AuthRequiredError, UsageError } from '../basics/errors.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount } from './options.js';

function defineSwitch() {
  return newCommand('switch', 'make another stored login the default account', [
    'gmailctl switch work@example.com',
    'gmailctl switch                      # with two logins: the other one',
  ]).argument('[account]', 'the address to use by default (with two logins: the other one)', parseAccount);
}

export function switchCommand(context: ContextSource) {
  return defineSwitch().action((account) => runSwitch(context(), account));
}

export async function runSwitch(context: CommandContext, wanted: string | undefined): Promise<void> {
  const { io } = context;
  const { sameAddress, updateSettings } = await import('../basics/config.js');
  await context.refuseEnvironmentLogin('there is no default to switch.', (variables) => `Unset ${variables} to use the stored logins.`);
  const workspace = await context.workspace();
  const accounts = workspace.settings.accounts ?? [];
  const current = workspace.settings.defaultAccount;
  let account: string;
  if (wanted !== undefined) account = (await context.account(wanted))!;
  else if (accounts.length === 2) account = accounts.find((a) => a !== current) ?? accounts[0]!;
  else {
    throw new UsageError(accounts.length < 2 ? 'There is no other stored login to switch to.' : 'Which account? Name it.', {
      hint: accounts.length < 2 ? 'Log in to another account with: gmailctl login' : `Stored: ${accounts.join(', ')}. Run: gmailctl switch ACCOUNT`,
    });
  }
  if (!accounts.includes(account) || !(await workspace.store.get(account))) {
    throw new AuthRequiredError(`There is no stored login for ${account}.`, account);
  }
  const overriding = await context.accountFromEnvironment();
  if (overriding && !sameAddress(overriding, account)) {
    io.warn(`GMAILCTL_ACCOUNT is set to ${overriding}: commands use it while it is set.`);
  }
  await updateSettings(workspace.configDir, (settings) => ({ ...settings, defaultAccount: account }));
  io.info(account === current ? `${account} already is the default account.` : `Switched the default account to ${account}`);
}
