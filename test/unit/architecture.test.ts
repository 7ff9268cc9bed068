/**
 * The shape of src/, checked over its text: settings come from the environment in one
 * place, and imports run one way (commands → auth → gmail/store → the leaves) without cycles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

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

/** The layer of a module: its folder under src/, or "root" for src/*.ts. */
function layer(file: string): string {
  return file.includes('/') ? file.split('/')[0]! : 'root';
}

describe('the shape of src/', () => {
  it('reads process.env only in src/basics/environment.ts', () => {
    const readers = sourceFiles().filter((file) => file !== 'basics/environment.ts' && /\bprocess\.env\b/.test(code(file)));
    expect(readers).toEqual([]);
  });

  it('imports only modules that exist (the graph below is complete)', () => {
    const files = new Set(sourceFiles());
    const missing = sourceFiles().flatMap((file) => importsOf(file).filter((target) => !files.has(target)).map((target) => `${file} → ${target}`));
    expect(missing).toEqual([]);
  });

  it('has no import from gmail/, store/ or output/ up to auth/ or commands/, and none from auth/ up to commands/', () => {
    const forbidden: Record<string, string[]> = {
      gmail: ['auth', 'commands'],
      store: ['auth', 'commands', 'gmail'],
      output: ['auth', 'commands', 'store'],
      auth: ['commands'],
    };
    const upward = sourceFiles().flatMap((file) =>
      importsOf(file)
        .filter((target) => forbidden[layer(file)]?.includes(layer(target)))
        .map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    const graph = new Map(sourceFiles().map((file) => [file, importsOf(file)]));
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
    expect(cycles).toEqual([]);
  });
});
