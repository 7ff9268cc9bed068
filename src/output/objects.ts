/**
 * The JSON objects that `labels`, `list --threads` and `thread` print, declared once: the
 * commands print exactly these, and the published JSON Schemas (`gmailctl schema NAME`, the
 * MCP tools' output schemas) are generated from them. Field names are Gmail's where Gmail has
 * one. (`list`'s message object is MessageSummary, `show`'s is ShownMessage.)
 */
import type { ShownMessage } from './whole-messages.js';

/** A label as `gmailctl labels` prints it. The counts are absent with `--no-counts`. */
export interface LabelObject {
  /** Gmail's immutable id: INBOX, CATEGORY_UPDATES, Label_12. */
  id: string;
  /** The name people see; for a system label, its id. */
  name: string;
  /** "system" (Gmail's own) or "user". */
  type: 'system' | 'user';
  /** Messages with the label. */
  messagesTotal?: number;
  /** Unread messages with the label. */
  messagesUnread?: number;
  /** Conversations with a message with the label. */
  threadsTotal?: number;
  /** Conversations with an unread message with the label. */
  threadsUnread?: number;
}

/** A conversation as `gmailctl list --threads` prints it in JSON and NDJSON. */
export interface ThreadSummary {
  /** Gmail's thread id (hexadecimal, the id of its first message). */
  id: string;
  /** The id of the last change to the thread: it changes whenever the thread does. */
  historyId: string;
  /** How many messages the thread holds. */
  messageCount: number;
  /** The newest message's date: ISO 8601 UTC, from its internalDate. */
  date: string;
  /** The newest message's From header. */
  from: string;
  /** The first message's Subject header ("" when it has none). */
  subject: string;
  /** Gmail's snippet of the newest message, HTML entities decoded. */
  snippet: string;
  /** Every label of any of its messages, once each. */
  labelIds: string[];
}

/** A whole conversation as `gmailctl thread --format json|ndjson` prints it. */
export interface ThreadObject {
  /** Gmail's thread id. */
  id: string;
  /** The id of the last change to the thread. */
  historyId: string;
  /** Every message, oldest first, each as `show --json` prints it. */
  messages: ShownMessage[];
}
