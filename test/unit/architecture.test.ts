/**
 * The shape of src/, checked over its text: settings come from the environment in one
 * place, every folder of src/ is a layer with a rank, imports run only down the ranks (or
 * within a folder), no file lies loose at the root, and there is no cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * The layers of src/, highest first: a module may import from its own folder and from the
 * folders below its own, never from one above. A new folder must be given its place here.
 */
const LAYERS = [
  'entry', //     the process entry, the program (global flags, command registration, exit codes), code loading
  'commands', //  one module per command: flags and help, then use case → output
  'auth', //      client credentials, login and logout flows, sessions, the mailbox of an account
  'cache', //     the message cache (SQLite) and its paths
  'mail', //      reading a message: MIME, readable text, attachments
  'output', //    the writers (ids, tsv, table, json, ndjson, shown messages)
  'gmail', //     Google's client: requests, retries, quota pacing, batching, listing, error translation
  'store', //     token stores (keychain, file) and the workspace that picks one
  'libraries', // Google's libraries and the Secret Service unlock, loaded on first use
  'basics', //    process-level pieces: io, errors, environment, config, redaction, private paths
  'schemas', //   the JSON objects gmailctl prints, declared once (zod): their types and published JSON Schemas
] as const;

/** Every .ts file under src/, as a path relative to src/ with forward slashes. */
function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.split(path.sep).join('/'))
    .sort();
}

/** The code without its comments, so that prose may name what code must not do. */
function code(file: string): string {
  return readFileSync(path.join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The src/ modules a file imports (static, type-only and dynamic imports alike). */
function importsOf(file: string): string[] {
  const found: string[] = [];
  for (const match of code(file).matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!)).replace(/\.js$/, '.ts');
    found.push(target);
  }
  return found;
}

type Graph = ReadonlyMap<string, readonly string[]>;

function sourceGraph(): Graph {
  return new Map(sourceFiles().map((file) => [file, importsOf(file)]));
}

/** A module's folder under src/ ("" for a file at the root). */
function folder(file: string): string {
  return file.includes('/') ? file.split('/')[0]! : '';
}

/**
 * What breaks the layering: a file at the root or in a folder without a rank, and every
 * import of a module in a higher folder (or in one that has no rank).
 */
function layeringFaults(graph: Graph, layers: readonly string[] = LAYERS): string[] {
  const rank = (file: string): number => layers.indexOf(folder(file));
  const faults: string[] = [];
  for (const [file, targets] of graph) {
    if (rank(file) < 0) faults.push(`${file} is in no layer`);
    for (const target of targets) {
      if (folder(target) !== folder(file) && (rank(target) < 0 || rank(target) < rank(file))) faults.push(`${file} → ${target}`);
    }
  }
  return faults;
}

/** Every import cycle, as "a → b → a". */
function importCycles(graph: Graph): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return cycles;
}

describe('the shape of src/', () => {
  it('reads process.env only in src/basics/environment.ts', () => {
    const readers = sourceFiles().filter((file) => file !== 'basics/environment.ts' && /\bprocess\.env\b/.test(code(file)));
    expect(readers).toEqual([]);
  });

  it('has no command read an environment variable itself: it asks its context (src/commands/context.ts)', () => {
    const readers = sourceFiles().filter((file) => file.startsWith('commands/') && file !== 'commands/context.ts' && /\benv(?:\.[A-Z_]|\[)/.test(code(file)));
    expect(readers).toEqual([]);
  });

  it('imports only modules that exist (the graph below is complete)', () => {
    const files = new Set(sourceFiles());
    const missing = sourceFiles().flatMap((file) => importsOf(file).filter((target) => !files.has(target)).map((target) => `${file} → ${target}`));
    expect(missing).toEqual([]);
  });

  it('has every folder of src/ in a layer, no file at its root, and no import from a lower layer up to a higher one', () => {
    expect(layeringFaults(sourceGraph())).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(sourceGraph())).toEqual([]);
  });
});

describe('the layering check itself', () => {
  const graph = sourceGraph();

  it('ranks exactly the folders that src/ has', () => {
    expect(new Set([...graph.keys()].map(folder))).toEqual(new Set(LAYERS));
  });

  // One planted import in each folder but the highest, up to the folder just above it
  // (the nearest rank, where a wrong order would hide): each must be caught.
  it.each(LAYERS.slice(1).map((layer, index) => [layer, LAYERS[index]!] as const))('catches an import from %s/ up to %s/', (lower, higher) => {
    const from = [...graph.keys()].find((file) => folder(file) === lower)!;
    const to = [...graph.keys()].find((file) => folder(file) === higher)!;
    const planted = new Map(graph);
    planted.set(from, [...graph.get(from)!, to]);
    expect(layeringFaults(planted)).toEqual([`${from} → ${to}`]);
  });

  it('catches an import up from the lowest folder to the highest', () => {
    const planted = new Map(graph);
    const from = [...graph.keys()].find((file) => folder(file) === 'basics')!;
    planted.set(from, [...graph.get(from)!, 'entry/program.ts']);
    expect(layeringFaults(planted)).toEqual([`${from} → entry/program.ts`]);
  });

  it('catches a file at the root of src/, a folder without a rank, and an import of either', () => {
    const planted = new Map(graph);
    planted.set('loose.ts', ['basics/errors.ts']);
    planted.set('extra/thing.ts', []);
    planted.set('basics/errors.ts', [...graph.get('basics/errors.ts')!, 'loose.ts', 'extra/thing.ts']);
    expect(layeringFaults(planted).sort()).toEqual(['basics/errors.ts → extra/thing.ts', 'basics/errors.ts → loose.ts', 'extra/thing.ts is in no layer', 'loose.ts is in no layer']);
  });

  it('catches a cycle within a folder, where the ranks allow both imports', () => {
    const planted = new Map(graph);
    planted.set('gmail/http.ts', [...graph.get('gmail/http.ts')!, 'gmail/client.ts']);
    expect(importCycles(planted)).toContainEqual(expect.stringContaining('gmail/http.ts → gmail/client.ts'));
  });

  it('finds imports of every kind: static, type-only, export-from and dynamic', () => {
    expect(importsOf('entry/app.ts')).toEqual(expect.arrayContaining(['entry/program.ts', 'basics/io.ts', 'libraries/load.ts']));
    expect(importsOf('libraries/load.ts')).toEqual(expect.arrayContaining(['libraries/google.ts', 'libraries/secret-service-unlock.ts']));
    expect(importsOf('auth/mailbox.ts')).toContain('gmail/retry.ts');
  });
});
