/**
 * `list --follow` figures (issue 26): the built CLI follows a query against the emulator at
 * the default interval (30 s) — first idle, then with a matching message added every second
 * — and we read what it costs and how it behaves: quota units an hour when idle (target 240:
 * one history.list of 2 units a poll), latency from a message's arrival to its line on stdout
 * (target: at most one interval + 2 s), and RSS at the start and the end of the load (target:
 * drift under 5 MB). BENCH_FOLLOW_IDLE_S and BENCH_FOLLOW_LOAD_S shorten or lengthen the phases.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import { gmailMethodOf } from '../emulator/gmail.js';
import { methodCost } from '../emulator/index.js';
import { benchWithLogin, CLI, fmt, problem } from './lib.js';

export interface FollowFigure {
  name: string;
  measured: string;
  target: string;
  met: boolean;
}

const INTERVAL_S = 30;
const SUBJECT = 'Bench follow';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The resident set of a process, from /proc (Linux), in MB. */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return kb / 1024;
}

interface MemoryParts {
  /** Anonymous memory outside malloc's arenas: mostly V8's heap pages. */
  v8: number;
  /** The main thread's malloc heap ([heap]). */
  mainMalloc: number;
  /** glibc's per-thread malloc arenas (64 MB-aligned anonymous regions): where worker threads allocate. */
  threadArenas: number;
  /** Pages of the node binary and the libraries, mapped from files. */
  files: number;
}

/**
 * Where a process's resident memory sits, from /proc/PID/smaps (Linux, glibc), in MB: a
 * climb in threadArenas is native memory of worker threads (V8's optimizing compiler was
 * one), a climb in v8 the JavaScript heap.
 */
async function memoryParts(pid: number): Promise<MemoryParts> {
  const ARENA = 64n << 20n;
  const parts: MemoryParts = { v8: 0, mainMalloc: 0, threadArenas: 0, files: 0 };
  const mappings: Array<{ start: bigint; end: bigint; perms: string; file: boolean; name: string; rssKb: number }> = [];
  for (const line of (await readFile(`/proc/${pid}/smaps`, 'utf8')).split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) mappings.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3]!, file: head[4] !== '0', name: head[5]!, rssKb: 0 });
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && mappings.length > 0) mappings.at(-1)!.rssKb = Number(rss[1]);
  }
  mappings.forEach((m, i) => {
    const next = mappings[i + 1];
    // An arena's heap: a read-write start at a 64 MB boundary, reserved (---p) to 64 MB.
    const reservedTo = next && next.start === m.end && next.perms === '---p' ? next.end : m.end;
    if (m.name === '[heap]') parts.mainMalloc += m.rssKb;
    else if (m.file || m.name !== '') parts.files += m.rssKb;
    else if (m.start % ARENA === 0n && m.perms.startsWith('rw') && reservedTo - m.start === ARENA) parts.threadArenas += m.rssKb;
    else parts.v8 += m.rssKb;
  });
  return { v8: parts.v8 / 1024, mainMalloc: parts.mainMalloc / 1024, threadArenas: parts.threadArenas / 1024, files: parts.files / 1024 };
}

function formatParts(parts: MemoryParts): string {
  return `V8 heap ${fmt(parts.v8)}, main malloc ${fmt(parts.mainMalloc)}, thread arenas ${fmt(parts.threadArenas)}, files ${fmt(parts.files)}`;
}

/** The least-squares slope of samples taken every `everySeconds`, in units per minute. */
function slopePerMinute(samples: readonly number[], everySeconds: number): number {
  if (samples.length < 2) return Number.NaN;
  const xs = samples.map((_, i) => (i * everySeconds) / 60);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = samples.reduce((a, b) => a + b, 0) / samples.length;
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * (samples[i]! - my), 0);
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return num / den;
}

export async function followFigures(say: (line?: string) => void): Promise<FollowFigure[]> {
  const idleSeconds = Number(process.env.BENCH_FOLLOW_IDLE_S ?? 90);
  const loadSeconds = Number(process.env.BENCH_FOLLOW_LOAD_S ?? 180);
  const bench = await benchWithLogin({ accounts: ['bench@example.com'], messages: 500 });
  const { emulator, sandbox } = bench;
  const child = execa(process.execPath, [CLI, 'list', '-q', `subject:"${SUBJECT.toLowerCase()}"`, '--follow', '--format', 'ids'], {
    env: sandbox.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const lineAt = new Map<string, number>();
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const now = performance.now();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line) lineAt.set(line, now);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const historyCalls = () => emulator.requests.filter((r) => gmailMethodOf(r.path) === 'history.list').length;
  try {
    for (const deadline = Date.now() + 30_000; historyCalls() === 0; await sleep(100)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`following never began: ${stderr.trim()}`);
    }

    // Idle: what each interval costs with no new mail.
    emulator.clearRequests();
    const idleStarted = performance.now();
    await sleep(idleSeconds * 1000);
    const idleElapsedH = (performance.now() - idleStarted) / 3_600_000;
    const idleRequests = emulator.requests.filter((r) => gmailMethodOf(r.path) !== undefined);
    const idle = idleRequests.map((r) => gmailMethodOf(r.path)!);
    const idleUnits = idle.reduce((sum, method) => sum + methodCost('legacy', method), 0);
    const idleOther = idle.filter((method) => method !== 'history.list');
    // Per hour from the polls' own spacing: a window's edges would round to whole polls.
    const pollTimes = idleRequests.filter((r) => gmailMethodOf(r.path) === 'history.list').map((r) => r.at);
    const spacingS = pollTimes.length > 1 ? (pollTimes.at(-1)! - pollTimes[0]!) / (pollTimes.length - 1) / 1000 : Number.NaN;
    const unitsPerHour = (idleUnits / Math.max(1, idle.length)) * (3600 / spacingS);
    say(
      `idle ${fmt(idleElapsedH * 3600, 0)} s at --interval ${INTERVAL_S}: ${idle.length} calls (${idleOther.length} other than history.list), ` +
        `${idleUnits} units, a poll every ${fmt(spacingS)} s → ${fmt(unitsPerHour, 0)} units/hour`,
    );

    // Load: a matching message every second.
    const rssStart = await rssMb(child.pid!);
    let rssPeak = rssStart;
    let rssWarm: number | undefined;
    let partsWarm: MemoryParts | undefined;
    /** RSS every 10 s of the load: a sawtooth is the garbage collector, a slope a leak. */
    const series: number[] = [];
    emulator.clearRequests();
    const arrivedAt = new Map<string, number>();
    for (let second = 0; second < loadSeconds; second++) {
      const [added] = emulator.addMessages(1, { subject: `${SUBJECT} ${second}` });
      arrivedAt.set(added!.id, performance.now());
      // Warm: the first new message has been through every code path (lazy imports, JIT).
      if (rssWarm === undefined && lineAt.size > 0) {
        rssWarm = await rssMb(child.pid!);
        partsWarm = await memoryParts(child.pid!);
      }
      if (second % 10 === 0) {
        const rss = await rssMb(child.pid!);
        series.push(rss);
        rssPeak = Math.max(rssPeak, rss);
      }
      await sleep(1000);
    }
    for (const deadline = Date.now() + (INTERVAL_S + 10) * 1000; [...arrivedAt.keys()].some((id) => !lineAt.has(id)) && Date.now() < deadline; ) await sleep(200);
    const rssEnd = await rssMb(child.pid!);
    rssPeak = Math.max(rssPeak, rssEnd);
    const missing = [...arrivedAt.keys()].filter((id) => !lineAt.has(id));
    if (missing.length > 0) problem(`follow: ${missing.length} of ${arrivedAt.size} new messages never printed`);
    const extra = [...lineAt.keys()].filter((id) => !arrivedAt.has(id));
    if (extra.length > 0) problem(`follow: ${extra.length} lines that were not new messages`);
    const latencies = [...arrivedAt].filter(([id]) => lineAt.has(id)).map(([id, at]) => (lineAt.get(id)! - at) / 1000).sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Number.NaN;
    const worst = latencies.at(-1) ?? Number.NaN;
    const calls = emulator.requests.map((r) => gmailMethodOf(r.path) ?? (r.path.startsWith('/batch') ? 'batch' : undefined)).filter(Boolean);
    const polls = calls.filter((method) => method === 'history.list').length;
    const lists = calls.filter((method) => method === 'messages.list').length;
    say(`load ${loadSeconds} s, a message a second: ${lineAt.size - extra.length} of ${arrivedAt.size} printed, each once; ${polls} polls, ${lists} messages.list, ${calls.length - polls - lists} metadata requests (batches and their parts)`);
    say(`latency arrival → line: median ${fmt(median)} s, worst ${fmt(worst)} s`);
    const drift = rssEnd - (rssWarm ?? rssStart);
    say(`RSS: ${fmt(rssStart)} MB idle before the load, ${fmt(rssWarm ?? Number.NaN)} MB once the first new message was printed (warm), ${fmt(rssEnd)} MB at the end (peak ${fmt(rssPeak)} MB): drift from warm ${fmt(drift)} MB`);
    const partsEnd = await memoryParts(child.pid!);
    if (partsWarm) say(`RSS by part (MB), warm: ${formatParts(partsWarm)}; end: ${formatParts(partsEnd)}`);
    say(`RSS every 10 s (MB): ${series.map((mb) => fmt(mb)).join(' ')}`);
    // Warm-up and the collector's sawtooth fill the first minutes; a leak keeps its slope to the end.
    const lateSlope = slopePerMinute(series.slice(Math.floor(series.length / 2)), 10);
    say(`RSS slope over the second half of the load: ${fmt(lateSlope, 2)} MB/min (least squares over ${series.length - Math.floor(series.length / 2)} samples)`);
    say(`load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    child.kill('SIGTERM');
    const ended = await child;
    if (ended.exitCode !== 143) problem(`follow: SIGTERM ended it with exit ${ended.exitCode}, not 143: ${stderr.trim()}`);
    if (lists > polls) problem(`follow: more list calls (${lists}) than polls (${polls})`);
    return [
      { name: 'follow: idle units/hour at --interval 30', measured: fmt(unitsPerHour, 0), target: '240', met: Math.round(unitsPerHour) <= 241 && idleOther.length === 0 },
      { name: 'follow: worst latency arrival → line', measured: `${fmt(worst)} s`, target: `≤ ${INTERVAL_S + 2} s`, met: worst <= INTERVAL_S + 2 },
      { name: `follow: RSS drift (warm → end) over ${loadSeconds} s of a message a second`, measured: `${fmt(drift)} MB`, target: '< 5 MB', met: drift < 5 },
    ];
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await child.catch(() => undefined);
    await bench.close();
  }
}
