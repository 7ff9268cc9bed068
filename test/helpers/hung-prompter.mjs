// A desktop unlock prompter that never answers: it takes gnome-keyring's system prompter name
// on the session bus and leaves every call to it without a reply, as a prompter stuck on a
// screen that nobody sees would. Prints "locked-keyring: prompter=ready" once it owns the name,
// and "locked-keyring: prompt=asked" for each prompt the keyring begins. Run by
// reliability-locked-keyring.sh --hung-prompter; it ends when its bus goes away or it is killed.
import { sessionBus } from '@jellybrick/dbus-next';

const bus = sessionBus();
bus.on('error', () => process.exit(0));
bus.addMethodHandler((message) => {
  if (message.member === 'BeginPrompting') process.stderr.write('locked-keyring: prompt=asked\n');
  return true; // handled, and never answered
});
const DO_NOT_QUEUE = 4;
await bus.requestName('org.gnome.keyring.SystemPrompter', DO_NOT_QUEUE);
process.stderr.write('locked-keyring: prompter=ready\n');
