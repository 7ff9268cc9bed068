/**
 * One HTTP exchange as the routes see it: the request (already read, and recorded as is)
 * and the reply, a plain value. Only the server writes replies, so that it can record each
 * status and apply latency in one place.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** The pathname, without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** Filled when answered; stays undefined for a reset connection. */
  status?: number;
  /** Milliseconds since the emulator started. */
  at: number;
  /** Set on a request that came embedded in a batch (POST /batch/gmail/v1, itself recorded as well). */
  batch?: boolean;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Run once the reply has been handed to the OS (the control API's outage begins then). */
  then?: () => void;
}

/** Google's JSON APIs answer with this exact content type. */
const JSON_TYPE = 'application/json; charset=UTF-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function htmlReply(status: number, html: string): Reply {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

export function redirectReply(location: string): Reply {
  return { status: 302, headers: { location, 'content-type': 'text/html; charset=UTF-8' }, body: '' };
}
