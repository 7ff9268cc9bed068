import { GmailctlError } from '../errors.js';
import type { CommandContext } from './context.js';

export async function runToken(_ctx: CommandContext, _options: Record<string, unknown>): Promise<void> {
  throw new GmailctlError('gmailctl token is not implemented yet.');
}
