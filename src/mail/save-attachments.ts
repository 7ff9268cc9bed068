/**
 * `show --save-attachments DIR`: each attachment in DIR under a name made safe (no path,
 * no control or bidi characters, no leading dot, not too long), unique within the run,
 * mode 0600. An existing file is never replaced without --force, and the file is created
 * with O_EXCL so that a symlink planted in DIR is not followed.
 */
import { constants } from 'node:fs';
import { access, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GmailctlError } from '../basics/errors.js';
import { makeDirectory, unwritableReason } from '../basics/make-directory.js';
import { checkPrivatePath, type PathRule } from '../basics/private-path.js';

interface AttachmentToSave {
  messageId: string;
  filename: string;
  mimeType: string;
  content: Uint8Array;
}

type SaveOutcome =
  | { kind: 'saved'; path: string; from: AttachmentToSave }
  | { kind: 'exists'; path: string; from: AttachmentToSave };

/** File names that stay within 255 bytes with room for a " (2)" suffix. */
const MAX_NAME_BYTES = 200;
const EXTENSIONS: Record<string, string> = {
  'application/pdf': '.pdf',
  'text/plain': '.txt',
  'text/html': '.html',
  'text/csv': '.csv',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'application/zip': '.zip',
  'message/rfc822': '.eml',
};

/**
 * A file name that names a file in DIR and nothing else: the last component of whatever
 * path the sender wrote, without control, bidi or reserved characters, without leading
 * dots, cut to a length every file system takes. An empty result becomes
 * `attachment-<message id>-<n>` with an extension from the MIME type.
 */
export function safeFileName(filename: string, fallback: { messageId: string; index: number; mimeType: string }): string {
  const last = filename.split(/[/\\]/).pop() ?? '';
  let name = last
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (name === '') name = `attachment-${fallback.messageId}-${fallback.index + 1}${EXTENSIONS[fallback.mimeType] ?? '.bin'}`;
  return truncateBytes(name, MAX_NAME_BYTES);
}

/** Cuts before the extension so that it stays, never in the middle of a character. */
function truncateBytes(name: string, max: number): string {
  if (Buffer.byteLength(name) <= max) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  let stem = name.slice(0, name.length - extension.length);
  while (Buffer.byteLength(stem + extension) > max) stem = Array.from(stem).slice(0, -1).join('');
  return stem + extension;
}

/** "report.pdf" → "report (2).pdf". */
function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** Names unique within one run: two "report.pdf" become "report.pdf" and "report (2).pdf". */
export class NameAllocator {
  private readonly taken = new Set<string>();

  allocate(name: string): string {
    let candidate = name;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) candidate = numbered(name, n);
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}

/** Writes one attachment; an existing file is replaced only with `force`. */
export async function saveAttachment(dir: string, name: string, attachment: AttachmentToSave, force: boolean): Promise<SaveOutcome> {
  await makeDirectory(dir);
  const target = path.join(dir, name);
  if (force) await unlink(target).catch(() => undefined);
  let handle;
  try {
    handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { kind: 'exists', path: target, from: attachment };
    throw error;
  }
  try {
    await handle.writeFile(attachment.content);
  } finally {
    await handle.close();
  }
  return { kind: 'saved', path: target, from: attachment };
}

/** DIR of --save-attachments: as every directory of ours, not a link, ours, and writable by no one else. */
const SAVE_DIR_RULE: PathRule = {
  kind: 'directory',
  othersMayRead: true,
  replaceHint: 'Save into a directory of your own that only you can write (it is created, mode 0700, when missing).',
};

/**
 * Makes DIR (mode 0700) when it is missing, then refuses it when it is a symbolic link (the
 * files would land wherever it points: ~/.config/autostart/), belongs to another user, or
 * others can write it (they could swap the files or plant links). Answers the path to write in.
 */
const SAVE_HINT = 'Save into a directory you can write to (--save-attachments DIR).';

export async function prepareSaveDirectory(dir: string): Promise<string> {
  // Without a trailing slash: lstat("link/") would look at what the link points to.
  const resolved = path.resolve(dir);
  try {
    await makeDirectory(resolved);
  } catch (error) {
    const failed = (error as NodeJS.ErrnoException).path ?? resolved;
    throw new GmailctlError(`Cannot create ${resolved} for the attachments: ${failed} ${unwritableReason(error)}.`, { hint: SAVE_HINT, cause: error });
  }
  await checkPrivatePath(resolved, SAVE_DIR_RULE, (message, hint) => new GmailctlError(message, { hint }));
  // Checked before anything is fetched or printed: a read-only disk stops the command first.
  try {
    await access(resolved, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new GmailctlError(`Cannot save attachments into ${resolved}: it ${unwritableReason(error)}.`, { hint: SAVE_HINT, cause: error });
  }
  return resolved;
}
