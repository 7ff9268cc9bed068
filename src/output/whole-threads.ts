/**
 * Writers of whole conversations (`thread --format`): text for people — each thread under
 * `==> ID (N messages) <==`, each message as `show` prints it —, JSON and NDJSON thread
 * objects for scripts. (The mbox format is show's mbox writer over the raw messages.) Each
 * thread is written as soon as it is its turn.
 */
import type { IO } from '../basics/io.js';
import { jsonItemWriter, type ItemWriter } from './formats.js';
import type { ThreadObject } from './objects.js';
import { messageAsText } from './whole-messages.js';

export const THREAD_FORMATS = ['text', 'json', 'ndjson', 'mbox'] as const;
export type ThreadFormat = (typeof THREAD_FORMATS)[number];

type ThreadWriter = ItemWriter<ThreadObject>;

export function createThreadWriter(format: Exclude<ThreadFormat, 'mbox'>, io: IO): ThreadWriter {
  switch (format) {
    case 'text':
      return textWriter(io);
    case 'json':
    case 'ndjson':
      return jsonItemWriter<ThreadObject>(format, io);
  }
}

/**
 * `==> ID (N messages) <==` (as `head` marks files), then each message oldest first as
 * `show` prints it, under a dim `--- i/N ID ---` line; a blank line between threads.
 */
function textWriter(io: IO): ThreadWriter {
  let written = 0;
  return {
    async write(thread) {
      const count = thread.messages.length;
      const lines = [...(written > 0 ? [''] : []), io.out.bold(`==> ${thread.id} (${count} ${count === 1 ? 'message' : 'messages'}) <==`)];
      thread.messages.forEach((message, index) => {
        lines.push(...(index > 0 ? [''] : []), io.out.dim(`--- ${index + 1}/${count} ${message.id} ---`), ...messageAsText(message, io));
      });
      written += 1;
      await io.write(`${lines.join('\n')}\n`);
    },
    async end() {},
  };
}
