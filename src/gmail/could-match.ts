/**
 * Whether a message, known only by its labels, could match a listing's filters: what lets a
 * `--since-last` run leave out new mail that cannot match (sent mail for `is:unread`, spam,
 * another label) without asking Gmail. Conservative by construction: "could" is the answer
 * whenever the query is more than a plain list of terms this module understands, because
 * leaving out a message that matches would lose it.
 */

interface LabelFilter {
  /** Gmail search, as given to -q. */
  query?: string | undefined;
  /** --label, as label ids: all must be on the message. */
  labelIds: readonly string[];
  includeSpamTrash: boolean;
}

/** Search terms that require a system label, as Gmail defines them. */
const REQUIRED_LABEL: Record<string, string> = {
  'is:unread': 'UNREAD',
  'is:starred': 'STARRED',
  'is:important': 'IMPORTANT',
  'in:inbox': 'INBOX',
  'in:sent': 'SENT',
  'in:draft': 'DRAFT',
  'in:drafts': 'DRAFT',
  'is:draft': 'DRAFT',
  'in:spam': 'SPAM',
  'in:trash': 'TRASH',
  'label:inbox': 'INBOX',
  'label:unread': 'UNREAD',
  'label:starred': 'STARRED',
  'label:important': 'IMPORTANT',
  'label:sent': 'SENT',
  'label:draft': 'DRAFT',
  'label:spam': 'SPAM',
  'label:trash': 'TRASH',
};

/**
 * The labels every match of `query` must carry. Only a query made of plain terms joined by
 * spaces (an implicit AND) is read; anything with OR, braces, parentheses or quotes answers
 * none (it could mean anything we do not parse).
 */
function requiredLabels(query: string | undefined): string[] {
  if (query === undefined) return [];
  if (/[(){}"]/.test(query) || /(^|\s)(OR|AND|AROUND)(\s|$)/.test(query) || query.includes('|')) return [];
  const labels = new Set<string>();
  for (const term of query.trim().split(/\s+/)) {
    const label = REQUIRED_LABEL[term.toLowerCase()];
    if (label) labels.add(label);
  }
  return [...labels];
}

/** Whether the listing reaches spam and trash: asked for, or named by the query or --label. */
function reachesSpamTrash(filter: LabelFilter): boolean {
  if (filter.includeSpamTrash) return true;
  if (filter.labelIds.some((id) => id === 'SPAM' || id === 'TRASH')) return true;
  return /spam|trash|anywhere/i.test(filter.query ?? '');
}

/** False only when a message with these labels cannot be in the listing; true when unsure (labels unknown). */
export function labelsCouldMatch(labels: readonly string[] | undefined, filter: LabelFilter): boolean {
  if (labels === undefined) return true;
  if (!filter.labelIds.every((id) => labels.includes(id))) return false;
  if (!reachesSpamTrash(filter) && labels.some((id) => id === 'SPAM' || id === 'TRASH')) return false;
  return requiredLabels(filter.query).every((id) => labels.includes(id));
}
