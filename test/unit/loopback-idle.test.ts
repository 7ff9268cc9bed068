/**
 * The login listener drops a connection that stays silent for 10 s (README, Security: "the
 * listener cannot be starved"), so that connections opened and left idle by anyone on the
 * machine do not pile up until the real callback finds no file descriptor. Run on the
 * listener as the login starts it, with its own timings: the wait is real, about 10 s.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CALLBACK_PATH } from '../../src/auth/loopback.js';
import { useLoopbackListener } from '../helpers/use-listener.js';

const STATE = 'expected-state-0123456789abcdefghijklmnop';

/** Opens a connection and resolves once it is open; `ended` settles when the other side closes it. */
function openConnection(port: number): Promise<{ socket: Socket; ended: Promise<'closed by the listener' | 'error'> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      const ended = new Promise<'closed by the listener' | 'error'>((settle) => {
        socket.on('end', () => settle('closed by the listener'));
        socket.on('close', () => settle('closed by the listener'));
        socket.on('error', () => settle('error'));
      });
      resolve({ socket, ended });
    });
    socket.once('error', reject);
  });
}

describe('the login listener and silent connections', () => {
  const listening = useLoopbackListener();

  it('drops a connection that sends nothing (after 10 s of silence) and still answers the real callback', async () => {
    const listener = await listening.start(STATE);
    const silent = await openConnection(listener.port);
    listening.track(silent.socket);
    // A generous outer bound, so that a listener that never drops it fails here, not by the test's timeout.
    const stillOpen = new Promise<string>((resolve) => setTimeout(() => resolve('still open after 25 s'), 25_000).unref());
    expect(await Promise.race([silent.ended, stillOpen])).toBe('closed by the listener');
    const answer = await fetch(`http://127.0.0.1:${listener.port}${CALLBACK_PATH}?state=${STATE}&code=real-code`);
    expect(answer.status).toBe(200);
    await expect(listener.accepted).resolves.toEqual({ kind: 'code', code: 'real-code' });
  }, 30_000);
});
