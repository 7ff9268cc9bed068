import { openSession } from '../auth/session.js';
import type { CommandContext } from './context.js';

export interface TokenFlags {
  account?: string;
}

export async function runToken({ io, env }: CommandContext, flags: TokenFlags): Promise<void> {
  const session = await openSession({ env, account: flags.account });
  try {
    const token = await session.accessToken();
    await io.write(`${token}\n`);
  } finally {
    await session.close();
  }
}
