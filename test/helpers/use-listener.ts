/**
 * The set-up that the login listener's own tests share: a listener started by the test on a
 * free port, and the connections the test opens to it; after each test every connection is
 * destroyed and the listener closed.
 */
import type { Socket } from 'node:net';
import { afterEach } from 'vitest';
import { startLoopbackListener, type LoopbackListener } from '../../src/auth/loopback.js';

export function useLoopbackListener(): {
  /** Starts the listener on a free port, expecting `expectedState`. */
  start(expectedState: string): Promise<LoopbackListener>;
  /** A connection to close after the test. */
  track(socket: Socket): Socket;
} {
  let listener: LoopbackListener | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await listener?.close();
    listener = undefined;
  });
  return {
    start: async (expectedState) => (listener = await startLoopbackListener({ port: 0, expectedState })),
    track: (socket) => (sockets.push(socket), socket),
  };
}
