/** `gmailctl status`: the stored logins, the default one, and whether Google still accepts each. */
import type { StatusReport } from '../auth/status-report.js';
import { AuthRequiredError, GoogleApiError, TokenStoreError } from '../basics/errors.js';
import type { IO } from '../basics/io.js';
import { toJson, toSingleLine } from '../basics/single-line.js';
import { formatBytes } from './cache.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';

function defineStatus() {
  return newCommand('status', 'show the stored accounts, the default one, and whether Google still accepts each login', [
    'gmailctl status',
    `gmailctl status --json | jq -r '.accounts[] | select(.ok) | .account'`,
    'gmailctl status >/dev/null || gmailctl login',
    'gmailctl status --offline                    # no network: what is stored, not checked',
  ])
    .option('--json', 'print the status as JSON on stdout')
    .option('--offline', 'do not ask Google (getProfile, 1 quota unit per login): report the stored facts only');
}

export type StatusFlags = ReturnType<ReturnType<typeof defineStatus>['opts']>;

export function statusCommand(context: ContextSource) {
  return defineStatus().action((flags) => runStatus(context(), flags));
}

export async function runStatus({ io, env, google, environmentLogin, workspace }: CommandContext, flags: StatusFlags): Promise<void> {
  const { collectEnvironmentStatus, collectStatus } = await import('../auth/status-report.js');
  const options = { google: google(), offline: flags.offline ?? false };
  const fromEnvironment = await environmentLogin();
  // A login from the environment is the only one any command uses: report it alone, open nothing.
  const report = fromEnvironment
    ? await collectEnvironmentStatus(fromEnvironment, options)
    : await collectStatus(await workspace(), env, options);
  if (flags.json) await io.write(`${toJson(report, 2)}\n`);
  else await io.write(renderStatus(report, io));

  const current = report.accounts.find((a) => a.isDefault);
  if (!report.tokenStore.reachable && current?.source !== 'environment') {
    // Logging in again cannot fix a keychain that does not answer: say what can.
    throw new TokenStoreError(`The token store cannot be used: ${report.tokenStore.problem ?? 'unknown reason'}`);
  }
  if (!current) throw new AuthRequiredError('You are not logged in to any account.');
  if (!current.ok && current.source === 'environment') {
    throw new AuthRequiredError(`The login in the environment does not work: ${sentence(current.detail)}`, undefined, {
      hint: 'Set a fresh GMAILCTL_REFRESH_TOKEN (with GMAILCTL_CLIENT_ID and GMAILCTL_CLIENT_SECRET) or GMAILCTL_ACCESS_TOKEN.',
    });
  }
  if (!current.ok && current.state === 'unreachable') {
    throw new GoogleApiError(`Could not check the login for ${current.account}: ${current.detail}`, undefined, {
      hint: 'Check your network connection and try again, or run: gmailctl status --offline',
    });
  }
  if (!current.ok) throw new AuthRequiredError(`The login for ${current.account} does not work: ${sentence(current.detail)}`, current.account);
}

/** A detail as the end of a sentence: one full stop, whether or not it came with its own. */
function sentence(detail: string): string {
  return `${detail.replace(/\.+$/, '')}.`;
}

function renderStatus(report: StatusReport, io: IO): string {
  const c = io.out;
  // Addresses come from Google's getProfile, details from its answers: cleaned like all text from outside.
  const clean = toSingleLine;
  const warn = (text: string): string => `  ${c.yellow('!')} ${text}`;
  const lines: string[] = [];
  if (report.offline) lines.push(c.yellow('Offline: from the stored facts only; Google was not asked whether the logins still work.'));
  const store = report.tokenStore;
  const storeName = store.kind === 'keychain' ? 'OS keychain' : store.kind === 'file' ? 'file' : 'none: the login comes from the environment';
  lines.push(`Token store: ${storeName} (${clean(store.location)})${store.reachable ? '' : ` ${c.red('unreachable')}`}`);
  if (store.problem) lines.push(warn(clean(store.problem)));
  const kind = report.credentials.kind === 'installed' ? ' (Desktop app)' : report.credentials.kind === 'web' ? ' (Web application)' : '';
  lines.push(`OAuth client: ${clean(report.credentials.file)}${kind}`);
  if (report.credentials.problem) lines.push(warn(clean(report.credentials.problem)));
  if (report.accounts.length === 0) lines.push('No stored logins. Run: gmailctl login');
  for (const account of report.accounts) {
    const mark = account.ok ? c.green('✓') : c.red('✗');
    const address = clean(account.account);
    const name = account.isDefault ? `${c.bold(address)} (default)` : address;
    const age = account.loginAgeDays !== undefined ? `, logged in ${account.loginAgeDays === 0 ? 'today' : `${count(account.loginAgeDays, 'day')} ago`}` : '';
    // A detail may be a sentence of its own (Google's, a network error's): no "., " before the age.
    lines.push(`${mark} ${name}: ${clean(account.detail).replace(/\.+$/, '')}${age}`);
    if (account.missingScopes.length > 0) lines.push(warn(`granted scopes lack ${clean(account.missingScopes.join(', '))}`));
    if (account.warning) lines.push(warn(clean(account.warning)));
    if (account.fix) lines.push(`  Run: ${clean(account.fix)}`);
    if (account.cache) lines.push(`  ${c.dim(describeCacheLine(account.cache))}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeCacheLine(cache: NonNullable<StatusReport['accounts'][number]['cache']>): string {
  const synced = cache.lastSync ? `synced ${ago(Date.parse(cache.lastSync))}` : 'never synced';
  return `cache: ${count(cache.messages, 'message')}, ${formatBytes(cache.bytes)}, ${synced}`;
}

/** "1 message", "2 messages". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function ago(then: number, now = Date.now()): string {
  const minutes = Math.round((now - then) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${count(minutes, 'minute')} ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} hours ago` : `${Math.round(hours / 24)} days ago`;
}
