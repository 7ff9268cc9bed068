/**
 * The JSON objects that `labels`, `list --threads` and `thread` print. Declared once, with
 * their published JSON Schemas (`gmailctl schema NAME`, the MCP tools' output schemas), in
 * src/schemas/objects.ts; re-exported here for the writers. (`list`'s message object is
 * MessageSummary, `show`'s ShownMessage: the same source.)
 */
export type { LabelObject, ThreadObject, ThreadSummary } from '../schemas/objects.js';
