/**
 * `gmailctl schema NAME`: the JSON Schema (draft 2020-12) of the objects a command prints in
 * JSON, generated from the same declarations the code's types come from (src/schemas/), and
 * the same schemas `gmailctl mcp` publishes as its tools' output schemas.
 */
import { Argument } from '@commander-js/extra-typings';
import { SCHEMA_NAMES, SCHEMA_SUBJECTS } from '../schemas/names.js';
import type { CommandContext, ContextSource } from './context.js';
import { newCommand } from './define.js';

function defineSchema() {
  return newCommand('schema', 'print the JSON Schema of the objects a command prints in JSON', [
    'gmailctl schema show > show.schema.json',
    'gmailctl schema              # the names, one a line',
    `gmailctl schema list | jq '.properties | keys'`,
  ])
    .addArgument(new Argument('[name]', 'which objects (leave it out for the list of names)').choices(SCHEMA_NAMES))
    .addHelpText('after', `\nNames:\n${SCHEMA_NAMES.map((name) => `  ${name.padEnd(13)} ${SCHEMA_SUBJECTS[name]}`).join('\n')}`);
}

export function schemaCommand(context: ContextSource) {
  return defineSchema().action((name) => runSchema(context(), name));
}

async function runSchema({ io }: CommandContext, name: (typeof SCHEMA_NAMES)[number] | undefined): Promise<void> {
  if (name === undefined) {
    await io.write(SCHEMA_NAMES.map((each) => `${each}\n`).join(''));
    return;
  }
  const { loadMcpLibraries } = await import('../libraries/load.js');
  const { schemas } = await loadMcpLibraries();
  await io.write(`${JSON.stringify(schemas.jsonSchemaOf(name), null, 2)}\n`);
}
