/** The words for what happened to the cache: commands print them on stderr. */
import type { ListCacheNotice } from './list-cache.js';

interface NoticeText {
  /** Warnings show even with --quiet; information does not. */
  level: 'warn' | 'info';
  text: string;
}

export function describeCacheNotice(notice: ListCacheNotice): NoticeText {
  switch (notice.kind) {
    case 'rebuilt': {
      const why = {
        corrupt: 'was damaged (not a readable database)',
        'newer-version': 'was written by a newer gmailctl',
        'older-version': 'was written by an older gmailctl',
        foreign: 'is not a gmailctl message cache of this account',
      }[notice.reason];
      return { level: 'warn', text: `The cache file ${notice.file} ${why}; it was deleted and is rebuilt.` };
    }
    case 'unusable':
      return { level: 'warn', text: `Not using the message cache: ${notice.reason}.${notice.fix ? ` ${notice.fix}` : ''}` };
    case 'failed':
      return {
        level: 'warn',
        text: `The message cache failed (${notice.reason}); this run goes on without it${notice.corrupt ? `, and ${notice.file} was deleted: the next run rebuilds it` : ''}.`,
      };
    case 'history-expired':
      return {
        level: 'info',
        text: `Gmail no longer has the mailbox history since the last run; the ${notice.dropped} cached messages were dropped and are fetched again.`,
      };
    case 'cursor-expired':
      return {
        level: 'warn',
        text: `--since-last ${notice.name}: Gmail no longer has the history since that run (it keeps about a week); listing every match, as on a first run.`,
      };
  }
}
