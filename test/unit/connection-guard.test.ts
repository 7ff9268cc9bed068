/**
 * Which connection the login listener drops when it is full (issue 23 item 4): never one
 * being answered, partial requests first (the oldest first), then a silent one of the
 * busiest source, its old ones first. And, on a real listener, what it drops without waiting
 * to be full.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectionToDrop, mayBeCallback, STALE_MS, type ConnectionFacts } from '../../src/auth/connection-guard.js';
import { CALLBACK_PATH } from '../../src/auth/loopback.js';
import { useLoopbackListener } from '../helpers/use-listener.js';

const NOW = 100_000;

function connection(name: string, facts: Partial<ConnectionFacts> & { age: number; spokeAgo?: number }): ConnectionFacts & { name: string } {
  return {
    name,
    openedAt: NOW - facts.age,
    firstByteAt: facts.spokeAgo === undefined ? undefined : NOW - facts.spokeAgo,
    answering: facts.answering ?? false,
    source: facts.source ?? '127.0.0.1',
  };
}

describe('the connection the full listener drops', () => {
  it('a partial request first, whatever its source: the one that started first', () => {
    const connections = [
      connection('silent and old', { age: 9_000, source: '127.0.0.5' }),
      connection('young partial', { age: 100, spokeAgo: 100 }),
      connection('stale partial', { age: 5_000, spokeAgo: STALE_MS + 500, source: '127.0.0.9' }),
      connection('staler partial', { age: 2_500, spokeAgo: STALE_MS + 900, source: '127.0.0.8' }),
    ];
    expect(connectionToDrop(connections, NOW)?.name).toBe('staler partial');
    // A young partial request goes before any silent connection: a browser's head arrives whole.
    expect(connectionToDrop([connections[0]!, connections[1]!], NOW)?.name).toBe('young partial');
  });

  it('then a silent one of the source holding the most connections: one silent for longer than a browser takes to speak first', () => {
    const connections = [
      connection('browser, silent old', { age: STALE_MS + 500, source: '127.0.0.1' }),
      connection('flood, silent young', { age: 10, source: '127.0.0.2' }),
      connection('flood, silent old', { age: STALE_MS + 1, source: '127.0.0.2' }),
      connection('flood, silent younger', { age: 5, source: '127.0.0.2' }),
    ];
    expect(connectionToDrop(connections, NOW)?.name).toBe('flood, silent old');
  });

  it('with every silent one young, the oldest of the busiest source (the browser, youngest, goes last)', () => {
    const connections = [connection('flood 1', { age: 30 }), connection('flood 2', { age: 20 }), connection('browser', { age: 1 })];
    expect(connectionToDrop(connections, NOW)?.name).toBe('flood 1');
  });

  it('never one whose request is being answered; none when all are', () => {
    const answering = [connection('a', { age: 9_000, spokeAgo: 9_000, answering: true }), connection('b', { age: 50, answering: true })];
    expect(connectionToDrop(answering, NOW)).toBeUndefined();
    expect(connectionToDrop([...answering, connection('c', { age: 10 })], NOW)?.name).toBe('c');
  });
});

describe("the first bytes of the browser's request", () => {
  it('GET on the callback path, followed by a query or a space, or a beginning of that', () => {
    for (const start of ['G', 'GET /oauth2', `GET ${CALLBACK_PATH}`, `GET ${CALLBACK_PATH}?state=x`, `GET ${CALLBACK_PATH} HTTP/1.1`]) {
      expect(mayBeCallback(start, CALLBACK_PATH), start).toBe(true);
    }
    for (const start of ['P', 'POST ', 'GET / HTTP/1.1', 'GET /oauth2callbackx', `HEAD ${CALLBACK_PATH}`, 'get /oauth2callback?', '\r\nGET']) {
      expect(mayBeCallback(start, CALLBACK_PATH), start).toBe(false);
    }
  });
});

describe('what the listener drops before it is full', () => {
  const listening = useLoopbackListener();

  /** Sends `bytes` and answers how long the listener took to close the connection (ms), and what it answered. */
  function closedAfter(port: number, bytes: string): Promise<{ ms: number; answer: string }> {
    return new Promise((resolve) => {
      const started = performance.now();
      let answer = '';
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
      listening.track(socket);
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
    });
  }

  it('a request that is not GET on the callback path, not complete: at once, unanswered; complete: answered 404', async () => {
    const listener = await listening.start('state');
    const partial = await closedAfter(listener.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1');
    expect(partial.answer).toBe('');
    expect(partial.ms).toBeLessThan(2_000); // not by the deadline of a stalled head (3 s)
    const complete = await closedAfter(listener.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${listener.port}\r\n\r\n`);
    expect(complete.answer).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('the start of a callback whose head never completes: after a few seconds (not the 10 of an idle connection); the callback is still answered', async () => {
    const listener = await listening.start('state');
    const stalled = await closedAfter(listener.port, `GET ${CALLBACK_PATH}?state=`);
    expect(stalled.answer).toBe('');
    expect(stalled.ms).toBeGreaterThan(2_000);
    expect(stalled.ms).toBeLessThan(8_000);
    const answer = await fetch(`http://127.0.0.1:${listener.port}${CALLBACK_PATH}?state=state&code=real`);
    expect(answer.status).toBe(200);
  }, 15_000);
});
