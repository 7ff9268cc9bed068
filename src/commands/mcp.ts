/**
 * `gmailctl mcp`: a Model Context Protocol server on stdio for agents — JSON-RPC on stdin and
 * stdout, nothing else on stdout, diagnostics on stderr. Read-only by construction: the login
 * holds the gmail.readonly scope only, and no tool asks Google to change anything.
 *
 * The tools are the commands' use cases seen through one mailbox (one quota pacer for every
 * call, concurrent ones included) and the message cache; each answers the same objects the
 * commands print in JSON (src/schemas/), with every string from mail cleaned as for a
 * terminal (an agent's transcript is one) and bodies cut to `max_body_chars`.
 */
import type { Mailbox } from '../auth/mailbox.js';
import { GmailctlError } from '../basics/errors.js';
import type { IO } from '../basics/io.js';
import { redact } from '../basics/redact.js';
import { toSafeLines, toSingleLine } from '../basics/single-line.js';
import { packageVersion } from '../basics/version.js';
import type { LabelObject, MessageSummary, ShownMessage, ThreadObject, ThreadSummary } from '../schemas/objects.js';
import { createContext, type CommandContext, type ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount } from './options.js';

function defineMcp() {
  return newCommand('mcp', 'serve your Gmail to agents over the Model Context Protocol (stdio, read-only)', [
    'gmailctl mcp                                  # started by an MCP client, not by hand',
    'gmailctl mcp --account work@example.com',
    `npx @modelcontextprotocol/inspector --cli gmailctl mcp --method tools/list`,
  ]).option('--account <email>', 'account to serve (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount);
}

type McpFlags = ReturnType<ReturnType<typeof defineMcp>['opts']>;

export function mcpCommand(context: ContextSource) {
  return defineMcp().action((flags) => runMcp(context(), flags));
}

/** Defaults and bounds of the tools' inputs (the input schemas say them too). */
const MCP_LIMITS = {
  searchDefault: 25,
  searchMax: 500,
  readMaxIds: 20,
  bodyCharsDefault: 20_000,
} as const;

async function runMcp(context: CommandContext, flags: McpFlags): Promise<void> {
  const { io } = context;
  const [{ loadMcpLibraries }, tools] = await Promise.all([import('../libraries/load.js'), import('./mcp-tools.js')]);
  const { McpServer, StdioServerTransport, z, schemas } = await loadMcpLibraries();

  const server = new McpServer(
    { name: 'gmailctl', version: packageVersion() },
    {
      instructions:
        'Read-only access to one Gmail account. search_messages and search_threads take Gmail search syntax (from:, is:unread, newer_than:7d…); read_thread gives a whole conversation, sent replies included.',
    },
  );
  // The mailbox (session, Gmail client, pacer) is built on the first call and shared by every
  // later one. One that could not be built (no login yet) is built afresh on the next call, so
  // that a `gmailctl login` in another terminal is enough.
  let source = context;
  let opened: Promise<Mailbox> | undefined;
  const mailbox = async (): Promise<Mailbox> => {
    opened ??= source.mailbox(flags.account);
    try {
      return await opened;
    } catch (error) {
      opened = undefined;
      source = createContext(context);
      throw error;
    }
  };
  const bodyChars = z.number().int().min(1).max(10_000_000).optional().describe(`Cut each message's text and html to this many characters (default ${MCP_LIMITS.bodyCharsDefault}); "truncated" says whether it was cut.`);
  const search = {
    query: z.string().optional().describe('Gmail search, as in the search box: from:ann is:unread newer_than:7d.'),
    labels: z.array(z.string().min(1)).optional().describe('Only messages with every one of these labels, by id (INBOX, Label_12) or name (Receipts).'),
    max_results: z.number().int().min(1).max(MCP_LIMITS.searchMax).optional().describe(`At most this many results (default ${MCP_LIMITS.searchDefault}, at most ${MCP_LIMITS.searchMax}).`),
    include_spam_trash: z.boolean().optional().describe('Include SPAM and TRASH.'),
  };
  const searchQuery = (input: { query?: string | undefined; labels?: string[] | undefined; max_results?: number | undefined; include_spam_trash?: boolean | undefined }) => ({
    query: input.query,
    labels: input.labels ?? [],
    max: input.max_results ?? MCP_LIMITS.searchDefault,
    includeSpamTrash: input.include_spam_trash ?? false,
  });

  // The two searches differ in what they find and what they answer it as: messages or threads.
  const READ_ONLY = { readOnlyHint: true, openWorldHint: true };
  const searchTool = (name: string, title: string, description: string, key: 'messages' | 'threads', item: typeof schemas.messageSummarySchema | typeof schemas.threadSummarySchema, find: typeof tools.searchMessages | typeof tools.searchThreads) =>
    server.registerTool(
      name,
      { title, description, inputSchema: search, outputSchema: { [key]: z.array(item) }, annotations: READ_ONLY },
      answer(io, async (input) => ({ [key]: clean(await find(context, await mailbox(), searchQuery(input))) })),
    );
  searchTool(
    'search_messages',
    'Search messages',
    'Find messages with a Gmail search; newest first. Costs about 5 quota units per message (a list call and one metadata get each), less for messages the local cache knows.',
    'messages',
    schemas.messageSummarySchema,
    tools.searchMessages,
  );
  searchTool(
    'search_threads',
    'Search conversations',
    'Find conversations with a Gmail search; newest first; one entry per thread with its message count and the first subject. Costs 10 units per list call and per thread it has not seen change.',
    'threads',
    schemas.threadSummarySchema,
    tools.searchThreads,
  );
  server.registerTool(
    'read_messages',
    {
      title: 'Read messages',
      description: `Read whole messages by id: headers, the body as text, the attachments' names and sizes. One get per message (5 quota units; 20 under the 2026 quota).`,
      inputSchema: {
        ids: z.array(z.string().min(1)).min(1).max(MCP_LIMITS.readMaxIds).describe(`Message ids (from search_messages), 1 to ${MCP_LIMITS.readMaxIds}.`),
        max_body_chars: bodyChars,
      },
      outputSchema: { messages: z.array(schemas.shownMessageSchema) },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    answer(io, async (input) => ({
      messages: clean((await tools.readMessages(await mailbox(), input.ids)).map((message) => cutBodies(message, input.max_body_chars ?? MCP_LIMITS.bodyCharsDefault))),
    })),
  );
  server.registerTool(
    'read_thread',
    {
      title: 'Read a conversation',
      description: 'Read a whole conversation by thread id, every message oldest first (sent replies included), each as read_messages gives it. One threads.get for the thread (10 quota units; 40 under the 2026 quota, as Gmail does not publish it).',
      inputSchema: { id: z.string().min(1).describe('A thread id (threadId of a message, or id from search_threads).'), max_body_chars: bodyChars },
      outputSchema: schemas.threadSchema,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    answer(io, async (input) => {
      const thread = await tools.readThread(await mailbox(), input.id);
      const limit = input.max_body_chars ?? MCP_LIMITS.bodyCharsDefault;
      return clean({ ...thread, messages: thread.messages.map((message) => cutBodies(message, limit)) });
    }),
  );
  server.registerTool(
    'list_labels',
    {
      title: 'List labels',
      description: 'Every label, system labels first, then the user\'s by name, with message and conversation counts (total and unread). 1 quota unit per label for the counts (counts: false: one call).',
      inputSchema: { counts: z.boolean().optional().describe('Include the counts (default true).') },
      outputSchema: { labels: z.array(schemas.labelSchema) },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    answer(io, async (input) => ({ labels: clean(await tools.listLabels(await mailbox(), input.counts ?? true)) })),
  );

  const transport = new StdioServerTransport(io.stdin as NodeJS.ReadStream, io.stdout as NodeJS.WriteStream);
  const closed = new Promise<void>((resolve) => {
    io.stdin.once('end', resolve);
    io.stdin.once('close', resolve);
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await server.connect(transport);
  io.info(`gmailctl mcp: serving on stdio (read-only); end with Ctrl-D or by closing stdin.`);
  try {
    await closed;
  } finally {
    await server.close();
    // The mailbox was opened only if a tool was called.
    await opened?.then((open) => open.close(), () => undefined);
  }
  if (context.signal.aborted) throw context.signal.reason;
}

type ToolResult = { content: Array<{ type: 'text'; text: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };

/**
 * A tool's handler: the structured answer, the same JSON as text for clients that read only
 * text, and a failure as a tool result with `isError` and the command's own message (the
 * server never exits on one).
 */
function answer<I>(io: IO, handler: (input: I) => Promise<object>): (input: I) => Promise<ToolResult> {
  return async (input) => {
    try {
      const structured = (await handler(input)) as Record<string, unknown>;
      return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
    } catch (error) {
      const text = failureText(error);
      io.debug(`tool failed: ${text}`);
      return { content: [{ type: 'text', text }], isError: true };
    }
  };
}

/** What `report()` would print for a command, on one line or a few: the message, then the hint. */
function failureText(error: unknown): string {
  if (error instanceof GmailctlError) return toSafeLines(redact(error.hint ? `${error.message}\n${error.hint}` : error.message));
  return toSafeLines(redact(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`));
}

/** Bodies cut to `limit` characters; `truncated` says whether either was. */
function cutBodies(message: ShownMessage, limit: number): ShownMessage & { truncated: boolean } {
  const truncated = message.text.length > limit || message.html.length > limit;
  return { ...message, text: message.text.slice(0, limit), html: message.html.slice(0, limit), truncated };
}

/**
 * Every string cleaned of control and bidi characters as for a terminal; bodies (text, html)
 * keep their line breaks. Applied to whole answers, so no field from mail is missed.
 */
export function clean<T>(value: T): T {
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (typeof node === 'string') return key === 'text' || key === 'html' ? toSafeLines(node.replace(/\r\n?/g, '\n')) : toSingleLine(node);
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    return node;
  };
  return walk(value, undefined) as T;
}

export type { LabelObject, MessageSummary, ThreadObject, ThreadSummary };
