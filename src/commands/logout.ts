import { GmailctlError } from '../errors.js';
import type { CommandContext } from './context.js';

export async function runLogout(_ctx: CommandContext, _options: Record<string, unknown>): Promise<void> {
  throw new GmailctlError('gmailctl logout is not implemented yet.');
}
