/**
 * The `fetch` that every request to Google goes through (gaxios's fetchImplementation):
 * the request, the answer's headers and its whole body must arrive within the timeout.
 *
 * Why not gaxios's own `timeout`: it combines the caller's signal with
 * `AbortSignal.timeout()` through `AbortSignal.any()`, and Node 20 garbage-collects a
 * timeout signal held only there (nodejs/node#57736): after a collection — V8 runs one on
 * its own in a process idle for ~10 s — the timeout never fires and a silent endpoint
 * hangs the command forever. Here a plain timer holds the controller strongly.
 */

/** A request to Google that got no (complete) answer in time; retried like a reset. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${formatSeconds(timeoutMs)}`);
    this.name = 'RequestTimeoutError';
  }
}

export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/** What --debug is told of each finished request. */
export interface RequestRecord {
  method: string;
  url: URL;
  status?: number;
  ms: number;
  failure?: string;
}
export type RequestObserver = (request: RequestRecord) => void;

let observer: RequestObserver | undefined;

/** The one process-wide hook: --debug (src/program.ts) watches every request to Google. */
export function observeRequests(next: RequestObserver | undefined): void {
  observer = next;
}

type Fetch = typeof fetch;

export function timedFetch(timeoutMs: number, base: Fetch = fetch): Fetch {
  return async (input, init = {}) => {
    const observe = observer;
    const controller = new AbortController();
    const caller = init.signal ?? undefined;
    const timeout = new RequestTimeoutError(timeoutMs);
    const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
    const follow = (): void => controller.abort(caller?.reason);
    if (caller?.aborted) follow();
    else caller?.addEventListener('abort', follow, { once: true });
    const started = performance.now();
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    try {
      const response = await base(input, { ...init, signal: controller.signal });
      // The body too: a server may send headers and then stall.
      const body = response.status === 204 || response.status === 304 ? null : await response.arrayBuffer();
      observe?.({ method, url, status: response.status, ms: performance.now() - started });
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      const failure = controller.signal.reason === timeout ? timeout : error;
      observe?.({ method, url, ms: performance.now() - started, failure: failure instanceof Error ? failure.message : String(failure) });
      throw failure;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', follow);
    }
  };
}


/**
 * A --debug line for a request: method, path, status, time. Only the path: the query
 * string (search terms, page tokens) and the body (tokens, codes) are never shown.
 */
export function describeRequest({ method, url, status, ms, failure }: RequestRecord): string {
  const outcome = status === undefined ? `failed: ${failure ?? 'no answer'}` : String(status);
  return `${method} ${url.pathname} → ${outcome} (${Math.round(ms)} ms)`;
}
