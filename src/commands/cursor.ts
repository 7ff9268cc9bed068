/**
 * `gmailctl cursor commit|list|delete`: the --since-last cursors kept in each account's cache
 * file. `commit` is the second half of `list --since-last NAME --no-commit`: it moves the
 * cursor to where that run got, once the consumer of its output has succeeded.
 */
import { Command } from '@commander-js/extra-typings';
import type { CursorListing, CursorRefusal } from '../cache/manage.js';
import { describeCacheNotice } from '../cache/notices.js';
import type { CacheNotice } from '../cache/message-cache.js';
import { CacheError, UsageError } from '../basics/errors.js';
import type { IO } from '../basics/io.js';
import { toJson, toSingleLine } from '../basics/single-line.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount, parseCursorName } from './options.js';

const ACCOUNT_HELP = 'account whose cursor it is (default: $GMAILCTL_ACCOUNT or the default account)';

function defineCursorCommit() {
  return newCommand('commit', 'move a cursor to where the last `list --since-last NAME --no-commit` run got', [
    'gmailctl list -q is:unread --since-last n --no-commit --format ndjson | ./process && gmailctl cursor commit n',
  ])
    .argument('<name>', 'the cursor (as given to --since-last)', parseCursorName)
    .option('--account <email>', ACCOUNT_HELP, parseAccount);
}

function defineCursorList() {
  return newCommand('list', "each --since-last cursor: its name, account, when it last advanced, and whether a commit is pending", [
    'gmailctl cursor list',
    'gmailctl cursor list --json',
  ])
    .option('--account <email>', 'only the cursors of this account (default: every account)', parseAccount)
    .option('--json', 'a JSON array of {"name", "account", "advancedAt", "pending"}');
}

function defineCursorDelete() {
  return newCommand('delete', 'forget a cursor: the next `list --since-last NAME` prints every match', ['gmailctl cursor delete notifier'])
    .argument('<name>', 'the cursor (as given to --since-last)', parseCursorName)
    .option('--account <email>', ACCOUNT_HELP, parseAccount);
}

type CursorCommitFlags = ReturnType<ReturnType<typeof defineCursorCommit>['opts']>;
type CursorListFlags = ReturnType<ReturnType<typeof defineCursorList>['opts']>;
type CursorDeleteFlags = ReturnType<ReturnType<typeof defineCursorDelete>['opts']>;

export function cursorCommand(context: ContextSource) {
  return new Command('cursor')
    .description('manage the cursors of list --since-last (see gmailctl list --help)')
    .addCommand(defineCursorCommit().action((name, flags) => runCursorCommit(context(), name, flags)))
    .addCommand(defineCursorList().action((flags) => runCursorList(context(), flags)))
    .addCommand(defineCursorDelete().action((name, flags) => runCursorDelete(context(), name, flags)));
}

async function runCursorCommit(context: CommandContext, name: string, flags: CursorCommitFlags): Promise<void> {
  const { io, env } = context;
  const account = await accountOf(context, flags.account);
  const { commitCursor } = await import('../cache/manage.js');
  refuse(await commitCursor(env, account, name, notices(io)), name, account);
  io.info(`Cursor ${name} (${account}) advanced to where the last --no-commit run got.`);
}

async function runCursorList({ io, env }: CommandContext, flags: CursorListFlags): Promise<void> {
  const { listCursors } = await import('../cache/manage.js');
  const cursors = await listCursors(env, flags.account ? [flags.account] : undefined, notices(io));
  if (flags.json) {
    await io.write(`${toJson(cursors.map(cursorObject), 2)}\n`);
    return;
  }
  if (cursors.length === 0) io.info('There are no --since-last cursors.');
  for (const cursor of cursors) {
    const advanced = cursor.advancedAt === undefined ? 'never advanced' : new Date(cursor.advancedAt).toISOString();
    await io.write(`${[cursor.name, cursor.account, advanced, cursor.pending ? 'commit pending' : ''].map(toSingleLine).join('\t')}\n`);
  }
}

async function runCursorDelete(context: CommandContext, name: string, flags: CursorDeleteFlags): Promise<void> {
  const { io, env } = context;
  const account = await accountOf(context, flags.account);
  const { deleteCursor } = await import('../cache/manage.js');
  refuse(await deleteCursor(env, account, name, notices(io)), name, account);
  io.info(`Deleted cursor ${name} (${account}): the next --since-last ${name} run prints every match.`);
}

function cursorObject(cursor: CursorListing): object {
  return {
    name: cursor.name,
    account: cursor.account,
    advancedAt: cursor.advancedAt === undefined ? null : new Date(cursor.advancedAt).toISOString(),
    pending: cursor.pending,
  };
}

async function accountOf(context: CommandContext, flag: string | undefined): Promise<string> {
  const account = await context.account(flag);
  if (!account) throw new UsageError('No account given and no default account.', { hint: 'Pass --account EMAIL, or log in first: gmailctl login' });
  return account;
}

function notices(io: IO): (notice: CacheNotice) => void {
  return (notice) => {
    const { level, text } = describeCacheNotice(notice);
    if (level === 'warn') io.warn(text);
    else io.info(text);
  };
}

/** A cursor command that could not do its work: exit 1, saying why and what to do. */
function refuse(refusal: CursorRefusal | undefined, name: string, account: string): void {
  if (refusal === undefined) return;
  const words: Record<CursorRefusal, [string, string]> = {
    'nothing-pending': [
      `No --no-commit run of cursor ${name} (${account}) is pending: nothing to commit.`,
      `Run 'gmailctl list --since-last ${name} --no-commit …' first (a run without --no-commit moves the cursor itself, and drops what was pending).`,
    ],
    'no-such-cursor': [`There is no cursor ${name} for ${account}.`, "See 'gmailctl cursor list'."],
    unusable: [`The cache file of ${account}, which keeps cursor ${name}, cannot be used (see the warning above).`, 'Free some disk space, or check GMAILCTL_CACHE_DIR.'],
  };
  const [message, hint] = words[refusal];
  throw new CacheError(message, { hint });
}
