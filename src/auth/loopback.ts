/**
 * The one-shot HTTP listener that receives Google's redirect (RFC 8252 §7.3: a loopback
 * IP literal, any port). It accepts exactly one GET on its path with the right state, from
 * a request addressed to itself (a foreign Host header is DNS rebinding), and nothing else.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LoginError } from '../basics/errors.js';
import { interpretCallback, type CallbackOutcome } from './callback.js';
import { guardConnections } from './connection-guard.js';
import { resultPage } from './result-page.js';

export const CALLBACK_PATH = '/oauth2callback';

export type AcceptedCallback = Exclude<CallbackOutcome, { kind: 'rejected' }>;

export interface LoopbackListener {
  readonly redirectUri: string;
  readonly port: number;
  /** Settles with the first callback that carries the right state. */
  readonly accepted: Promise<AcceptedCallback>;
  /** The login got its answer elsewhere (pasted): later callbacks are answered 409. */
  answeredElsewhere(answer: AcceptedCallback): void;
  /** Closes the listener and every open connection; safe to call more than once. */
  close(): Promise<void>;
}

interface LoopbackOptions {
  port: number; // 0: let the OS choose
  expectedState: string;
  /** Told about each refused callback, so the user can be told why nothing happened. */
  onRejected?: (reason: string) => void;
  /**
   * Told when a callback with the right state arrives after the answer: the same answer again
   * (a reload) or a different one — then someone else had the state.
   */
  onSecondAnswer?: (sameAnswer: boolean) => void;
  /** Told once, when the listener first had to drop a connection to keep room for the browser's (see connection-guard.ts). */
  onFlooded?: () => void;
}

/** Node refuses request lines and headers larger than this with 431, without calling us. */
const MAX_HEADER_BYTES = 8 * 1024;
/** A connection silent for this long is dropped. */
const IDLE_MS = 10_000;

export async function startLoopbackListener(options: LoopbackOptions): Promise<LoopbackListener> {
  let settle!: (outcome: AcceptedCallback) => void;
  const accepted = new Promise<AcceptedCallback>((resolve) => {
    settle = resolve;
  });
  let answer: AcceptedCallback | undefined;
  const sockets = new Set<Socket>();
  const guard = guardConnections(CALLBACK_PATH, () => options.onFlooded?.());

  const server = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000, headersTimeout: 10_000, connectionsCheckingInterval: 1_000 },
    (request, response) => {
      guard.answering(request.socket);
      const outcome = handle(request, port, options.expectedState, answer);
      if (outcome.kind === 'accepted') {
        answer = outcome.callback;
        settle(outcome.callback);
      } else if (outcome.kind === 'again') {
        options.onSecondAnswer?.(outcome.same);
      } else if (outcome.reason) {
        options.onRejected?.(outcome.reason);
      }
      send(response, outcome.status, outcome.page);
    },
  );
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    guard.accepted(socket);
  });
  // A malformed or oversized request must not crash the login: answer 400/431 and drop it.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable) {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LoginError(`Port ${options.port} on 127.0.0.1 is already in use.`, {
              hint: 'Choose another one with --port, or leave --port out to let the system pick a free port.',
            })
          : error.code === 'EACCES'
            ? new LoginError(`Not allowed to listen on port ${options.port}.`, { hint: 'Use a port above 1023.' })
            : new LoginError(`Cannot start the login listener: ${error.message}`, { cause: error }),
      );
    });
    server.listen({ host: '127.0.0.1', port: options.port, exclusive: true }, resolve);
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    redirectUri: `http://127.0.0.1:${port}${CALLBACK_PATH}`,
    port,
    accepted,
    answeredElsewhere(elsewhere) {
      answer ??= elsewhere;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Give the browser a moment to receive the result page before the socket goes.
        for (const socket of sockets) socket.end();
        setTimeout(() => server.closeAllConnections(), 200).unref();
      });
      return closing;
    },
  };
}

type Handled =
  | { kind: 'accepted'; callback: AcceptedCallback; status: number; page: string }
  /** The right state after the login had its answer: `same` for a reload of that answer. */
  | { kind: 'again'; same: boolean; status: number; page: string }
  | { kind: 'rejected'; reason?: string; status: number; page: string };

function handle(request: IncomingMessage, port: number, expectedState: string, answer: AcceptedCallback | undefined): Handled {
  const host = (request.headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return { kind: 'rejected', reason: `Refused a request for host "${host}".`, status: 400, page: resultPage('refused') };
  }
  let url: URL;
  try {
    url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  } catch {
    return { kind: 'rejected', status: 400, page: resultPage('refused') };
  }
  if (url.pathname !== CALLBACK_PATH) return { kind: 'rejected', status: 404, page: resultPage('not-found') };
  if (request.method !== 'GET') return { kind: 'rejected', status: 405, page: resultPage('refused') };
  const outcome = interpretCallback(url.searchParams, expectedState);
  if (answer) {
    const page = resultPage('already-done');
    return outcome.kind === 'rejected' ? { kind: 'rejected', status: 409, page } : { kind: 'again', same: sameAnswer(answer, outcome), status: 409, page };
  }
  switch (outcome.kind) {
    case 'code':
      return { kind: 'accepted', callback: outcome, status: 200, page: resultPage('success') };
    case 'denied':
      return { kind: 'accepted', callback: outcome, status: 200, page: resultPage('denied') };
    case 'rejected':
      return { kind: 'rejected', reason: outcome.reason, status: 400, page: resultPage('refused') };
  }
}

function send(response: ServerResponse, status: number, page: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(page),
    // The page needs nothing from anywhere; nothing on it may leak the URL (code, state).
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  });
  response.end(page);
}

function sameAnswer(a: AcceptedCallback, b: AcceptedCallback): boolean {
  return a.kind === 'code' && b.kind === 'code' ? a.code === b.code : a.kind === b.kind;
}
