/**
 * The JSON objects gmailctl prints, declared once. Each is a zod schema: the TypeScript types
 * the code uses are inferred from it (`z.infer`, imported type-only, so printing a message
 * never loads zod), and the JSON Schemas that `gmailctl schema NAME` prints, that the package
 * ships in dist/schemas/, and that the MCP tools publish as output schemas are generated from
 * it. A field documented here is documented everywhere.
 *
 * Loaded at run time only inside the MCP bundle (src/libraries/mcp.ts): zod is never part of
 * the app that `list` or `show` start.
 */
import { z } from 'zod';
import type { SchemaName } from './names.js';

/** A header's value as a string; "" when the message has none. */
const header = (description: string) => z.string().describe(`${description}; "" when absent.`);

/** A whole number of things (bytes, messages). */
const count = (description: string) => z.number().int().min(0).describe(description);

/** One of a label's counts, which `labels --no-counts` leaves out. */
const labelCount = (description: string) => z.number().int().min(0).optional().describe(`${description} (absent with --no-counts).`);

const isoDate = z
  .string()
  .describe('When Gmail received the message: ISO 8601 UTC from its internalDate ("2026-01-31T09:15:00.000Z"); "" when only ids were fetched.');

export const messageSummarySchema = z
  .object({
    id: z.string().describe("Gmail's message id."),
    threadId: z.string().describe("The id of the conversation the message belongs to."),
    labelIds: z.array(z.string()).describe('Label ids (INBOX, UNREAD, Label_12…).'),
    date: isoDate,
    from: header('The From header as sent'),
    to: header('The To header as sent'),
    subject: header('The Subject header'),
    snippet: z.string().describe("Gmail's short extract of the body, HTML entities decoded."),
  })
  .describe('A message as `gmailctl list` prints it in JSON and NDJSON.');

const attachmentSummarySchema = z
  .object({
    filename: z.string().describe('As the message names it (decoded); "" when it names none.'),
    mimeType: z.string().describe('Lowercased, without parameters.'),
    size: count('Decoded size in bytes (the bytes --save-attachments saves).'),
    disposition: z.enum(['attachment', 'inline']).describe('"inline" when the part says so (an image the HTML shows), else "attachment".'),
    contentId: z.string().describe('The Content-ID without its angle brackets; "" when the part has none.'),
    partId: z.string().describe('Gmail\'s number for the part ("1", "1.2"): stable across calls, the same as in format=full.'),
  })
  .describe('One attachment of a message.');

export const shownMessageSchema = messageSummarySchema
  .extend({
    from: header('The first From address, decoded ("Ann Example <ann@example.com>")'),
    to: header('The To addresses, decoded, comma-separated'),
    subject: header('The Subject header, decoded'),
    cc: header('The Cc header, decoded'),
    bcc: header('The Bcc header, decoded'),
    replyTo: header('The Reply-To header, decoded'),
    messageId: header('The Message-ID header, angle brackets included'),
    text: z.string().describe('The body as text: the text/plain part when it is a real one, else the HTML as text.'),
    textSource: z.enum(['text/plain', 'text/html', 'none']).describe('Where `text` came from.'),
    html: z.string().describe('The text/html parts, in order, line ends as sent; "" when none.'),
    attachments: z.array(attachmentSummarySchema).describe('Every attachment, inline and empty ones included.'),
    truncated: z.boolean().optional().describe('Only in `gmailctl mcp` answers: whether text or html was cut to max_body_chars.'),
  })
  .describe('A whole message as `gmailctl show --format json|ndjson` prints it: the list\'s message object plus the headers and bodies a reader needs.');

export const labelSchema = z
  .object({
    id: z.string().describe("Gmail's immutable id: INBOX, CATEGORY_UPDATES, Label_12."),
    name: z.string().describe('The name people see; for a system label, its id.'),
    type: z.enum(['system', 'user']).describe('"system" (Gmail\'s own) or "user".'),
    messagesTotal: labelCount('Messages with the label'),
    messagesUnread: labelCount('Unread messages with the label'),
    threadsTotal: labelCount('Conversations with a message with the label'),
    threadsUnread: labelCount('Conversations with an unread message with the label'),
  })
  .describe('A label as `gmailctl labels` prints it in JSON and NDJSON.');

export const threadSummarySchema = z
  .object({
    id: z.string().describe("Gmail's thread id."),
    historyId: z.string().describe('The id of the last change to the thread: it changes whenever the thread does.'),
    messageCount: count('How many messages the thread holds.'),
    date: z.string().describe("The newest message's date: ISO 8601 UTC, from its internalDate."),
    from: z.string().describe("The newest message's From header."),
    subject: z.string().describe('The first message\'s Subject header; "" when it has none.'),
    snippet: z.string().describe("Gmail's snippet of the newest message, HTML entities decoded."),
    labelIds: z.array(z.string()).describe('Every label of any of its messages, once each.'),
  })
  .describe('A conversation as `gmailctl list --threads` prints it in JSON and NDJSON (and the MCP tool search_threads answers it).');

export const threadSchema = z
  .object({
    id: z.string().describe("Gmail's thread id."),
    historyId: z.string().describe('The id of the last change to the thread.'),
    messages: z.array(shownMessageSchema).describe('Every message, oldest first, each as `gmailctl show --json` prints it.'),
  })
  .describe('A whole conversation as `gmailctl thread --format json|ndjson` prints it.');

/** What `gmailctl schema NAME` prints: the name is the command (and mode) that prints the object. */
export const OBJECT_SCHEMAS = {
  list: messageSummarySchema,
  'list-threads': threadSummarySchema,
  show: shownMessageSchema,
  thread: threadSchema,
  labels: labelSchema,
} as const satisfies Record<SchemaName, z.ZodType>;

export type MessageSummary = z.infer<typeof messageSummarySchema>;
export type AttachmentSummary = z.infer<typeof attachmentSummarySchema>;
export type ShownMessage = z.infer<typeof shownMessageSchema>;
export type LabelObject = z.infer<typeof labelSchema>;
export type ThreadSummary = z.infer<typeof threadSummarySchema>;
export type ThreadObject = z.infer<typeof threadSchema>;

/** The JSON Schema (draft 2020-12) of an object, titled with its name. */
export function jsonSchemaOf(name: SchemaName): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(OBJECT_SCHEMAS[name], { target: 'draft-2020-12' });
  return { $schema, title: name, ...rest };
}
