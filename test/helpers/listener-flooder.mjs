// Another local user starving the login listener (issue 23 item 4): holds COUNT connections
// to 127.0.0.1:PORT open, each having sent the start of a request and never the rest, and
// opens a new one as soon as one is closed, as a determined attacker would. Prints "holding"
// on stdout once it has opened COUNT (the listener may already be closing some), and how many
// it had to reopen when it gets SIGTERM.
//   node listener-flooder.mjs PORT COUNT [PARTIAL_REQUEST]
import { connect } from 'node:net';

const [port, count, partial = 'GET /oauth2callback?state='] = process.argv.slice(2);
let opened = 0;
let reopened = 0;
let announced = false;
let stopping = false;

function hold() {
  const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
    socket.write(partial);
    opened += 1;
    if (!announced && opened >= Number(count)) {
      announced = true;
      process.stdout.write('holding\n');
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', (hadError) => {
    if (stopping) return;
    reopened += 1;
    // A short pause, so that a listener that closes everything at once is not hammered in a tight loop.
    setTimeout(hold, hadError ? 50 : 5);
  });
}

for (let i = 0; i < Number(count); i += 1) hold();
process.on('SIGTERM', () => {
  stopping = true;
  process.stdout.write(`reopened ${reopened}\n`);
  process.exit(0);
});
