/** `gmailctl cache clear`: delete an account's message cache (or every one). */
import { Command } from '@commander-js/extra-typings';
import type { CommandContext, ContextSource } from './context.js';
import { accountOrAllCommand } from './define.js';

function defineCacheClear() {
  return accountOrAllCommand('gmailctl cache clear', 'delete the cached messages, conversations and --since-last cursors of an account', { account: 'account whose cache to delete (default: $GMAILCTL_ACCOUNT or the default account)', all: 'delete the cache of every account' });
}

type CacheClearFlags = ReturnType<ReturnType<typeof defineCacheClear>['opts']>;

export function cacheCommand(context: ContextSource) {
  return new Command('cache')
    .description('manage the local message cache (see gmailctl list --help)')
    .addCommand(defineCacheClear().action((flags) => runCacheClear(context(), flags)));
}

/** The default account's cache unless told otherwise. */
export async function runCacheClear({ io, env, account: chooseAccount }: CommandContext, flags: CacheClearFlags): Promise<void> {
  const { clearAllCaches, clearCaches } = await import('../cache/manage.js');
  let cleared;
  if (flags.all) cleared = clearAllCaches(env);
  else {
    const account = await chooseAccount(flags.account);
    if (!account) {
      io.info('No account given and no default account: nothing to clear. (--all clears every cache file.)');
      return;
    }
    cleared = clearCaches(env, [account]);
  }
  if (cleared.length === 0) io.info('There is no cached mail.');
  for (const { account, bytes } of cleared) {
    io.info(bytes > 0 ? `Cleared the cache of ${account} (${formatBytes(bytes)}).` : `There is no cache for ${account}.`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
