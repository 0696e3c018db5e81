/**
 * Child process of the reader's memory tests and benchmark: converts one checkpoint file with
 * `convertCheckpoint` and prints, as one JSON line, how it ended, its CPU and wall time and the
 * process's peak RSS over what it held before. Then, in the same process, it converts the tiny
 * BagNet-9 fixture through the same API and reports whether that worked ("usable after").
 *
 *     node --expose-gc --conditions=source --import tsx test/bench/convert-memory.child.ts FILE [convert|read]
 *
 * `read` measures `readTorchCheckpoint` alone (the reader whose bound packages/convert/README.md
 * states); `convert` (default) the whole conversion to a BagNet.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { useBackend } from '@bagnet-vis/core';
import { convertCheckpoint, readTorchCheckpoint } from '@bagnet-vis/convert';

/** What the child prints. */
export interface ChildReport {
  readonly file: string;
  readonly mode: 'convert' | 'read';
  readonly fileBytes: number;
  /** `none` when the conversion succeeded, else the error's class name. */
  readonly error: string;
  readonly message: string;
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Peak RSS of the process minus its RSS just before the conversion, in bytes. */
  readonly peakExtraBytes: number;
  /** RSS before the conversion (modules loaded, file read), in bytes. */
  readonly baselineBytes: number;
  /** Whether a good checkpoint converted afterwards in the same process. */
  readonly usableAfter: boolean;
}

const GOOD = fileURLToPath(
  new URL(
    '../fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111/bagnet9_c3_s0_w0.03125_b1111_zip.pth.tar',
    import.meta.url,
  ),
);

const gc = (globalThis as { gc?: () => void }).gc;
const file = process.argv[2];
const mode = process.argv[3] ?? 'convert';
if (file === undefined || (mode !== 'convert' && mode !== 'read')) {
  throw new Error('usage: convert-memory.child.ts FILE [convert|read]');
}
await useBackend('cpu');
const good = new Uint8Array(readFileSync(GOOD));
const bytes = new Uint8Array(readFileSync(file));
gc?.();
const baseline = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
let error = 'none';
let message = '';
try {
  if (mode === 'read') {
    const stateDict = readTorchCheckpoint(bytes, { fileName: 'model.pth' });
    let values = 0;
    for (const t of stateDict.values()) values += t.data.length;
    message = `${stateDict.size} tensors, ${values} values`;
  } else {
    const net = await convertCheckpoint(bytes, { fileName: 'model.pth' });
    message = `${net.numClasses} classes, q = ${net.receptiveField}`;
    net.dispose();
  }
} catch (e) {
  error = e instanceof Error ? e.name : typeof e;
  message = e instanceof Error ? e.message : String(e);
}
const wallMs = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const peak = process.resourceUsage().maxRSS * 1024;

let usableAfter = false;
try {
  const net = await convertCheckpoint(good, { fileName: 'good.pth' });
  usableAfter = net.receptiveField === 9 && net.numClasses === 3;
  net.dispose();
} catch {
  usableAfter = false;
}
const report: ChildReport = {
  file,
  mode,
  fileBytes: bytes.length,
  error,
  message: message.slice(0, 400),
  cpuMs: (cpu.user + cpu.system) / 1000,
  wallMs,
  peakExtraBytes: Math.max(0, peak - baseline),
  baselineBytes: baseline,
  usableAfter,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
