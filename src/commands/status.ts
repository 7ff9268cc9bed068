import { openWorkspace } from '../auth/session.js';
import { collectStatus, hasNeededScope, type StatusReport } from '../auth/status.js';
import { AuthRequiredError } from '../errors.js';
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
  if (!current) throw new AuthRequiredError('You are not logged in to any account.');
  if (!current.ok) throw new AuthRequiredError(`The login for ${current.account} does not work: ${current.detail}.`, current.account);
}

function renderStatus(report: StatusReport, io: IO): string {
  const c = io.out;
  const lines: string[] = [];
  lines.push(`Token store: ${report.tokenStore.kind === 'keychain' ? 'OS keychain' : 'file'} (${report.tokenStore.location})`);
  lines.push(
    `OAuth client: ${report.credentials.file}${report.credentials.kind ? ` (${report.credentials.kind === 'installed' ? 'Desktop app' : 'Web application'})` : ''}`,
  );
  if (report.credentials.problem) lines.push(`  ${c.yellow('!')} ${report.credentials.problem}`);
  if (report.accounts.length === 0) lines.push('No stored logins. Run: gmailctl login');
  for (const account of report.accounts) {
    const mark = account.ok ? c.green('✓') : c.red('✗');
    const name = account.isDefault ? `${c.bold(account.account)} (default)` : account.account;
    lines.push(`${mark} ${name}: ${account.detail}`);
    if (!hasNeededScope(account.scopes)) lines.push(`  ${c.yellow('!')} granted scopes lack gmail.readonly: run gmailctl login --account ${account.account}`);
    if (!account.ok) lines.push(`  Run: gmailctl login --account ${account.account}`);
  }
  return `${lines.join('\n')}\n`;
}
