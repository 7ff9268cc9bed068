import { collectStatus, type StatusReport } from '../auth/status-report.js';
import { openWorkspace } from '../workspace.js';
import { AuthRequiredError, TokenStoreError } from '../errors.js';
import type { IO } from '../io.js';
import type { CommandContext } from './context.js';

export interface StatusFlags {
  json?: boolean;
}

export async function runStatus({ io, env }: CommandContext, flags: StatusFlags): Promise<void> {
  const workspace = await openWorkspace(env);
  const report = await collectStatus(workspace, env);
  if (flags.json) await io.write(`${JSON.stringify(report, null, 2)}\n`);
  else await io.write(renderStatus(report, io));

  const current = report.accounts.find((a) => a.isDefault);
  if (!report.tokenStore.reachable && current?.source !== 'environment') {
    // Logging in again cannot fix a keychain that does not answer: say what can.
    throw new TokenStoreError(`The token store cannot be used: ${report.tokenStore.problem ?? 'unknown reason'}`);
  }
  if (!current) throw new AuthRequiredError('You are not logged in to any account.');
  if (!current.ok && current.source === 'environment') {
    throw new AuthRequiredError(`The login in the environment does not work: ${current.detail}.`, undefined, {
      hint: 'Set a fresh GMAILCTL_REFRESH_TOKEN (with GMAILCTL_CLIENT_ID and GMAILCTL_CLIENT_SECRET) or GMAILCTL_ACCESS_TOKEN.',
    });
  }
  if (!current.ok) throw new AuthRequiredError(`The login for ${current.account} does not work: ${current.detail}.`, current.account);
}

function renderStatus(report: StatusReport, io: IO): string {
  const c = io.out;
  const warn = (text: string): string => `  ${c.yellow('!')} ${text}`;
  const lines: string[] = [];
  const store = report.tokenStore;
  lines.push(`Token store: ${store.kind === 'keychain' ? 'OS keychain' : 'file'} (${store.location})${store.reachable ? '' : ` ${c.red('unreachable')}`}`);
  if (store.problem) lines.push(warn(store.problem));
  const kind = report.credentials.kind === 'installed' ? ' (Desktop app)' : report.credentials.kind === 'web' ? ' (Web application)' : '';
  lines.push(`OAuth client: ${report.credentials.file}${kind}`);
  if (report.credentials.problem) lines.push(warn(report.credentials.problem));
  if (report.accounts.length === 0) lines.push('No stored logins. Run: gmailctl login');
  for (const account of report.accounts) {
    const mark = account.ok ? c.green('✓') : c.red('✗');
    const name = account.isDefault ? `${c.bold(account.account)} (default)` : account.account;
    const age = account.loginAgeDays !== undefined ? `, logged in ${account.loginAgeDays === 0 ? 'today' : `${account.loginAgeDays} days ago`}` : '';
    lines.push(`${mark} ${name}: ${account.detail}${age}`);
    if (account.missingScopes.length > 0) lines.push(warn(`granted scopes lack ${account.missingScopes.join(', ')}`));
    if (account.warning) lines.push(warn(account.warning));
    if (account.fix) lines.push(`  Run: ${account.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
