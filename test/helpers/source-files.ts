/** The TypeScript sources of a folder, for tests that read the code itself (imports, literals). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The .ts files below `dir` (none if it does not exist), tests left out. */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}
