/**
 * Unlocks a locked Secret Service collection asynchronously, the way libsecret's clients do
 * (Service.Unlock, then Prompt.Prompt, then wait for the prompt's Completed signal), so that
 * the desktop's unlock prompt appears while gmailctl stays responsive: the wait ends at the
 * deadline or on Ctrl-C, never in a native call that blocks the process.
 *
 * Loaded only when secret-service-lock.ts found something locked, through a maintained D-Bus
 * library (@jellybrick/dbus-next, bundled into its own file of dist/: every other command
 * never loads it). It imports nothing else of gmailctl's.
 */
import { Message, MessageType, sessionBus, type MessageBus } from '@jellybrick/dbus-next';

type UnlockOutcome = { kind: 'unlocked' } | { kind: 'dismissed' } | { kind: 'timed-out' } | { kind: 'failed'; reason: string };

const SECRETS = 'org.freedesktop.secrets';
const SERVICE_PATH = '/org/freedesktop/secrets';
const NO_PROMPT = '/';

/** `socketPath` as secret-service-lock.ts found it (a leading NUL: an abstract socket). */
/** `onPrompt` is told when the unlock prompt is about to show. */
export async function unlockSecretService(socketPath: string, service: string, timeoutMs: number, onPrompt: () => void = () => undefined): Promise<UnlockOutcome> {
  const busAddress = socketPath.startsWith('\0') ? `unix:abstract=${socketPath.slice(1)}` : `unix:path=${socketPath}`;
  let bus: MessageBus | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<UnlockOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timed-out' }), timeoutMs);
  });
  try {
    bus = sessionBus({ busAddress });
    // The library reports a failed connection as an 'error' event, and leaves its calls pending.
    const lost = new Promise<UnlockOutcome>((resolve) => {
      (bus as unknown as NodeJS.EventEmitter).on('error', (error: Error) => resolve({ kind: 'failed', reason: firstLine(error) }));
    });
    // A prompt left unanswered is closed by disconnecting: the Secret Service drops the prompts
    // of a client that leaves. (Not Prompt.Dismiss: gnome-keyring 42 crashed on it while its
    // prompter had not answered.)
    return await Promise.race([unlock(bus, service, onPrompt), lost, deadline]);
  } catch (error) {
    return { kind: 'failed', reason: firstLine(error) };
  } finally {
    clearTimeout(timer);
    bus?.disconnect();
  }
}

async function unlock(bus: MessageBus, service: string, onPrompt: () => void): Promise<UnlockOutcome> {
  const targets = await lockedTargets(bus, service);
  if (targets.length === 0) return { kind: 'unlocked' };
  const [, prompt] = (await ask(bus, SERVICE_PATH, 'org.freedesktop.Secret.Service', 'Unlock', 'ao', [targets])) as [string[], string];
  if (prompt === NO_PROMPT) return { kind: 'unlocked' };
  const completed = promptCompleted(bus, prompt);
  await bus.call(
    new Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'AddMatch',
      signature: 's',
      body: [`type='signal',sender='${SECRETS}',interface='org.freedesktop.Secret.Prompt',member='Completed',path='${prompt}'`],
    }),
  );
  onPrompt();
  await ask(bus, prompt, 'org.freedesktop.Secret.Prompt', 'Prompt', 's', ['']); // no parent window
  return (await completed) ? { kind: 'dismissed' } : { kind: 'unlocked' };
}

/** gmailctl's locked items, and the default collection (where new items go) if it is locked. */
async function lockedTargets(bus: MessageBus, service: string): Promise<string[]> {
  const [, lockedItems] = (await ask(bus, SERVICE_PATH, 'org.freedesktop.Secret.Service', 'SearchItems', 'a{ss}', [{ service }])) as [string[], string[]];
  const [collection] = (await ask(bus, SERVICE_PATH, 'org.freedesktop.Secret.Service', 'ReadAlias', 's', ['default'])) as [string];
  if (collection === NO_PROMPT) return lockedItems;
  const [locked] = (await ask(bus, collection, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.freedesktop.Secret.Collection', 'Locked'])) as [{ value: unknown }];
  return locked.value === true ? [...lockedItems, collection] : lockedItems;
}

/** Resolves to `dismissed` when the prompt says it is done. */
function promptCompleted(bus: MessageBus, prompt: string): Promise<boolean> {
  return new Promise((resolve) => {
    bus.on('message', (message: Message) => {
      if (message.type === MessageType.SIGNAL && message.path === prompt && message.member === 'Completed') resolve(message.body[0] === true);
    });
  });
}

async function ask(bus: MessageBus, path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> {
  const reply = await bus.call(call(path, iface, member, signature, body));
  return reply?.body ?? [];
}

function call(path: string, iface: string, member: string, signature = '', body: unknown[] = []): Message {
  return new Message({ destination: SECRETS, path, interface: iface, member, signature, body });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() || 'unknown error';
}
