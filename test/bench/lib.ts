/**
 * What the benchmark figures share: timed child processes, the emulator's clock in ours,
 * a logged-in sandbox, and small statistics. Every time here is performance.now() of the
 * benchmark process, in ms.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATCH_PATH, buildBatchBody, MAX_BATCH_PARTS, startEmulator, type Emulator, type EmulatorOptions } from '../emulator/index.js';
import { CLI, createSandbox, type Sandbox } from '../helpers/sandbox.js';

export { CLI };
export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const BARE_CLIENT = path.join(BENCH_DIR, 'bare-client.mjs');
export const QUICKSTART = path.join(BENCH_DIR, 'quickstart.mjs');

/** Something broke (not a slow figure): the benchmark exits non-zero at the end. */
export const problems: string[] = [];
export function problem(message: string): void {
  problems.push(message);
  process.stderr.write(`bench: PROBLEM: ${message}\n`);
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

export function list(values: number[], digits = 1): string {
  return values.map((v) => fmt(v, digits)).join(' ');
}

export interface TimedRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() just before spawn() and when the process closed (exited, stdio drained). */
  startedAt: number;
  endedAt: number;
  wallMs: number;
  stdout: string;
  /** Newlines seen on stdout (kept even when the text is not). */
  lines: number;
  stderr: string;
}

export interface TimedOptions {
  env?: Record<string, string>;
  /** Keep stdout's text (default true); false only counts its lines. */
  keepStdout?: boolean;
  timeoutMs?: number;
}

/** Runs a command with stdin closed, timing it from spawn() to close. */
export function timed(command: string, args: string[], options: TimedOptions = {}): Promise<TimedRun> {
  const keep = options.keepStdout ?? true;
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      if (keep) out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      const endedAt = performance.now();
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        startedAt,
        endedAt,
        wallMs: endedAt - startedAt,
        stdout: Buffer.concat(out).toString('utf8'),
        lines,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** A run that must succeed: a non-zero exit is recorded as a problem. */
export function checkRun(what: string, run: TimedRun): TimedRun {
  if (run.exitCode !== 0) problem(`${what} exited ${run.exitCode ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return run;
}

/** The built CLI, as a user runs it, in a sandbox's environment. */
export function gmailctl(sandbox: Sandbox, args: string[], options: Omit<TimedOptions, 'env'> & { env?: Record<string, string> } = {}): Promise<TimedRun> {
  return timed(process.execPath, [CLI, ...args], { ...options, env: { ...sandbox.env, ...options.env } });
}

/**
 * A cache directory of its own for one run: nothing remembered of the quota (src/cache/pace-memory.ts),
 * so that the run learns it cold. Pass its env to `gmailctl`.
 */
export async function freshCacheDir(sandbox: Sandbox): Promise<Record<string, string>> {
  const { mkdtemp } = await import('node:fs/promises');
  return { GMAILCTL_CACHE_DIR: await mkdtemp(path.join(sandbox.dir, 'cache-')) };
}

/**
 * An emulator, a sandbox logged in to it through the CLI (auto-approved consent, file token
 * store), and the emulator's clock converted into ours.
 */
export interface Bench {
  emulator: Emulator;
  sandbox: Sandbox;
  account: string;
  /** The access token the login stored (for the bare client, the drain and the quickstart peer). */
  accessToken: string;
  /** Whether the emulator was started strict (restored after a drain). */
  strict: boolean;
  /** Converts a recorded request's `at` (ms since the emulator's server started) into our clock. */
  toOurClock(at: number): number;
  /** ± this many ms: how tightly the calibration pinned the offset. */
  clockUncertaintyMs: number;
  close(): Promise<void>;
}

export async function benchWithLogin(options: EmulatorOptions, sandboxOptions: { cache?: boolean } = {}): Promise<Bench> {
  const emulator = await startEmulator(options);
  const sandbox = await createSandbox(emulator, { store: 'file', ...sandboxOptions });
  try {
    const login = await sandbox.login();
    if (login.exitCode !== 0) throw new Error(`login failed (exit ${login.exitCode}): ${login.stderr.trim()}`);
    const tokens = JSON.parse(await readFile(path.join(sandbox.configDir, 'tokens.json'), 'utf8')) as Record<string, unknown>;
    const [account, raw] = Object.entries(tokens)[0] ?? [];
    const stored = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { access_token?: string } | undefined;
    if (!account || !stored?.access_token) throw new Error('the login stored no access token');
    const clock = await calibrate(emulator);
    return {
      emulator,
      sandbox,
      account,
      accessToken: stored.access_token,
      strict: options.strict ?? false,
      toOurClock: (at) => at + clock.offset,
      clockUncertaintyMs: clock.uncertainty,
      async close() {
        await emulator.close();
        await sandbox.cleanup();
      },
    };
  } catch (error) {
    await emulator.close();
    await sandbox.cleanup();
    throw error;
  }
}

/**
 * The emulator records `at` as performance.now() minus its server's start, both in this
 * process; the start itself is not exposed. Requests of our own bracket it: a request sent
 * at t0 and answered at t1 and recorded at `at` gives offset ∈ [t0 − at, t1 − at].
 * (Figures that subtract two such times cancel the offset anyway.)
 */
async function calibrate(emulator: Emulator): Promise<{ offset: number; uncertainty: number }> {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    const marker = `/__bench_clock_${i}`;
    const t0 = performance.now();
    const response = await fetch(new URL(marker, emulator.url));
    await response.arrayBuffer();
    const t1 = performance.now();
    const recorded = emulator.requests.find((request) => request.path === marker);
    if (!recorded) throw new Error('the emulator did not record the calibration request');
    low = Math.max(low, t0 - recorded.at);
    high = Math.min(high, t1 - recorded.at);
  }
  emulator.clearRequests();
  return { offset: (low + high) / 2, uncertainty: (high - low) / 2 };
}

/**
 * Empties the emulator's quota bucket for the bench's account with gets of our own, in
 * batches of 100 charged part by part (strict mode is off while it drains: a per-minute
 * bucket holds 3,000 gets), until a part is refused: answers when (our clock) it was empty,
 * and how many gets it took. Quota must be on.
 */
export async function drainQuotaBucket(bench: Bench): Promise<{ emptyAt: number; drained: number }> {
  const ids = bench.emulator.mailbox().map((m) => m.id);
  bench.emulator.clearRequests();
  bench.emulator.setStrict(false);
  try {
    let drained = 0;
    for (let round = 0; round < 200; round++) {
      const parts = Array.from({ length: MAX_BATCH_PARTS }, (_, i) => ({
        path: `/gmail/v1/users/me/messages/${ids[(round * MAX_BATCH_PARTS + i) % ids.length]!}?format=minimal`,
      }));
      const response = await fetch(new URL(BATCH_PATH.slice(1), bench.emulator.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${bench.accessToken}`, 'content-type': 'multipart/mixed; boundary=batch_emulator_test' },
        body: buildBatchBody(parts),
      });
      await response.arrayBuffer();
      drained += bench.emulator.requests.filter((r) => r.batch && r.status === 200).length;
      const refused = bench.emulator.requests.find((r) => r.status === 429);
      if (refused) return { emptyAt: bench.toOurClock(refused.at), drained };
      bench.emulator.clearRequests();
    }
    throw new Error('could not drain the quota bucket');
  } finally {
    bench.emulator.setStrict(bench.strict);
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
