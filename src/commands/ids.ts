/**
 * The ids a command that reads by id (`show`, `thread`) takes: from its arguments, and from
 * stdin for `-` (one a line; a TSV line from `gmailctl list` gives its first field). Gmail's
 * message and thread ids are the same kind: hexadecimal (a thread's id is its first message's).
 */
import { UsageError } from '../basics/errors.js';
import type { IO } from '../basics/io.js';

/** Gmail's message and thread ids: hexadecimal, 16 digits for any message of the last decade. */
const GMAIL_ID = /^[0-9a-f]{1,16}$/i;

/** What the ids name, for the messages: `show` reads messages, `thread` threads. */
interface IdKind {
  /** "message" or "thread". */
  noun: 'message' | 'thread';
  /** The command, for the usage hints: "show". */
  command: string;
}

/** The ids from the arguments, and from stdin (one a line; the first field of a TSV line) for `-` or --stdin. */
export async function collectIds(io: IO, args: readonly string[], fromStdin: boolean, kind: IdKind = { noun: 'message', command: 'show' }): Promise<string[]> {
  const { noun, command } = kind;
  const readStdin = fromStdin || args.includes('-');
  const ids = args.filter((arg) => arg !== '-');
  if (readStdin) {
    const stdinIds = idsFromText(await readAll(io.stdin));
    if (stdinIds.length === 0) {
      throw new UsageError(`No ${noun} ids on stdin.`, { hint: `Pipe ids into it, one a line: gmailctl list -q '…'${noun === 'thread' ? ' --threads' : ''} --format ids | gmailctl ${command} -` });
    }
    ids.push(...stdinIds);
  }
  if (ids.length === 0) throw new UsageError(`No ${noun} id given.`, { hint: `Usage: gmailctl ${command} ID… (or - to read ids from stdin)` });
  const bad = ids.filter((id) => !GMAIL_ID.test(id));
  if (bad.length > 0) {
    const shown = bad.slice(0, 3).map((id) => JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id));
    throw new UsageError(`Not a Gmail ${noun} id: ${shown.join(', ')}${bad.length > 3 ? ` and ${bad.length - 3} more` : ''}.`, {
      hint: `${noun === 'thread' ? 'Thread' : 'Message'} ids are hexadecimal, as \`gmailctl list${noun === 'thread' ? ' --threads' : ''} --format ids\` prints them (the id in a Gmail web address is another kind).`,
    });
  }
  return ids;
}

/** One id a line; blank lines are skipped, and a TSV line (from `gmailctl list`) gives its first field. */
function idsFromText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s/)[0] ?? '')
    .filter((id) => id !== '');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
