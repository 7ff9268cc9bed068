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
import { apiError, frontEndErrorPage, oauthErrorForStatus, rateLimited, tooManyConcurrent } from './google-errors.js';
import { GMAIL_PREFIX, gmailMethodOf, handleGmail, quotaRefusal, userOf } from './gmail.js';
import type { GmailMethod } from './quota.js';
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

/** The faults that answer in place of the route. */
type AnsweringFault = Extract<Fault, { type: 'status' | 'raw' | 'front-end' }>;

function answersInstead(fault: Fault | undefined): fault is AnsweringFault {
  return fault !== undefined && (fault.type === 'status' || fault.type === 'raw' || fault.type === 'front-end');
}

/** What a status, raw or front-end fault answers; in strict mode a 502 or 503 is Google's HTML page, whatever the endpoint. */
function faultReply(fault: AnsweringFault, path: string, strict: boolean): Reply {
  if (fault.type === 'front-end') return frontEndErrorPage(fault.status);
  if (fault.type === 'raw') {
    return { status: fault.status, headers: { 'content-type': fault.contentType ?? 'application/json; charset=UTF-8', ...fault.headers }, body: fault.body };
  }
  if (strict && (fault.status === 502 || fault.status === 503) && fault.message === undefined) return frontEndErrorPage(fault.status);
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
  if (isOAuthPath(path)) {
    const reply = oauthErrorForStatus(fault.status, fault.reason, fault.message);
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }
  if (fault.status === 429 && (fault.reason ?? 'rateLimitExceeded') === 'rateLimitExceeded' && fault.message === undefined) {
    return rateLimited(new Date(Date.now() + (fault.retryInMs ?? retryAfterMs(fault.retryAfter))), fault.retryAfter);
  }
  return apiError(fault.status, { reason: fault.reason, message: fault.message, headers });
}

/** A Retry-After value (seconds or HTTP date) in ms from now; one second when absent. */
function retryAfterMs(value: string | undefined): number {
  if (value === undefined) return 1000;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(value) - Date.now());
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export interface ServerOptions {
  port: number;
  context: EmulatorContext;
  /** Where recorded requests go, in arrival order. */
  log: RecordedRequest[];
  /** The /__emulator/ control API; its own requests are neither recorded nor faulted. */
  control: (request: RecordedRequest, bytes: Buffer) => Reply;
}

export interface RunningServer {
  port: number;
  /**
   * Stops listening and drops every connection, in flight or idle: a client now gets
   * "connection refused" (ECONNREFUSED), as when the network or Google is gone.
   */
  refuseConnections(): Promise<void>;
  /** Listens again on the same port. */
  acceptConnections(): Promise<void>;
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

  /** What a batch answers and leaves behind: its reply, the delay its faults add, its parts' replies, and the calls it holds in flight. */
  interface BatchRun {
    reply: Reply;
    delayMs: number;
    answered: Array<[RecordedRequest, Reply]>;
    /** Calls counted in flight against the user's concurrency cap, released once the answer is written. */
    holding?: { user: string; calls: number };
  }

  /**
   * Runs a batch's parts in order, each recorded and matched against the fault queue as
   * if sent alone: a status or raw fault answers that part only, a delay fault delays the
   * whole answer, and a reset fault ends the batch there (the caller drops the connection;
   * later parts are neither run nor recorded). Statuses are recorded only once the answer
   * is about to be written, as for any request.
   *
   * In strict mode, as Google: each part is a call in flight for the user (the parts over
   * the cap are answered "Too many concurrent requests for user."), and the quota is charged
   * for all the other parts at once before any runs — when it cannot pay for them all, the
   * whole batch is answered 429 and no part runs.
   */
  function runBatch(outer: RecordedRequest): BatchRun | 'reset' {
    const { strict, quota, concurrency } = context.settings;
    const parsed = parseBatchRequest(outer.headers['content-type'], outer.body, { strict });
    if (!parsed.ok) return { reply: parsed.error, delayMs: 0, answered: [] };
    const user = strict ? userOf(outer.headers.authorization, context) : undefined;
    const admitted = user && concurrency ? concurrency.enter(user, parsed.parts.length) : parsed.parts.length;
    const holding = user && concurrency ? { user, calls: admitted } : undefined;
    if (user && quota) {
      const methods = parsed.parts.slice(0, admitted).flatMap((part): GmailMethod[] => {
        const method = gmailMethodOf(new URL(part.target, 'http://127.0.0.1').pathname);
        return method ? [method] : [];
      });
      const charge = quota.takeAll(user, methods);
      if (!charge.allowed) return { reply: quotaRefusal(charge.retryAfterMs, context), delayMs: 0, answered: [], ...(holding ? { holding } : {}) };
    }
    let delayMs = 0;
    const answers: Array<{ contentId?: string; reply: Reply }> = [];
    const answered: Array<[RecordedRequest, Reply]> = [];
    for (const [index, part] of parsed.parts.entries()) {
      const request = innerRequest(part, outer);
      log.push(request);
      const fault = context.faults.take(request.method, request.path);
      if (fault?.type === 'reset') {
        if (holding) concurrency?.leave(holding.user, holding.calls);
        return 'reset';
      }
      if (fault?.type === 'delay') delayMs += fault.ms;
      let reply: Reply;
      if (answersInstead(fault)) reply = faultReply(fault, request.path, strict);
      else if (index >= admitted) reply = tooManyConcurrent();
      else reply = routeInner(request, context);
      answers.push({ ...(part.contentId === undefined ? {} : { contentId: part.contentId }), reply });
      answered.push([request, reply]);
    }
    return { reply: batchReply(answers), delayMs, answered, ...(holding ? { holding } : {}) };
  }

  /**
   * A Gmail call sent alone, in strict mode: one call in flight for its user, or Google's
   * 429 when the user is at the cap. Undefined when there is nothing to count.
   */
  function enterAlone(request: RecordedRequest): { user: string } | 'refused' | undefined {
    const { strict, concurrency } = context.settings;
    if (!strict || !concurrency || !request.path.startsWith(GMAIL_PREFIX)) return undefined;
    const user = userOf(request.headers.authorization, context);
    if (!user) return undefined;
    return concurrency.enter(user) === 1 ? { user } : 'refused';
  }

  async function respond(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const bytes = await readBody(incoming);
    const body = bytes.toString('utf8');
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
      write(response, options.control(request, bytes));
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
    // Calls this request holds in flight for its user until its answer is written.
    const cap = context.settings.concurrency;
    let holding: { user: string; calls: number } | undefined;
    try {
      if (answersInstead(fault)) {
        reply = faultReply(fault, request.path, context.settings.strict);
      } else if (request.path === BATCH_PATH) {
        if (request.method !== 'POST') {
          reply = apiError(405);
        } else {
          const batch = runBatch(request);
          if (batch === 'reset') {
            incoming.socket.destroy();
            return;
          }
          holding = batch.holding;
          if (batch.delayMs > 0) await sleep(batch.delayMs, undefined, { signal: closing.signal });
          ({ reply, answered } = batch);
        }
      } else {
        const alone = enterAlone(request);
        if (alone === 'refused') reply = tooManyConcurrent();
        else {
          if (alone) holding = { user: alone.user, calls: 1 };
          reply = route(request, context);
        }
      }
      const latency = context.settings.latencyMs;
      if (latency > 0 && isGmailApi(request.path)) await sleep(latency, undefined, { signal: closing.signal });
    } finally {
      if (holding && holding.calls > 0) cap?.leave(holding.user, holding.calls);
    }
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
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  let closed = false;
  const stopListening = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    refuseConnections: stopListening,
    acceptConnections: () => (server.listening || closed ? Promise.resolve() : listen(port)),
    close: () => {
      closed = true;
      closing.abort();
      return stopListening();
    },
  };
}

function write(response: http.ServerResponse, reply: Reply): void {
  if (response.destroyed) return;
  response.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  response.end(reply.body, reply.then);
}
