/** `gmailctl token`: a valid access token on stdout, for curl and other tools. */
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount } from './options.js';

function defineToken() {
  return newCommand('token', 'print a valid access token (refreshed if needed)', [
    'gmailctl token --account work@example.com',
    `curl -sH "Authorization: Bearer $(gmailctl token)" \\\n      https://gmail.googleapis.com/gmail/v1/users/me/labels`,
  ]).option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount);
}

export type TokenFlags = ReturnType<ReturnType<typeof defineToken>['opts']>;

export function tokenCommand(context: ContextSource) {
  return defineToken().action((flags) => runToken(context(), flags));
}

export async function runToken({ io, signal, session: openSession }: CommandContext, flags: TokenFlags): Promise<void> {
  const session = await openSession(flags.account);
  try {
    const token = await session.accessToken();
    if (!session.canRefresh) {
      // An access token alone has no known expiry: ask Gmail once rather than hand out a dead one.
      await session.confirmAccessToken(signal);
    }
    await io.write(`${token}\n`);
  } finally {
    await session.close();
  }
}
