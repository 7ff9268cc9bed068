/**
 * Fault injection at SQLite's door, for what a test cannot make happen portably: a disk
 * that fills up between a read and a write. Statements whose SQL matches are prepared as
 * usual, but running one throws what better-sqlite3 throws when the disk is full (an
 * SqliteError with code SQLITE_FULL). Only in-process runs see it (the CLI run by main()
 * in this process loads the same better-sqlite3 module); reads are left alone.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** Makes writes whose SQL matches `pattern` fail as on a full disk; answers the undo. */
export function failSqliteWrites(pattern: RegExp): () => void {
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const prototype = Database.prototype as unknown as { prepare(this: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement };
  const original = prototype.prepare;
  prototype.prepare = function prepare(sql: string) {
    const statement = original.call(this, sql);
    if (!/^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql) || !pattern.test(sql)) return statement;
    return new Proxy(statement, {
      get(target, property, receiver) {
        if (property === 'run') {
          return () => {
            throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return () => {
    prototype.prepare = original;
  };
}
