/**
 * --label takes a label id (INBOX, Label_12) or the name people see (Receipts): names are
 * resolved to ids with labels.list (1 quota unit), asked only when a value is not a system
 * label id, so that `--label INBOX --label UNREAD` costs nothing extra.
 */
import { UsageError } from '../basics/errors.js';
import type { CallGoogle } from './listing.js';
import type { GmailClient } from './client.js';

const SYSTEM_LABEL_IDS = new Set(['INBOX', 'UNREAD', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'SPAM', 'TRASH', 'CHAT']);
const isSystemId = (value: string): boolean => SYSTEM_LABEL_IDS.has(value) || /^CATEGORY_[A-Z]+$/.test(value);

export async function resolveLabelIds(mailbox: { gmail: GmailClient; call: CallGoogle }, values: readonly string[]): Promise<string[]> {
  if (values.every(isSystemId)) return [...values];
  const { data } = await mailbox.call('listing labels', () => mailbox.gmail.users.labels.list({ userId: 'me' }));
  const labels = (data.labels ?? []).filter((l): l is { id: string; name: string } => typeof l.id === 'string' && typeof l.name === 'string');
  return values.map((value) => {
    const byId = labels.find((l) => l.id === value);
    if (byId) return byId.id;
    const byName = labels.filter((l) => l.name.toLowerCase() === value.toLowerCase());
    if (byName.length === 1) return byName[0]!.id;
    const exact = byName.find((l) => l.name === value);
    if (exact) return exact.id;
    const user = labels.filter((l) => !isSystemId(l.id)).map((l) => l.name);
    throw new UsageError(`There is no label "${value}" in this mailbox (by id or name).`, {
      hint: user.length > 0 ? `Its labels: ${user.slice(0, 20).join(', ')}${user.length > 20 ? ', …' : ''}` : 'It has no labels of its own.',
    });
  });
}
