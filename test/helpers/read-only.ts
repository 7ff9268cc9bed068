/**
 * A directory made read-only the way a full or read-only disk is: a read-only bind mount of
 * it on itself. Mode bits would not do: the tests run as root on CI, and root ignores them.
 * Needs root (CI runs as root); elsewhere the tests that need it are skipped with a notice,
 * and on CI (CI=true) they fail instead.
 */
import { execa } from 'execa';
import { afterEach } from 'vitest';

const inCI = process.env.CI === 'true';

/** Whether read-only bind mounts can be made here (root, and mount allowed). */
export const canMountReadOnly = await (async () => {
  if (process.getuid?.() !== 0) return false;
  return (await execa('sh', ['-c', 'command -v mount && command -v umount'], { reject: false })).exitCode === 0;
})();

if (!canMountReadOnly && !inCI) console.warn('notice: not root (or no mount): the tests on read-only directories are skipped');

/** Whether the read-only tests run: always on CI (where they fail if they cannot mount). */
export const runReadOnlyTests = canMountReadOnly || inCI;

/** Makes `dir` read-only in place; the answer undoes it (idempotent). */
export async function makeReadOnly(dir: string): Promise<() => Promise<void>> {
  await execa('mount', ['--bind', dir, dir]);
  let mounted = true;
  const undo = async (): Promise<void> => {
    if (!mounted) return;
    mounted = false;
    await execa('umount', [dir]);
  };
  try {
    await execa('mount', ['-o', 'remount,bind,ro', dir]);
  } catch (error) {
    await undo();
    throw error;
  }
  return undo;
}

/**
 * Registers an afterEach that undoes, after each test, the mounts it made; answers the
 * function a test makes a directory read-only with (its answer undoes it sooner). Call it
 * after useEmulator(): hooks run in reverse order, so the mounts go before the sandboxes'
 * directories are removed.
 */
export function readOnlyMounts(): (dir: string) => Promise<() => Promise<void>> {
  const made: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const undo of made.splice(0).reverse()) await undo();
  });
  return async (dir) => {
    const undo = await makeReadOnly(dir);
    made.push(undo);
    return undo;
  };
}
