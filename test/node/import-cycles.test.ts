/**
 * No import cycles between the source modules of any package, type-only imports included: a cycle
 * means two files each need the other to be read, so neither reads top-down, and a value cycle
 * can hand a module an import that is still undefined. eslint-plugin-import's `no-cycle` ignores
 * `import type` and needs a TypeScript resolver, so the graph is built here, with TypeScript's own
 * import scanner (`ts.preProcessFile`), and its strongly connected components are listed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

import { sourceFiles } from '../helpers/source-files.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Each file's relative imports (static, dynamic, `import type`, re-exports) that are files of the set. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts')))
      .filter((p) => known.has(p));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** The cycles of a graph: its strongly connected components of more than one file, or a file that imports itself. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('import cycles', () => {
  it('finds a type-only cycle, a re-export cycle and a dynamic import cycle, and no cycle in a chain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bagnet-cycles-'));
    try {
      const write = (name: string, text: string) => {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      };
      write('a.ts', "import type { B } from './b.js';\nexport interface A { b?: B }\n");
      write('b.ts', "import type { A } from './a.js';\nexport interface B { a?: A }\n");
      write('c.ts', "export * from './sub/d.js';\nexport const c = 1;\n");
      write('sub/d.ts', "export const d = () => import('../c.js');\n");
      write('e.ts', "import { c } from './c.js';\nexport const e = c;\n");
      write('e.test.ts', "import { e } from './e.js';\nexport const t = e;\n");
      const found = importCycles(importGraph(sourceFiles(dir))).map((c) => c.map((f) => relative(dir, f)));
      assert.deepEqual(found.sort(), [
        ['a.ts', 'b.ts'],
        ['c.ts', 'sub/d.ts'],
      ]);
      // The same files with the cycles broken: none.
      write('b.ts', 'export interface B { n: number }\n');
      write('sub/d.ts', 'export const d = 2;\n');
      assert.deepEqual(importCycles(importGraph(sourceFiles(dir))), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('there are none in the packages’ sources', () => {
    const packages = readdirSync(join(ROOT, 'packages'));
    const files = packages.flatMap((p) => sourceFiles(join(ROOT, 'packages', p, 'src')));
    assert.ok(files.length > 100, `only ${files.length} source files found`);
    const cycles = importCycles(importGraph(files)).map((c) => c.map((f) => relative(ROOT, f)).join(' ↔ '));
    assert.deepEqual(cycles, []);
  });
});
