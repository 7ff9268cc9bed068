/**
 * Gmail's search syntax, parsed into a tree and evaluated against seeded messages.
 *
 *   query   := or+                 (implicit AND)
 *   or      := unary ("OR" unary)*
 *   unary   := "-" unary | "(" query ")" | term
 *   term    := operator ":" (word | "quoted phrase") | word | "quoted phrase"
 *
 * Dates (after:, before:) are read as UTC midnights: real Gmail uses the account's zone,
 * but a fixed zone keeps results reproducible. Relative ages count from MAILBOX_NOW.
 */
import { MAILBOX_LABELS, MAILBOX_NOW, type MailboxMessage } from './mailbox.js';

export class QuerySyntaxError extends Error {}

export type QueryNode =
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  | { kind: 'test'; test: (message: SearchableMessage) => boolean; reachesSpamTrash: boolean };

/** A message with its lowercased text, computed once per message and query run. */
export interface SearchableMessage {
  message: MailboxMessage;
  from: string;
  to: string;
  subject: string;
  text: string;
}

export function searchable(message: MailboxMessage): SearchableMessage {
  const from = message.from.toLowerCase();
  const to = message.to.toLowerCase();
  const subject = (message.subject ?? '').toLowerCase();
  return { message, from, to, subject, text: `${from}\n${to}\n${subject}\n${message.snippet.toLowerCase()}` };
}

type Token =
  | { kind: '(' | ')' | 'OR' | '-' }
  | { kind: 'term'; operator: string | undefined; value: string };

const OPERATORS = new Set(['label', 'is', 'in', 'from', 'to', 'subject', 'after', 'before', 'newer_than', 'older_than']);

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readQuoted = (): string => {
    const end = query.indexOf('"', i + 1);
    if (end < 0) throw new QuerySyntaxError('unbalanced quote');
    const phrase = query.slice(i + 1, end);
    i = end + 1;
    return phrase;
  };
  while (i < query.length) {
    const char = query[i]!;
    if (/\s/.test(char)) {
      i++;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char });
      i++;
    } else if (char === '-' && i + 1 < query.length && !/\s/.test(query[i + 1]!)) {
      tokens.push({ kind: '-' });
      i++;
    } else if (char === '"') {
      tokens.push({ kind: 'term', operator: undefined, value: readQuoted() });
    } else {
      const start = i;
      while (i < query.length && !/[\s()"]/.test(query[i]!)) i++;
      const word = query.slice(start, i);
      const colon = word.indexOf(':');
      const operator = colon > 0 ? word.slice(0, colon).toLowerCase() : undefined;
      if (word === 'OR') {
        tokens.push({ kind: 'OR' });
      } else if (operator !== undefined && OPERATORS.has(operator)) {
        let value = word.slice(colon + 1);
        if (value === '' && query[i] === '"') value = readQuoted();
        if (value.trim() === '') throw new QuerySyntaxError(`empty value for ${operator}:`);
        tokens.push({ kind: 'term', operator, value });
      } else {
        tokens.push({ kind: 'term', operator: undefined, value: word });
      }
    }
  }
  return tokens;
}

/** Gmail treats "/", "-", "_" and spaces alike in label names: label:work-projects finds Work/Projects. */
function normalizeLabel(name: string): string {
  return name.toLowerCase().replace(/[\s/_-]+/g, '-');
}

const LABEL_IDS_BY_NAME = new Map<string, string>();
for (const label of MAILBOX_LABELS) {
  LABEL_IDS_BY_NAME.set(normalizeLabel(label.id), label.id);
  LABEL_IDS_BY_NAME.set(normalizeLabel(label.name), label.id);
}

const hasLabel =
  (id: string) =>
  (m: SearchableMessage): boolean =>
    m.message.labelIds.includes(id);
const never = (): boolean => false;
const always = (): boolean => true;

const IS_TESTS: Record<string, (m: SearchableMessage) => boolean> = {
  unread: hasLabel('UNREAD'),
  read: (m) => !m.message.labelIds.includes('UNREAD'),
  starred: hasLabel('STARRED'),
  important: hasLabel('IMPORTANT'),
};
const IN_TESTS: Record<string, (m: SearchableMessage) => boolean> = {
  inbox: hasLabel('INBOX'),
  spam: hasLabel('SPAM'),
  trash: hasLabel('TRASH'),
  sent: hasLabel('SENT'),
  anywhere: always,
};

/** YYYY/MM/DD, YYYY-MM-DD (UTC midnight) or epoch seconds → ms. */
function parseDate(value: string): number {
  if (/^\d+$/.test(value) && value.length > 8) return Number(value) * 1000;
  const match = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(value);
  if (!match) throw new QuerySyntaxError(`not a date: ${value}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  if (month < 1 || month > 12 || day < 1 || day > 31 || new Date(ms).getUTCDate() !== day) throw new QuerySyntaxError(`not a date: ${value}`);
  return ms;
}

const DAY_MS = 24 * 3600 * 1000;
const AGE_UNITS_MS: Record<string, number> = { h: 3600 * 1000, d: DAY_MS, m: 30 * DAY_MS, y: 365 * DAY_MS };

/** newer_than:/older_than: values such as 7d, 2m, 1y → ms. */
function parseAge(value: string): number {
  const match = /^(\d+)([hdmy])$/i.exec(value);
  if (!match) throw new QuerySyntaxError(`not an age: ${value}`);
  return Number(match[1]) * AGE_UNITS_MS[match[2]!.toLowerCase()]!;
}

function termNode(operator: string | undefined, rawValue: string): QueryNode {
  const value = rawValue.toLowerCase();
  const test = (fn: (m: SearchableMessage) => boolean, reachesSpamTrash = false): QueryNode => ({ kind: 'test', test: fn, reachesSpamTrash });
  switch (operator) {
    case undefined:
      return test((m) => m.text.includes(value));
    case 'from':
      return test((m) => m.from.includes(value));
    case 'to':
      return test((m) => m.to.includes(value));
    case 'subject':
      return test((m) => m.subject.includes(value));
    case 'is':
      return test(IS_TESTS[value] ?? never);
    case 'in':
      return test(IN_TESTS[value] ?? never, value === 'spam' || value === 'trash' || value === 'anywhere');
    case 'label': {
      const id = LABEL_IDS_BY_NAME.get(normalizeLabel(value));
      return test(id ? hasLabel(id) : never, id === 'SPAM' || id === 'TRASH');
    }
    case 'after': {
      const ms = parseDate(rawValue);
      return test((m) => m.message.internalDate >= ms);
    }
    case 'before': {
      const ms = parseDate(rawValue);
      return test((m) => m.message.internalDate < ms);
    }
    case 'newer_than': {
      const since = MAILBOX_NOW - parseAge(rawValue);
      return test((m) => m.message.internalDate > since);
    }
    case 'older_than': {
      const until = MAILBOX_NOW - parseAge(rawValue);
      return test((m) => m.message.internalDate < until);
    }
    default:
      throw new QuerySyntaxError(`unknown operator ${operator}`);
  }
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): QueryNode {
    const node = this.parseAnd();
    if (this.position < this.tokens.length) throw new QuerySyntaxError('unbalanced parenthesis');
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private parseAnd(): QueryNode {
    const children: QueryNode[] = [];
    for (let token = this.peek(); token && token.kind !== ')'; token = this.peek()) children.push(this.parseOr());
    if (children.length === 0) throw new QuerySyntaxError('empty group');
    return children.length === 1 ? children[0]! : { kind: 'and', children };
  }

  private parseOr(): QueryNode {
    const children = [this.parseUnary()];
    while (this.peek()?.kind === 'OR') {
      this.position++;
      children.push(this.parseUnary());
    }
    return children.length === 1 ? children[0]! : { kind: 'or', children };
  }

  private parseUnary(): QueryNode {
    const token = this.tokens[this.position++];
    if (!token) throw new QuerySyntaxError('query ends too early');
    switch (token.kind) {
      case '-':
        return { kind: 'not', child: this.parseUnary() };
      case '(': {
        const inner = this.parseAnd();
        if (this.tokens[this.position++]?.kind !== ')') throw new QuerySyntaxError('unbalanced parenthesis');
        return inner;
      }
      case 'term':
        return termNode(token.operator, token.value);
      default:
        throw new QuerySyntaxError(`unexpected ${token.kind}`);
    }
  }
}

/** Parses a Gmail query; undefined for a blank one (which matches everything). */
export function parseQuery(query: string): QueryNode | undefined {
  const tokens = tokenize(query);
  return tokens.length === 0 ? undefined : new Parser(tokens).parseAll();
}

export function matches(node: QueryNode, message: SearchableMessage): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => matches(child, message));
    case 'or':
      return node.children.some((child) => matches(child, message));
    case 'not':
      return !matches(node.child, message);
    case 'test':
      return node.test(message);
  }
}

/** Whether a positive term names spam or trash, which (as in Gmail) lifts their exclusion. */
export function reachesSpamTrash(node: QueryNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.some(reachesSpamTrash);
    case 'not':
      return false;
    case 'test':
      return node.reachesSpamTrash;
  }
}
