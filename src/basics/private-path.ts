/**
 * The rules for gmailctl's own files and directories (tokens.json and its directory,
 * config.json, the message cache), as ssh's StrictModes applies them: looked at with lstat,
 * so a symbolic link is refused rather than followed into someone else's directory; it must
 * belong to the current user (gmailctl never chowns, so a file of another user stays theirs
 * and is refused); and no one else may write it — nor read it, when it holds secrets or mail.
 * One set of rules (`judge`), whether the caller refuses (checkPrivatePath) or goes on
 * without the file (inspectPathSync, for the message cache).
 */
import { lstatSync, type Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';

type PrivateKind = 'file' | 'directory';

export interface PathRule {
  kind: PrivateKind;
  /** A file that holds no secret (config.json): others may read it, but never write it. */
  othersMayRead?: boolean;
  /** What to do with a link, another user's entry or an entry of the wrong kind. */
  replaceHint: string;
  /** Said after the chmod that fixes a loose mode (tokens.json: consider them leaked). */
  afterChmod?: string;
}

/** What is wrong, as "the file is a symbolic link", and how to fix it. */
interface PathProblem {
  what: string;
  hint: string;
}

interface Inspection {
  exists: boolean;
  problem?: PathProblem;
}

/** Builds the error to throw, from what is wrong and what to do; each store has its own error class. */
type Refusal = (message: string, hint: string) => Error;

/** Whether `target` exists; throws `refuse(…)` when it exists but breaks `rule`. */
export async function checkPrivatePath(target: string, rule: PathRule, refuse: Refusal): Promise<boolean> {
  const { exists, problem } = await inspectPath(target, rule);
  if (problem) throw refuse(`Refusing to use ${target}: ${problem.what}.`, problem.hint);
  return exists;
}

async function inspectPath(target: string, rule: PathRule): Promise<Inspection> {
  if (process.platform === 'win32') return { exists: true }; // modes and owners mean nothing there; ACLs protect the profile
  return lstat(target).then(
    (stats) => ({ exists: true, ...problemOf(target, stats, rule) }),
    (error: NodeJS.ErrnoException) => unreadable(target, error),
  );
}

export function inspectPathSync(target: string, rule: PathRule): Inspection {
  if (process.platform === 'win32') return { exists: true };
  try {
    return { exists: true, ...problemOf(target, lstatSync(target), rule) };
  } catch (error) {
    return unreadable(target, error as NodeJS.ErrnoException);
  }
}

/**
 * The same rules on stats the caller took: lstat of a path, or fstat of a file it opened with
 * O_NOFOLLOW (then what was judged is what is read, even if the path is swapped after the open).
 */
export function problemWith(target: string, stats: Stats, rule: PathRule): PathProblem | undefined {
  if (process.platform === 'win32') return undefined;
  return judge(target, stats, rule, process.getuid?.());
}

function problemOf(target: string, stats: Stats, rule: PathRule): { problem?: PathProblem } {
  const problem = judge(target, stats, rule, process.getuid?.());
  return problem ? { problem } : {};
}

function unreadable(target: string, error: NodeJS.ErrnoException): Inspection {
  if (error.code === 'ENOENT') return { exists: false };
  return { exists: true, problem: { what: `it cannot be read (${error.message})`, hint: 'Check the permissions of the path.' } };
}

/** The rules themselves, on what lstat said. */
function judge(target: string, stats: Pick<Stats, 'mode' | 'uid' | 'isSymbolicLink' | 'isFile' | 'isDirectory'>, rule: PathRule, uid: number | undefined): PathProblem | undefined {
  const { kind } = rule;
  const replace = { hint: rule.replaceHint };
  if (stats.isSymbolicLink()) return { what: `the ${kind} is a symbolic link`, ...replace };
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) return { what: `it is not a ${kind}`, ...replace };
  if (uid !== undefined && stats.uid !== uid) return { what: `the ${kind} belongs to another user (uid ${stats.uid})`, ...replace };
  const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
  const chmod = (mode: string): string => `Run: chmod ${mode} '${target}'${rule.afterChmod ? `  ${rule.afterChmod}` : ''}`;
  if (rule.othersMayRead) {
    return (stats.mode & 0o022) !== 0 ? { what: `the ${kind} is writable by others (mode ${octal})`, hint: chmod('go-w') } : undefined;
  }
  if ((stats.mode & 0o077) === 0) return undefined;
  const access = (stats.mode & 0o044) !== 0 ? 'readable' : (stats.mode & 0o022) !== 0 ? 'writable' : 'usable';
  return { what: `the ${kind} is open to other users: ${access} by others (mode ${octal})`, hint: chmod(kind === 'file' ? '600' : '700') };
}
