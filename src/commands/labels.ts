/**
 * `gmailctl labels`: every label of the mailbox with its message and thread counts (total and
 * unread): system labels first, then the user's by name. One labels.list call, and one
 * labels.get per label (1 quota unit each) batched, unless --no-counts. The names are kept
 * for shell completion of --label.
 */
import { Option } from '@commander-js/extra-typings';
import { InterruptedError } from '../basics/errors.js';
import { toSingleLine } from '../basics/single-line.js';
import { LABEL_FORMATS, type LabelFormat } from '../output/formats.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';
import { parseAccount } from './options.js';

function defineLabels() {
  return newCommand('labels', 'list every label with its message and thread counts (total and unread)', [
    'gmailctl labels',
    `gmailctl labels --format json | jq '.[] | select(.id == "INBOX").messagesUnread'   # unread in INBOX`,
    `gmailctl labels --format tsv | awk -F'\\t' '$1 == "INBOX" { print $5 }'`,
    'gmailctl labels --no-counts --format tsv | cut -f2   # names only: one call',
  ])
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, tsv otherwise)').choices(LABEL_FORMATS))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'))
    .option('--no-counts', 'leave out the counts: one labels.list call instead of one labels.get per label')
    .option('--account <email>', 'account to use (default: $GMAILCTL_ACCOUNT or the default account)', parseAccount);
}

type LabelsFlags = ReturnType<ReturnType<typeof defineLabels>['opts']>;

export function labelsCommand(context: ContextSource) {
  return defineLabels().action((flags) => runLabels(context(), flags));
}

async function runLabels(context: CommandContext, flags: LabelsFlags): Promise<void> {
  const { io, signal } = context;
  const format: LabelFormat = flags.format ?? (flags.json ? 'json' : io.isStdoutTTY ? 'table' : 'tsv');
  const [{ readLabels }, { toLabelObjects, writeLabels }, mailbox] = await Promise.all([import('../gmail/labels.js'), import('../output/labels.js'), context.mailbox(flags.account)]);
  try {
    const labels = toLabelObjects(await readLabels(mailbox, { counts: flags.counts }), flags.counts);
    await writeLabels(io, format, labels);
    // A login from the environment (CI) leaves no file behind.
    if ((await context.environmentLogin()) === undefined) {
      const { rememberLabelNames } = await import('../cache/label-names.js');
      await rememberLabelNames(context.env, mailbox.session.account, labels.map((label) => label.name));
    }
  } catch (error) {
    // A closed stdout or Ctrl-C makes in-flight requests fail with an abort: a normal end.
    if (!mailbox.signal.aborted) throw error;
  } finally {
    await mailbox.close();
  }
  if (signal.aborted && !io.stdoutClosed.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/** Registered hidden: the completion scripts call it for --label's values. No keychain, no network. */
export async function runLabelNames(context: CommandContext): Promise<void> {
  const [account, { knownLabelNames }] = await Promise.all([context.account(undefined).catch(() => undefined), import('../cache/label-names.js')]);
  // A name with a control or bidi character (labels are named by whoever has the mailbox) is not offered.
  const plain = (name: string): boolean => name !== '' && toSingleLine(name) === name;
  const names = new Set(['INBOX', 'UNREAD', 'STARRED', 'IMPORTANT', 'SENT', 'DRAFT', 'SPAM', 'TRASH', ...(account ? knownLabelNames(context.env, account).filter(plain) : [])]);
  await context.io.write(`${[...names].join('\n')}\n`);
}
