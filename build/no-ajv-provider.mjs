// Stands in for the MCP SDK's validation/ajv-provider.js in dist/mcp-libraries.js. The SDK's
// Server builds an Ajv instance when it starts, for one use only: checking what a client
// answers to an elicitation (a form the server asks the user to fill in). gmailctl's server
// asks the client nothing, so Ajv and its formats (about 280 KB to compile and run at every
// `gmailctl mcp` start) are left out; if a future tool elicited, this says so at once.
export class AjvJsonSchemaValidator {
  getValidator() {
    throw new Error('gmailctl mcp validates no JSON Schema from the client: it asks the client nothing (build/no-ajv-provider.mjs)');
  }
}
