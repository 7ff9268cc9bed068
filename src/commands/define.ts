/** The start every command's definition shares: its name, its one-line description, and the examples its help ends with. */
import { Command, Option } from '@commander-js/extra-typings';
import { parseAccount } from './options.js';

/** Each example is a shell line, shown after `$ `; a continuation line follows a `\n`. */
export function newCommand(name: string, description: string, examples: readonly string[]) {
  return new Command(name).description(description).addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}`);
}

/**
 * A command that acts on the default account, the one --account names, or --all of them
 * (not both): `logout` and `cache clear`. Its examples show the three ways.
 */
export function accountOrAllCommand(usage: string, description: string, help: { account: string; all: string }) {
  const name = usage.split(' ').at(-1)!;
  return newCommand(name, description, [usage, `${usage} --account work@example.com`, `${usage} --all`])
    .option('--account <email>', help.account, parseAccount)
    .addOption(new Option('--all', help.all).conflicts('account'));
}

/**
 * A command that prints objects by id — `show` (messages), `thread` (conversations): the ids
 * as arguments or one a line on stdin, and --format among `formats` (or --json).
 */
export function byIdCommand<Format extends string>(
  name: string,
  description: string,
  examples: readonly string[],
  help: { ids: string; stdin: string; format: string },
  formats: readonly Format[],
) {
  return newCommand(name, description, examples)
    .argument('[ids...]', help.ids)
    .option('--stdin', help.stdin)
    .addOption(new Option('--format <format>', help.format).choices(formats))
    .addOption(new Option('--json', 'same as --format json').conflicts('format'));
}
