import { GmailctlError } from '../errors.js';
import type { CommandContext } from './context.js';

export async function runLogin(_ctx: CommandContext, _options: Record<string, unknown>): Promise<void> {
  throw new GmailctlError('gmailctl login is not implemented yet.');
}
