/**
 * Benchmark of the checkpoint reader's memory and time: peak RSS (over what the process held
 * before) and CPU / wall time of `convertCheckpoint` — and of `readTorchCheckpoint` alone — for a
 * full-size BagNet-33 checkpoint (legacy and zip) and for each attack class of
 * test/bad-inputs/attacks.ts, each in a fresh child process, next to the bound that
 * packages/convert/README.md states.
 *
 *     node --conditions=source --import tsx test/bench/convert-memory.ts [--checkpoints DIR] [--keep]
 *
 * The full-size checkpoints are made in a temporary folder by the fixture generator
 * ($BAGNET_REFERENCE, default ../shared/reference/make_fixture.py) with /usr/bin/python3 and torch
 * (about 1.5 min each on 2 cores); --checkpoints reuses a folder it already filled. Without torch
 * the attack classes are measured alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { attacks } from '../bad-inputs/attacks.js';
import { measureInChild, readerMemoryBound } from './convert-memory.run.js';
import type { ChildReport } from './convert-memory.run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: { checkpoints: { type: 'string' }, keep: { type: 'boolean', default: false } },
});

const mib = (n: number) => (n / 2 ** 20).toFixed(1);
const rows: string[][] = [
  ['input', 'file', 'surface', 'outcome', 'CPU ms', 'wall ms', 'peak RSS +MiB', 'bound MiB', 'usable after'],
];
function row(input: string, r: ChildReport, bound: number | undefined): void {
  rows.push([
    input,
    `${mib(r.fileBytes)} MiB`,
    r.mode,
    r.error === 'none' ? `ok: ${r.message}` : r.error,
    r.cpuMs.toFixed(0),
    r.wallMs.toFixed(0),
    mib(r.peakExtraBytes),
    bound === undefined ? '—' : mib(bound),
    r.usableAfter ? 'yes' : 'NO',
  ]);
}

function fullSizeCheckpoints(work: string): string[] {
  let dir = values.checkpoints === undefined ? undefined : resolve(values.checkpoints);
  if (dir === undefined) {
    const python = '/usr/bin/python3';
    const reference = resolve(ROOT, process.env['BAGNET_REFERENCE'] ?? '../shared/reference/make_fixture.py');
    const torch =
      existsSync(python) && spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
    if (!torch || !existsSync(reference)) {
      console.log(`full-size checkpoint skipped: needs ${python} with torch and ${reference}`);
      return [];
    }
    dir = join(work, 'fixtures');
    for (const extra of [[], ['--zip']]) {
      console.log(`making a full-size BagNet-33 checkpoint${extra.length > 0 ? ' (zip)' : ' (legacy)'} in ${dir} …`);
      const r = spawnSync(python, [reference, '--q', '33', '--heatmap', 'off', ...extra, '--out', dir], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) throw new Error(`${reference} failed with exit code ${r.status}`);
    }
  }
  const found: string[] = [];
  for (const sub of readdirSync(dir)) {
    if (!sub.startsWith('bagnet33_c1000_')) continue;
    for (const f of readdirSync(join(dir, sub))) if (f.endsWith('.pth.tar')) found.push(join(dir, sub, f));
  }
  return found.sort();
}

const work = mkdtempSync(join(tmpdir(), 'bagnet-convert-memory-'));
try {
  for (const file of fullSizeCheckpoints(work)) {
    const name = `BagNet-33 ${file.endsWith('_zip.pth.tar') ? 'zip' : 'legacy'}`;
    const size = statSync(file).size;
    let bound: number | undefined;
    for (const mode of ['read', 'convert'] as const) {
      const r = await measureInChild(file, mode);
      if (mode === 'read') {
        // Every storage of the (float32) checkpoint is referenced: S = 4 bytes per value read, and
        // the pickles are the rest of the file.
        const values = Number(/(\d+) values/.exec(r.message)?.[1] ?? Number.NaN);
        bound = readerMemoryBound(4 * values, size - 4 * values);
      }
      row(name, r, mode === 'read' ? bound : undefined);
    }
  }
  for (const attack of await attacks()) {
    const file = join(work, `${attack.id}.pth`);
    writeFileSync(file, attack.bytes);
    for (const mode of ['read', 'convert'] as const) {
      const r = await measureInChild(file, mode);
      row(attack.id, r, readerMemoryBound(attack.referencedBytes, attack.bytes.length));
    }
    rmSync(file);
  }
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(`| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`);
console.log(
  '\npeak RSS +MiB: the child’s peak RSS minus its RSS just before the call (modules loaded, file read); ' +
    'bound: min(5 × referenced storage, maxBytes) + 64 × pickle bytes + 32 MiB (packages/convert/README.md), for the reader; ' +
    'for the attacks the whole file counts as pickle.',
);
