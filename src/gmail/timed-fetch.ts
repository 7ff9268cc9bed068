/**
 * The `fetch` that every request to Google goes through (gaxios's fetchImplementation):
 * the request, the answer's headers and its whole body must arrive within the timeout.
 *
 * Why not gaxios's own `timeout`: it combines the caller's signal with
 * `AbortSignal.timeout()` through `AbortSignal.any()`, and Node 20 garbage-collects a
 * timeout signal held only there (nodejs/node#57736): after a collection — V8 runs one on
 * its own in a process idle for ~10 s — the timeout never fires and a silent endpoint
 * hangs the command forever. Here a plain timer holds the controller strongly.
 *
 * What sends the request is node-fetch (src/libraries/google.ts), not Node's global fetch:
 * the first touch of that global (or of Headers, Response…) loads undici, Node's own HTTP
 * client, which costs a command some 50 ms before its first request; node-fetch is built on
 * node:http and node:https, which Google's libraries load anyway. Its answers and failures
 * are made to read as the global fetch's did: an abort rejects with the signal's reason, and
 * no message carries the request's query (search terms, page tokens).
 */
import type NodeFetch from 'node-fetch';
import type { RequestInit as NodeFetchInit, Response as NodeFetchResponse } from 'node-fetch';
import { formatSeconds } from '../basics/durations.js';

/** A request to Google that got no (complete) answer in time; retried like a reset. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${formatSeconds(timeoutMs)}`);
    this.name = 'RequestTimeoutError';
  }
}

/** What --debug is told of each finished request. */
interface RequestRecord {
  method: string;
  url: URL;
  status?: number;
  /** A redirect's target (origin and path), not followed. */
  redirect?: string;
  ms: number;
  failure?: string;
}
type RequestObserver = (request: RequestRecord) => void;

let observer: RequestObserver | undefined;

/** The one process-wide hook: --debug (src/entry/program.ts) watches every request to Google. */
export function observeRequests(next: RequestObserver | undefined): void {
  observer = next;
}

type Fetch = typeof fetch;

/** The fetch that sends the requests, and its Response class (node-fetch's, from the Google bundle). */
interface HttpStack {
  fetch: typeof NodeFetch;
  Response: typeof NodeFetchResponse;
}

export function timedFetch(timeoutMs: number, http: HttpStack): Fetch {
  return async (input, init = {}) => {
    const observe = observer;
    const controller = new AbortController();
    const caller = init.signal ?? undefined;
    const timeout = new RequestTimeoutError(timeoutMs);
    const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
    const follow = (): void => controller.abort(caller?.reason);
    if (caller?.aborted) follow();
    else caller?.addEventListener('abort', follow, { once: true });
    const started = process.hrtime.bigint();
    // gaxios passes a URL and the options; a Request (never passed) would carry both.
    const request = typeof input === 'object' && !(input instanceof URL) ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    try {
      const response = await http.fetch(String(url), nodeFetchInit(init, controller.signal));
      // The body too: a server may send headers and then stall.
      const body = response.status === 204 || response.status === 304 ? null : Buffer.from(await response.arrayBuffer());
      const location = isRedirect(response.status) ? response.headers.get('location') : null;
      observe?.({ method, url, status: response.status, ...(location === null ? {} : { redirect: redirectTarget(location, url) }), ms: msSince(started) });
      const answer = new http.Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      return answer as unknown as Response;
    } catch (error) {
      // As Node's fetch: an abort (the timeout, Ctrl-C) rejects with the signal's reason.
      const failure = controller.signal.aborted ? (controller.signal.reason as unknown) : withoutQuery(error, url);
      observe?.({ method, url, ms: msSince(started), failure: failure instanceof Error ? failure.message : String(failure) });
      throw failure;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', follow);
    }
  };
}

/** Milliseconds since a process.hrtime.bigint() reading (not the global `performance`, which loads perf_hooks). */
function msSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * gaxios's options as node-fetch takes them, with our signal. Not gaxios's `agent`: gaxios
 * makes one for HTTPS_PROXY, which Node's fetch never used and gmailctl does not support;
 * node-fetch would send every request through it. Without one, node-fetch uses Node's global
 * agents, which keep connections alive as Node's fetch did.
 */
function nodeFetchInit(init: RequestInit, signal: AbortSignal): NodeFetchInit {
  const { agent: _proxy, ...rest } = init as RequestInit & { agent?: unknown };
  // 'manual': never followed. A redirect from the token or revoke endpoint would re-send the
  // refresh token and client secret in its body (a 307 to http://…/steal did), one from the
  // API the bearer token. It comes back as the 3xx answer it is: an error for gaxios, which
  // does not retry it, and for gmailctl (src/gmail/google-error.ts).
  return { ...(rest as NodeFetchInit), signal, redirect: 'manual' };
}

/** node-fetch names the whole URL in its failures ("request to https://…?q=… failed"): its path only here. */
function withoutQuery(error: unknown, url: URL): unknown {
  if (error instanceof Error && url.search && error.message.includes(url.search)) {
    error.message = error.message.split(url.href).join(`${url.origin}${url.pathname}`).split(url.search).join('');
  }
  return error;
}

/**
 * A --debug line for a request: method, path, status, time. Only the path: the query
 * string (search terms, page tokens) and the body (tokens, codes) are never shown.
 */
export function describeRequest({ method, url, status, redirect, ms, failure }: RequestRecord): string {
  const outcome = status === undefined ? `failed: ${failure ?? 'no answer'}` : redirect ? `${status} redirect to ${redirect}, not followed` : String(status);
  return `${method} ${url.pathname} → ${outcome} (${Math.round(ms)} ms)`;
}

/** A 3xx answer that points somewhere else (304 Not Modified does not). */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** A Location header as origin and path, resolved against the request's URL; its query and fragment are left out. */
export function redirectTarget(location: string, base: URL): string {
  try {
    const target = new URL(location, base);
    return `${target.origin}${target.pathname}`;
  } catch {
    return 'an address that is not a URL';
  }
}
