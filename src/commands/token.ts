import { openSession } from '../auth/session.js';
import type { CommandContext } from './context.js';

export interface TokenFlags {
  account?: string;
}

export async function runToken({ io, env, signal }: CommandContext, flags: TokenFlags): Promise<void> {
  const session = await openSession({ env, account: flags.account });
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
