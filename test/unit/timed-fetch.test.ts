/**
 * The fetch every request to Google goes through (src/gmail/timed-fetch.ts): node-fetch on
 * node:http, made to answer and fail as Node's global fetch did, against a local server.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fetch, { Response } from 'node-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/basics/errors.js';
import { failureFacts } from '../../src/gmail/google-error.js';
import { classifyFailure } from '../../src/gmail/retry.js';
import { RequestTimeoutError, timedFetch } from '../../src/gmail/timed-fetch.js';

let server: http.Server;
let root: string;
let connections = 0;
const received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(new URL(request.url!, 'http://localhost').pathname, response);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function answer(pathname: string, response: http.ServerResponse): void {
  switch (pathname) {
    case '/json':
      response.writeHead(200, { 'content-type': 'application/json', 'x-answer': 'yes' }).end('{"messages":[{"id":"a"}]}');
      return;
    case '/gzip':
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}'));
      return;
    case '/echo':
      response.writeHead(201, { 'content-type': 'text/plain' }).end('created');
      return;
    case '/cut-chunked': // Transfer-Encoding: chunked, cut off before the last chunk
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"messages": [');
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    case '/cut-length': // fewer bytes than its Content-Length
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"messages": [');
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    case '/reset':
      response.socket?.destroy();
      return;
    case '/silent':
      return; // never answers
    default:
      response.writeHead(404).end();
  }
}

const send = timedFetch(5_000, { fetch, Response });

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the request to fail'),
    (error: unknown) => error,
  );
}

describe('answers', () => {
  it('status, headers and the whole body, as a Response', async () => {
    const response = await send(new URL(`${root}/json?q=1`));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(await response.json()).toEqual({ messages: [{ id: 'a' }] });
  });

  it('a gzip body arrives decoded', async () => {
    const response = await send(new URL(`${root}/gzip`));
    expect(await response.json()).toEqual({ zipped: true });
  });

  it('a POST carries its body and headers (a form, a multipart batch)', async () => {
    received.length = 0;
    const body = '--b\r\nContent-Type: application/http\r\n\r\nGET /x HTTP/1.1\r\n\r\n--b--\r\n';
    const response = await send(new URL(`${root}/echo`), { method: 'POST', headers: { 'content-type': 'multipart/mixed; boundary=b' }, body });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('created');
    expect(received[0]).toMatchObject({ method: 'POST', url: '/echo', body });
    expect(received[0]!.headers['content-type']).toBe('multipart/mixed; boundary=b');
  });

  it('consecutive requests share one kept-alive connection', async () => {
    // A fresh agent's worth: Node's global agent may hold a connection from an earlier test.
    http.globalAgent.destroy();
    const before = connections;
    for (let i = 0; i < 3; i++) expect((await send(new URL(`${root}/json`))).status).toBe(200);
    expect(connections - before).toBe(1);
  });

  it("never uses gaxios's proxy agent: HTTPS_PROXY stays unused, as with Node's fetch", async () => {
    let used = false;
    const agent = new http.Agent();
    agent.createConnection = () => {
      used = true;
      throw new Error('the proxy agent was used');
    };
    const response = await send(new URL(`${root}/json`), { agent } as RequestInit);
    expect(response.status).toBe(200);
    expect(used).toBe(false);
  });
});

describe('failures', () => {
  it('a reset is a network failure, retried, and its message names no query value', async () => {
    const error = await failureOf(send(new URL(`${root}/reset?q=from:someone-private@example.org&pageToken=tok123`)));
    expect(classifyFailure(failureFacts(error))).toBe('network');
    expect(String((error as Error).message)).not.toMatch(/someone-private|tok123|q=/);
  });

  it.each(['/cut-chunked', '/cut-length'])('an answer cut off mid-body (%s) is a network failure, retried like a reset', async (pathname) => {
    const error = await failureOf(send(new URL(`${root}${pathname}?q=private`)));
    expect(classifyFailure(failureFacts(error))).toBe('network');
    expect(String((error as Error).message)).not.toMatch(/private/);
  });

  it('no answer within the timeout rejects with a RequestTimeoutError', async () => {
    const error = await failureOf(timedFetch(200, { fetch, Response })(new URL(`${root}/silent`)));
    expect(error).toBeInstanceOf(RequestTimeoutError);
  });

  it("an abort (Ctrl-C, SIGTERM) rejects with the signal's reason, as Node's fetch does", async () => {
    const controller = new AbortController();
    const pending = send(new URL(`${root}/silent`), { signal: controller.signal });
    const reason = new InterruptedError('Terminated.');
    controller.abort(reason);
    expect(await failureOf(pending)).toBe(reason);
  });
});

describe('over TLS, as to Google', () => {
  const fixtures = path.resolve(import.meta.dirname, '../fixtures/tls');
  let tlsServer: https.Server;
  let tlsRoot: string;
  let handshakes = 0;

  beforeAll(async () => {
    const [key, cert] = await Promise.all([readFile(path.join(fixtures, 'localhost.key')), readFile(path.join(fixtures, 'localhost.crt'))]);
    tlsServer = https.createServer({ key, cert }, (request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"secure":true}'));
    });
    tlsServer.on('secureConnection', () => handshakes++);
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsRoot = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
    // The requests go through Node's global HTTPS agent, as gmailctl's do: it trusts the test certificate.
    https.globalAgent.options.ca = cert;
  });
  afterAll(async () => {
    delete https.globalAgent.options.ca;
    https.globalAgent.destroy();
    tlsServer.closeAllConnections();
    await new Promise((resolve) => tlsServer.close(resolve));
  });

  it('answers over https, consecutive requests on one kept-alive connection (one handshake)', async () => {
    for (let i = 0; i < 3; i++) {
      const response = await send(new URL(`${tlsRoot}/gmail/v1/users/me/messages`));
      expect(await response.json()).toEqual({ secure: true });
    }
    expect(handshakes).toBe(1);
  });

  it('checks the certificate: one that Node does not trust is refused, and not retried', async () => {
    const trusted = https.globalAgent.options.ca;
    delete https.globalAgent.options.ca;
    https.globalAgent.destroy();
    try {
      const error = await failureOf(send(new URL(`${tlsRoot}/gmail/v1/users/me/messages`)));
      expect((error as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(classifyFailure(failureFacts(error))).toBe('final');
    } finally {
      https.globalAgent.options.ca = trusted;
    }
  });
});
