/**
 * `gmailctl completion bash|zsh|fish`: a completion script generated from the commander
 * program itself, so it can never drift from the real commands and flags. Account emails
 * are completed from config.json through the hidden `gmailctl __accounts` (no keychain
 * access, so it is instant and never prompts).
 */
import { Argument, Command, type CommandUnknownOpts, type Option } from '@commander-js/extra-typings';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

export function completionCommand(context: ContextSource) {
  return newCommand('completion', 'print a shell completion script (commands, flags, formats, stored accounts)', [
    'gmailctl completion bash > ~/.local/share/bash-completion/completions/gmailctl',
    'source <(gmailctl completion zsh)          # in ~/.zshrc',
    'gmailctl completion fish > ~/.config/fish/completions/gmailctl.fish',
  ])
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .action((shell, _flags, command) => runCompletion(context(), shell, command.parent ?? command));
}

/** The script for the whole program that `completion` belongs to. */
export async function runCompletion({ io }: CommandContext, shell: Shell, program: CommandUnknownOpts): Promise<void> {
  await io.write(completionScript(shell, program));
}

/** Registered hidden: the completion scripts call it for --label's values (names `gmailctl labels` last saw). */
export function labelNamesCommand(context: ContextSource) {
  return new Command('__labels')
    .description('print the label names known for the account (for shell completion)')
    .action(async () => {
      const { runLabelNames } = await import('./labels.js');
      await runLabelNames(context());
    });
}

/** Registered hidden: the completion scripts call it for --account's values. */
export function accountsCommand(context: ContextSource) {
  return new Command('__accounts')
    .description('print the stored account addresses (for shell completion)')
    .action(() => runAccounts(context()));
}

interface CommandSpec {
  name: string;
  description: string;
  /** Values of a positional argument with fixed choices (completion's shell), and subcommands (cache clear). */
  values: readonly string[];
  /** Its positional argument is an account address (switch): completed from the stored logins. */
  takesAccount: boolean;
  options: Array<{ long?: string; short?: string; description: string; takesValue: boolean; choices?: readonly string[] }>;
}

function describeProgram(program: CommandUnknownOpts): { globals: CommandSpec['options']; commands: CommandSpec[] } {
  const help = program.createHelp();
  const visible = new Set(help.visibleCommands(program));
  // The flags of these commands together (a command and its subcommands), each flag once.
  const options = (...commands: CommandUnknownOpts[]): CommandSpec['options'] =>
    commands
      .flatMap((command) => [...command.options, command.createHelp().visibleOptions(command).find((o) => o.long === '--help')])
      .filter((o): o is Option => o !== undefined && !o.hidden)
      .filter((o, i, all) => all.findIndex((other) => other.long === o.long) === i)
      .map((o) => ({
        ...(o.long ? { long: o.long } : {}),
        ...(o.short ? { short: o.short } : {}),
        description: o.description,
        takesValue: o.required || o.optional,
        ...(o.argChoices ? { choices: o.argChoices } : {}),
      }));
  return {
    globals: options(program),
    // visibleCommands() leaves hidden ones out, and adds `help`, which is not completed.
    // A command's subcommands (cache clear) are completed as its values, and their flags
    // with its own: the scripts key on the first word, and no two subcommands' flags clash.
    commands: program.commands
      .filter((c) => visible.has(c))
      .map((c) => {
        const subcommands = c.createHelp().visibleCommands(c).filter((sub) => c.commands.includes(sub));
        return {
          name: c.name(),
          description: c.description(),
          values: [...c.registeredArguments.flatMap((a) => a.argChoices ?? []), ...subcommands.map((sub) => sub.name())],
          takesAccount: c.registeredArguments.some((a) => a.name() === 'account'),
          options: options(c, ...subcommands),
        };
      }),
  };
}

function completionScript(shell: Shell, program: CommandUnknownOpts): string {
  const spec = describeProgram(program);
  return shell === 'fish' ? fishScript(spec) : bashScript(spec, shell === 'zsh');
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function bashScript(spec: ReturnType<typeof describeProgram>, forZsh: boolean): string {
  const flags = (opts: CommandSpec['options']): string => opts.flatMap((o) => [o.long, o.short].filter(Boolean)).join(' ');
  // Keyed by "command:flag": two commands may give one flag different values (--format).
  const valueCases = new Map<string, string>();
  const scoped = [...spec.globals.map((o) => ({ scope: '*', o })), ...spec.commands.flatMap((c) => c.options.map((o) => ({ scope: c.name, o })))];
  for (const { scope, o } of scoped) {
    if (!o.long || !o.takesValue) continue;
    const names = [o.long, o.short]
      .filter(Boolean)
      .map((name) => `${scope}:${name}`)
      .join('|');
    if (o.choices) valueCases.set(names, `COMPREPLY=($(compgen -W ${quote(o.choices.join(' '))} -- "$cur"))`);
    else if (o.long === '--account') valueCases.set(names, '_gmailctl_accounts');
    else if (o.long === '--label') valueCases.set(names, '_gmailctl_labels');
    else if (o.long === '--credentials') valueCases.set(names, 'COMPREPLY=($(compgen -f -- "$cur"))');
    else if (o.long === '--save-attachments') valueCases.set(names, 'COMPREPLY=($(compgen -d -- "$cur"))');
    else valueCases.set(names, 'COMPREPLY=()');
  }
  const lines = [
    '# gmailctl completion for ' + (forZsh ? 'zsh' : 'bash') + '. Load it with:',
    `#   source <(gmailctl completion ${forZsh ? 'zsh' : 'bash'})`,
    ...(forZsh ? ['autoload -U +X bashcompinit && bashcompinit'] : []),
    // Stored addresses, offered as they are: never through compgen -W, which expands words ($(…), `…`).
    // Label names likewise, one a line, spaces and all (Work/Big projects).
    '_gmailctl_lines() {',
    '  local line',
    '  while IFS= read -r line; do',
    '    [[ "$line" == "$cur"* ]] && COMPREPLY+=("$line")',
    '  done < <(gmailctl "$1" 2>/dev/null)',
    '}',
    '_gmailctl_accounts() { _gmailctl_lines __accounts; }',
    '_gmailctl_labels() { _gmailctl_lines __labels; }',
    '_gmailctl() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" word',
    '  for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do',
    '    case "$word" in -*) ;; *) cmd="$word"; break ;; esac',
    '  done',
    '  case "$cmd:$prev" in',
    ...[...valueCases].map(([names, action]) => `    ${names}) ${action}; return ;;`),
    '  esac',
    '  case "$cmd" in',
    `    "") COMPREPLY=($(compgen -W ${quote([...spec.commands.map((c) => c.name), flags(spec.globals)].join(' '))} -- "$cur")) ;;`,
    ...spec.commands.map((c) => {
      const words = quote([...c.values, flags(c.options)].join(' '));
      return `    ${c.name}) COMPREPLY=($(compgen -W ${words} -- "$cur"))${c.takesAccount ? '; _gmailctl_accounts' : ''} ;;`;
    }),
    '  esac',
    '}',
    'complete -F _gmailctl gmailctl',
  ];
  return `${lines.join('\n')}\n`;
}

function fishScript(spec: ReturnType<typeof describeProgram>): string {
  const lines = ['# gmailctl completion for fish. Load it with:', '#   gmailctl completion fish | source', 'complete -c gmailctl -f'];
  const option = (condition: string, o: CommandSpec['options'][number]): string => {
    const parts = ['complete -c gmailctl', `-n ${quote(condition)}`];
    if (o.long) parts.push(`-l ${o.long.slice(2)}`);
    if (o.short) parts.push(`-s ${o.short.slice(1)}`);
    if (o.choices) parts.push(`-xa ${quote(o.choices.join(' '))}`);
    else if (o.long === '--account') parts.push(`-xa ${quote('(gmailctl __accounts 2>/dev/null)')}`);
    else if (o.long === '--label') parts.push(`-xa ${quote('(gmailctl __labels 2>/dev/null)')}`);
    else if (o.long === '--credentials') parts.push('-rF');
    else if (o.long === '--save-attachments') parts.push(`-xa ${quote('(__fish_complete_directories)')}`);
    else if (o.takesValue) parts.push('-x');
    parts.push(`-d ${quote(o.description)}`);
    return parts.join(' ');
  };
  for (const o of spec.globals) lines.push(option('__fish_use_subcommand', o));
  for (const c of spec.commands) {
    lines.push(`complete -c gmailctl -n '__fish_use_subcommand' -a ${c.name} -d ${quote(c.description)}`);
    if (c.values.length > 0) lines.push(`complete -c gmailctl -n ${quote(`__fish_seen_subcommand_from ${c.name}`)} -a ${quote(c.values.join(' '))}`);
    if (c.takesAccount) lines.push(`complete -c gmailctl -n ${quote(`__fish_seen_subcommand_from ${c.name}`)} -xa ${quote('(gmailctl __accounts 2>/dev/null)')}`);
    for (const o of c.options) lines.push(option(`__fish_seen_subcommand_from ${c.name}`, o));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What a completion may offer: an address of plain characters. A shell inserts a completion
 * into the command line as it is, so an address holding `$(…)`, a quote or an escape
 * sequence (Google's getProfile answered it; a hostile server could answer anything) is
 * left out rather than typed for the user.
 */
const COMPLETABLE_ADDRESS = /^[A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+$/;

/** The hidden `__accounts`: stored addresses from config.json, one per line (those safe to offer). */
export async function runAccounts({ io, config }: CommandContext): Promise<void> {
  const { settings } = await config().catch(() => ({ settings: { accounts: [] as string[] } }));
  const accounts = (settings.accounts ?? []).filter((account) => COMPLETABLE_ADDRESS.test(account));
  if (accounts.length > 0) await io.write(`${accounts.join('\n')}\n`);
}
