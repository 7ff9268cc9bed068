import { GmailctlError } from '../errors.js';
import type { CommandContext } from './context.js';

export async function runList(_ctx: CommandContext, _options: Record<string, unknown>): Promise<void> {
  throw new GmailctlError('gmailctl list is not implemented yet.');
}
