/**
 * The HTTP side: reads and records each request, applies queued faults, routes to the
 * OAuth, Gmail or control handlers, adds latency to Gmail answers, and writes the reply.
 * A Gmail batch is unpacked here too, so that each embedded request goes through the same
 * recording, faults and Gmail routing as one sent alone.
 * Binds 127.0.0.1 only, and tracks sockets so that close() also ends keep-alive connections.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { BATCH_PATH, batchReply, parseBatchRequest, type BatchPart } from './batch.js';
import type { EmulatorContext } from './context.js';
import type { RecordedRequest, Reply } from './exchange.js';
import type { Fault } from './faults.js';
import { apiError, oauthErrorForStatus, rateLimited } from './google-errors.js';
import { GMAIL_PREFIX, handleGmail } from './gmail.js';
import { AUTH_PATH, DECISION_PATH, REVOKE_PATH, TOKEN_PATH, handleAuthorize, handleDecision, handleRevoke, handleToken } from './oauth.js';

export const CONTROL_PREFIX = '/__emulator/';

type Handler = (request: RecordedRequest, context: EmulatorContext) => Reply;

const OAUTH_ROUTES: Record<string, { method: string; handle: Handler }> = {
  [AUTH_PATH]: { method: 'GET', handle: handleAuthorize },
  [DECISION_PATH]: { method: 'POST', handle: handleDecision },
  [TOKEN_PATH]: { method: 'POST', handle: handleToken },
  [REVOKE_PATH]: { method: 'POST', handle: handleRevoke },
};

function route(request: RecordedRequest, context: EmulatorContext): Reply {
  if (request.path.startsWith(GMAIL_PREFIX)) return handleGmail(request, context);
  const oauth = OAUTH_ROUTES[request.path];
  if (!oauth) return apiError(404, { reason: 'notFound', message: `Not Found: ${request.path}` });
  if (request.method !== oauth.method) return apiError(405);
  return oauth.handle(request, context);
}

/** Gmail's API answers, a batch included: these get the configured latency, once per HTTP response. */
function isGmailApi(path: string): boolean {
  return path.startsWith(GMAIL_PREFIX) || path === BATCH_PATH;
}

/** A batch carries Gmail calls only: Google's batch endpoint is per API. */
function routeInner(request: RecordedRequest, context: EmulatorContext): Reply {
  if (request.path.startsWith(GMAIL_PREFIX)) return handleGmail(request, context);
  return apiError(404, { reason: 'notFound', message: `Not Found: ${request.path}` });
}

/** The OAuth endpoints answer faults in their own flat error format. */
function isOAuthPath(path: string): boolean {
  return path === TOKEN_PATH || path === REVOKE_PATH;
}

/** What a status or raw fault answers. */
function faultReply(fault: Extract<Fault, { type: 'status' | 'raw' }>, path: string): Reply {
  if (fault.type === 'raw') {
    return { status: fault.status, headers: { 'content-type': fault.contentType ?? 'application/json; charset=UTF-8', ...fault.headers }, body: fault.body };
  }
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
  if (isOAuthPath(path)) {
    const reply = oauthErrorForStatus(fault.status, fault.reason, fault.message);
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }
  if (fault.status === 429 && (fault.reason ?? 'rateLimitExceeded') === 'rateLimitExceeded' && fault.message === undefined) {
    return rateLimited(new Date(Date.now() + retryAfterMs(fault.retryAfter)), fault.retryAfter);
  }
  return apiError(fault.status, { reason: fault.reason, message: fault.message, headers });
}

/** A Retry-After value (seconds or HTTP date) in ms from now; one second when absent. */
function retryAfterMs(value: string | undefined): number {
  if (value === undefined) return 1000;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(value) - Date.now());
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export interface ServerOptions {
  port: number;
  context: EmulatorContext;
  /** Where recorded requests go, in arrival order. */
  log: RecordedRequest[];
  /** The /__emulator/ control API; its own requests are neither recorded nor faulted. */
  control: (request: RecordedRequest) => Reply;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { context, log } = options;
  const startedAt = performance.now();
  // Aborted on close, so that requests sleeping on latency or a delay fault stop at once.
  const closing = new AbortController();
  // Every delayed answer waits on it: hundreds at once under load is expected, not a leak.
  setMaxListeners(0, closing.signal);

  /** What one batch part is, as a request of its own: the outer bearer token applies unless the part names one. */
  function innerRequest(part: BatchPart, outer: RecordedRequest): RecordedRequest {
    const url = new URL(part.target, 'http://127.0.0.1');
    const authorization = part.headers.authorization ?? outer.headers.authorization;
    return {
      method: part.method,
      path: url.pathname,
      query: url.searchParams,
      headers: { ...part.headers, ...(authorization === undefined ? {} : { authorization }) },
      body: part.body,
      at: performance.now() - startedAt,
      batch: true,
    };
  }

  /**
   * Runs a batch's parts in order, each recorded and matched against the fault queue as
   * if sent alone: a status or raw fault answers that part only, a delay fault delays the
   * whole answer, and a reset fault ends the batch there (the caller drops the connection;
   * later parts are neither run nor recorded). Statuses are recorded only once the answer
   * is about to be written, as for any request.
   */
  function runBatch(outer: RecordedRequest): { reply: Reply; delayMs: number; answered: Array<[RecordedRequest, Reply]> } | 'reset' {
    const parsed = parseBatchRequest(outer.headers['content-type'], outer.body);
    if (!parsed.ok) return { reply: parsed.error, delayMs: 0, answered: [] };
    let delayMs = 0;
    const answers: Array<{ contentId?: string; reply: Reply }> = [];
    const answered: Array<[RecordedRequest, Reply]> = [];
    for (const part of parsed.parts) {
      const request = innerRequest(part, outer);
      log.push(request);
      const fault = context.faults.take(request.method, request.path);
      if (fault?.type === 'reset') return 'reset';
      if (fault?.type === 'delay') delayMs += fault.ms;
      const reply = fault && (fault.type === 'status' || fault.type === 'raw') ? faultReply(fault, request.path) : routeInner(request, context);
      answers.push({ ...(part.contentId === undefined ? {} : { contentId: part.contentId }), reply });
      answered.push([request, reply]);
    }
    return { reply: batchReply(answers), delayMs, answered };
  }

  async function respond(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
      body,
      at: performance.now() - startedAt,
    };
    if (request.path.startsWith(CONTROL_PREFIX)) {
      write(response, options.control(request));
      return;
    }
    log.push(request);

    const fault = context.faults.take(request.method, request.path);
    if (fault?.type === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (fault?.type === 'delay') await sleep(fault.ms, undefined, { signal: closing.signal });
    let reply: Reply;
    let answered: Array<[RecordedRequest, Reply]> = [];
    if (fault && (fault.type === 'status' || fault.type === 'raw')) {
      reply = faultReply(fault, request.path);
    } else if (request.path === BATCH_PATH) {
      if (request.method !== 'POST') {
        reply = apiError(405);
      } else {
        const batch = runBatch(request);
        if (batch === 'reset') {
          incoming.socket.destroy();
          return;
        }
        if (batch.delayMs > 0) await sleep(batch.delayMs, undefined, { signal: closing.signal });
        ({ reply, answered } = batch);
      }
    } else {
      reply = route(request, context);
    }
    const latency = context.settings.latencyMs;
    if (latency > 0 && isGmailApi(request.path)) await sleep(latency, undefined, { signal: closing.signal });
    for (const [inner, innerReply] of answered) inner.status = innerReply.status;
    request.status = reply.status;
    write(response, reply);
  }

  const server = http.createServer((incoming, response) => {
    respond(incoming, response).catch((error: unknown) => {
      if (closing.signal.aborted || response.headersSent) return;
      console.error('emulator: request failed:', error);
      write(response, apiError(500));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function write(response: http.ServerResponse, reply: Reply): void {
  if (response.destroyed) return;
  response.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  response.end(reply.body);
}
