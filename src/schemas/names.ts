/**
 * The objects whose JSON Schemas gmailctl publishes, named for the command (and mode) that
 * prints them. Apart from objects.ts so that help and completion know them without loading zod.
 */
export const SCHEMA_NAMES = ['list', 'list-threads', 'show', 'thread', 'labels'] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** What each schema describes, for `gmailctl schema --help`. */
export const SCHEMA_SUBJECTS: Record<SchemaName, string> = {
  list: 'a message as `list --format json|ndjson` prints it',
  'list-threads': 'a conversation as `list --threads --format json|ndjson` prints it (and MCP search_threads answers it)',
  show: 'a whole message as `show --format json|ndjson` prints it',
  thread: 'a conversation as `thread --format json|ndjson` prints it',
  labels: 'a label as `labels --format json|ndjson` prints it',
};
