/**
 * The set-up that e2e files share: one emulator for the whole file (started before its first
 * test, closed after its last) and the sandboxes its tests make (each removed after its test).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js';
import { createSandbox, type Sandbox, type SandboxOptions } from './sandbox.js';

/**
 * Registers the file's hooks and answers the file's `sandbox()`. `started` receives the
 * emulator once it runs (for the file's own `emulator` variable); `defaults` apply to every
 * sandbox unless a call overrides them.
 */
export function useEmulator(
  options: EmulatorOptions,
  started: (emulator: Emulator) => void,
  defaults: SandboxOptions = {},
): (overrides?: SandboxOptions) => Promise<Sandbox> {
  let emulator: Emulator | undefined;
  const made: Sandbox[] = [];
  beforeAll(async () => {
    emulator = await startEmulator(options);
    started(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(async () => {
    await Promise.all(made.splice(0).map((s) => s.cleanup()));
  });
  return async (overrides = {}) => {
    if (!emulator) throw new Error('a sandbox is made in a test, once the emulator runs');
    const s = await createSandbox(emulator, { ...defaults, ...overrides });
    made.push(s);
    return s;
  };
}
