/**
 * Runs one checkpoint file through test/bench/convert-memory.child.ts in a fresh Node process
 * and returns its report. Shared by the reader's memory tests and the benchmark.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import type { ChildReport } from './convert-memory.child.js';

export type { ChildReport } from './convert-memory.child.js';

const CHILD = fileURLToPath(new URL('./convert-memory.child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Converts `file` in a child process (`mode` `read`: only `readTorchCheckpoint`). */
export function measureInChild(file: string, mode: 'convert' | 'read' = 'convert'): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--conditions=source', '--import', 'tsx', CHILD, file, mode],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20, timeout: 120_000 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line === undefined) {
          reject(new Error(`child failed on ${file}: ${error?.message ?? ''}\n${stderr.slice(-2000)}`));
          return;
        }
        resolve(JSON.parse(line) as ChildReport);
      },
    );
  });
}

/**
 * The memory bound stated in packages/convert/README.md for reading a checkpoint: at most
 * min(5 × S, maxBytes) + 64 × P + 32 MiB over what the process held before, where S is the bytes of
 * storage the state_dict references and P the bytes of pickle data (at most the file's size).
 */
export function readerMemoryBound(referencedBytes: number, pickleBytes: number, maxBytes = 512 * 2 ** 20): number {
  return Math.min(5 * referencedBytes, maxBytes) + 64 * pickleBytes + 32 * 2 ** 20;
}
