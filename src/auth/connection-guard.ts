/**
 * Which connections the login listener keeps when anyone on the machine can open as many as
 * they like (issue 23 item 4). The listener holds at most MAX_CONNECTIONS, so that a flood
 * cannot use up the process's file descriptors; past that, one must go, and it must not be
 * the browser's. (It used to drop the oldest connection that had sent nothing: with the
 * others each holding the start of a request, that was always the browser's, just opened.)
 *
 * What a browser does, and a flood cannot do without giving itself away: it connects and at
 * once sends its whole request head, `GET /oauth2callback?…`, in one write (well under the
 * 8 KiB that arrive in one piece over loopback). So:
 *
 * - A request whose first bytes are not `GET <callback path>` followed by `?` or a space is
 *   not the browser's answer: unless its head is already complete (the server then answers
 *   404 or 405, as the spec says), it is dropped at once.
 * - A request head is given HEAD_TIMEOUT_MS from its first byte to be complete, full or not.
 * - A connection whose head is complete is being answered: it is never dropped.
 * - When the listener is full: first a partial request (one that has sent some of a head
 *   but not all of it), the one that started first — those older than STALE_MS surely are no
 *   browser's, and a browser's head arrives whole. Then a silent connection of the source
 *   holding the most connections (a flood comes from one place): one silent for longer than
 *   STALE_MS first (a browser may open a connection ahead and leave it idle, but it opens
 *   another when that one is closed), else its oldest. Never the connection just accepted,
 *   which has not had time to speak.
 *
 * What does not hold: "source" is the peer's address, and over loopback nearly every peer
 * is 127.0.0.1, so a flood of silent connections from there is told from the browser's by
 * age alone. The browser's connection then lives until MAX_CONNECTIONS newer ones have
 * arrived, and is safe if it sends its request before (measured: at least 30 ms, 37 for 9 in
 * 10, against a flood of 72 that reopens each dropped connection within 5 ms; headless
 * Chromium's request head was complete 2 to 14 ms after its connection was accepted, 14 the
 * first time: a thin margin). Telling local users apart (the uid of a peer) would need /proc/net/tcp, which
 * took 20 ms a read on a busy machine: too slow for every drop.
 *
 * The first time the listener has to drop a connection to make room, or once it has dropped
 * as many as it can hold for the reasons above, it tells the login, once (a warning:
 * something on this machine is flooding it), and keeps waiting for the browser.
 */
import type { Socket } from 'node:net';

/**
 * Connections held open at once: a browser opens a handful. Enough file descriptors stay free
 * under `ulimit -n 128`; the more there are, the longer a new connection survives a flood of
 * silent ones (see below: 32 gave it at least 17 ms, 64 at least 30).
 */
export const MAX_CONNECTIONS = 64;
/** A browser's request head arrives well within this of its first byte. */
export const STALE_MS = 1_000;
/** A head not complete this long after its first byte is dropped, full or not. */
const HEAD_TIMEOUT_MS = 3_000;

/** What the guard knows of one connection. */
export interface ConnectionFacts {
  /** When it was accepted (ms, monotonic). */
  openedAt: number;
  /** When its first byte arrived; undefined while it is silent. */
  firstByteAt: number | undefined;
  /** Its request head is complete: the server is answering it. */
  answering: boolean;
  /** Where it comes from (the peer's address). */
  source: string;
}

/**
 * The connection to drop when the listener is full (pure: the facts and the time passed in),
 * or undefined when every one is being answered. Candidates in `connections` are in the
 * order they were accepted.
 */
export function connectionToDrop<T extends ConnectionFacts>(connections: readonly T[], now: number): T | undefined {
  const candidates = connections.filter((c) => !c.answering);
  // 1. A partial request, the one that started first: those older than STALE_MS are surely
  //    not the browser's, and the younger ones hardly (its head arrives whole).
  const partial = candidates.filter((c) => c.firstByteAt !== undefined);
  if (partial.length > 0) return partial.reduce((a, b) => ((b.firstByteAt ?? 0) < (a.firstByteAt ?? 0) ? b : a));
  // 2. A silent one of the source holding the most connections (the first accepted wins a tie).
  const counts = new Map<string, number>();
  for (const c of candidates) counts.set(c.source, (counts.get(c.source) ?? 0) + 1);
  let busiest: string | undefined;
  for (const [source, count] of counts) if (busiest === undefined || count > (counts.get(busiest) ?? 0)) busiest = source;
  const fromBusiest = candidates.filter((c) => c.source === busiest);
  // 3. Within it, one silent for longer than a browser takes to speak, else the oldest.
  return fromBusiest.find((c) => now - c.openedAt > STALE_MS) ?? fromBusiest[0];
}

/** Whether the first bytes of a request can still be `GET <path>` followed by `?` or a space. */
export function mayBeCallback(firstBytes: string, path: string): boolean {
  const line = `GET ${path}`;
  if (firstBytes.length <= line.length) return line.startsWith(firstBytes);
  return firstBytes.startsWith(line) && (firstBytes[line.length] === '?' || firstBytes[line.length] === ' ');
}

interface Guarded extends ConnectionFacts {
  socket: Socket;
  firstBytes: string;
  headTimer?: NodeJS.Timeout;
}

/**
 * Watches the listener's connections: `accepted` for each new socket (it may drop another to
 * make room), `answering` once the server has the socket's whole request head.
 */
export function guardConnections(callbackPath: string, onFlooded: () => void): { accepted(socket: Socket): void; answering(socket: Socket): void } {
  const open = new Map<Socket, Guarded>();
  let dropped = 0;
  let warned = false;
  const drop = (guarded: Guarded, full = false): void => {
    clearTimeout(guarded.headTimer);
    guarded.socket.destroy();
    dropped += 1;
    if (!warned && (full || dropped >= MAX_CONNECTIONS)) {
      warned = true;
      onFlooded();
    }
  };
  return {
    accepted(socket) {
      const guarded: Guarded = { socket, openedAt: performance.now(), firstByteAt: undefined, answering: false, source: socket.remoteAddress ?? '', firstBytes: '' };
      open.set(socket, guarded);
      socket.on('close', () => {
        clearTimeout(guarded.headTimer);
        open.delete(socket);
      });
      // A 'data' listener makes Node's HTTP parser read through the socket's events too (it
      // sees every byte first, so `answering` is already set when the head is complete).
      socket.on('data', (chunk: Buffer) => {
        if (guarded.answering || socket.destroyed) return;
        if (guarded.firstByteAt === undefined) {
          guarded.firstByteAt = performance.now();
          guarded.headTimer = setTimeout(() => drop(guarded), HEAD_TIMEOUT_MS).unref();
        }
        // `GET <path>` and the character after it decide; the rest of the head is the server's.
        const decisive = callbackPath.length + 5;
        if (guarded.firstBytes.length < decisive) {
          guarded.firstBytes += chunk.toString('latin1', 0, decisive);
          if (!mayBeCallback(guarded.firstBytes, callbackPath)) drop(guarded);
        }
      });
      if (open.size <= MAX_CONNECTIONS) return;
      // Never the one just accepted: it has not had the time to send anything.
      const victim = connectionToDrop([...open.values()].filter((c) => c !== guarded), performance.now());
      if (victim) drop(victim, true);
    },
    answering(socket) {
      const guarded = open.get(socket);
      if (!guarded) return;
      guarded.answering = true;
      clearTimeout(guarded.headTimer);
    },
  };
}
