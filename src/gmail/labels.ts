/**
 * Labels: `gmailctl labels` (every label with its counts) and --label's names.
 *
 * --label takes a label id (INBOX, Label_12) or the name people see (Receipts): names are
 * resolved to ids with labels.list (1 quota unit), asked only when a value is not a system
 * label id, so that `--label INBOX --label UNREAD` costs nothing extra.
 */
import type { gmail_v1 } from '@googleapis/gmail';
import { UsageError } from '../basics/errors.js';
import { getEach, unlessGone, type BatchGetDeps, type CallGoogle } from './batch-get.js';
import type { GmailClient } from './client.js';
import { wellFormed } from './listing.js';

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

interface LabelDeps extends BatchGetDeps {
  gmail: GmailClient;
}

/** A label as labels.list (and, with its counts, labels.get) answers it, with an id for sure. */
export type GmailLabel = gmail_v1.Schema$Label & { id: string };

/**
 * Every label of the mailbox, in Gmail's order: one labels.list call, and with `counts` one
 * labels.get per label (1 unit each, the counts are only there), batched. A label deleted
 * between the list and its get is left out.
 */
export async function readLabels(deps: LabelDeps, { counts }: { counts: boolean }): Promise<GmailLabel[]> {
  const { data } = await deps.call('listing labels', () => deps.gmail.users.labels.list({ userId: 'me' }, { signal: deps.signal }));
  const labels = (wellFormed(data, 'the list of labels').labels ?? []).filter((l): l is GmailLabel => typeof l.id === 'string' && l.id !== '');
  if (!counts) return labels;
  const fetched = await getEach(deps, labels.map((label) => label.id), {
    doing: 'reading label counts',
    path: (id) => `gmail/v1/users/me/labels/${encodeURIComponent(id)}`,
    one: (id) => deps.call('reading label counts', () => unlessGone(async () => wellFormed((await deps.gmail.users.labels.get({ userId: 'me', id }, { signal: deps.signal })).data, `label ${id}`))),
    parse: (body, id) => wellFormed(body as gmail_v1.Schema$Label | string, `label ${id}`),
  });
  return labels.flatMap((label) => {
    const got = fetched.get(label.id);
    return got ? [{ ...label, ...got, id: label.id }] : [];
  });
}

/** Whether an id is one of Gmail's own labels (for a label whose answer names no type). */
export function isSystemLabelId(id: string): boolean {
  return isSystemId(id);
}
