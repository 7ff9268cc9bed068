export { createMessageWriter, createThreadSummaryWriter, defaultFormat, OUTPUT_FORMATS, type OutputFormat } from './formats.js';
export type { MessageWriter, Outcome } from './writer.js';
