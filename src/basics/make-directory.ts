/**
 * mkdir -p with mode 0700, one level at a time. Not Node's { recursive: true }: on Node 20 that
 * answers ENOENT for a directory it cannot create on a read-only file system (the real reason,
 * EROFS, is lost: "ENOENT: no such file or directory, mkdir …" for a path the user just named),
 * and it never returns for a path under /proc. Each level here reports its own error.
 */
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Levels above the directory that may be missing, at most: a guard against a runaway path. */
const MAX_DEPTH = 32;

export async function makeDirectory(dir: string, depth = 0): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || depth >= MAX_DEPTH) throw error;
    await makeDirectory(parent, depth + 1);
    await mkdir(dir, { mode: 0o700 }).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

export function makeDirectorySync(dir: string, depth = 0): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || depth >= MAX_DEPTH) throw error;
    makeDirectorySync(parent, depth + 1);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}

/**
 * Why a path could not be made or written, for people, from the error Node gave: the end of a
 * sentence that starts with the path ("/mnt/x is on a read-only file system").
 */
export function unwritableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EROFS':
      return 'is on a read-only file system';
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not writable (permission denied)';
    case 'ENOSPC':
      return 'is on a full disk';
    case 'EDQUOT':
      return 'is over its disk quota';
    default:
      return `cannot be written (${code ?? (error as Error).message})`;
  }
}
