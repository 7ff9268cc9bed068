import { GmailctlError } from '../errors.js';
import type { CommandContext } from './context.js';

export async function runStatus(_ctx: CommandContext, _options: Record<string, unknown>): Promise<void> {
  throw new GmailctlError('gmailctl status is not implemented yet.');
}
