/**
 * What `gmailctl mcp` and `gmailctl schema` run that no other command needs: the official
 * Model Context Protocol SDK (its server and stdio transport) and zod with the schemas of the
 * JSON objects gmailctl prints. The bundle builds this module into dist/mcp-libraries.js,
 * loaded on first use with a V8 code cache like dist/google-libraries.js (src/libraries/load.ts),
 * so neither the SDK nor zod is part of the app that every other command starts.
 */
export { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
export { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
export { z } from 'zod';
export * as schemas from '../schemas/objects.js';
