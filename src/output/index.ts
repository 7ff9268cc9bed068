export { createMessageWriter, defaultFormat, OUTPUT_FORMATS, type MessageWriter, type Outcome, type OutputFormat } from './formats.js';
export type { MessageSummary } from './message.js';
