/**
 * `npm run test:parity-full` — full-size parity of `bagnet convert` + `bagnet explain` with the
 * reference, for checkpoints too big to commit (55–83 MB each).
 *
 * 1. Generates full-size BagNet-9/17/33 checkpoints (ResNet-50 widths, 1000 classes, seeded random
 *    weights, legacy torch.save like the published files) and their expected outputs with
 *    ../shared/reference/make_fixture.py (path: $BAGNET_REFERENCE), which needs python3-torch;
 *    without torch the script prints why it skips and exits 0.
 * 2. Converts each checkpoint with the real `bagnet` executable, explains the fixture image with
 *    `--json` on each backend, and compares logits and logit map with the expected values:
 *    max |actual − expected| ≤ 1e-4 × max|logit map| (the tolerance of the small parity tests).
 *
 *   npm run test:parity-full [-- --backends wasm,cpu] [--q 9,17,33] [--fixtures <dir>] [--keep]
 *
 * --fixtures reuses a folder that make_fixture.py already filled; --keep leaves the temporary
 * folder (fixtures, converted models, JSON) in place. Exit code 1 when a comparison fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { parseNpy } from '../test/helpers/npy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/src/bin.ts');
const TOLERANCE = 1e-4;

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    q: { type: 'string', default: '9,17,33' },
    fixtures: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const qs = values.q.split(',').map(Number);
const backends = values.backends.split(',');

function log(text: string): void {
  console.log(text);
}

function hasTorch(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function bagnet(args: string[]): { seconds: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args, '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bagnet ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout };
}

function npy(dir: string, name: string): { shape: number[]; data: Float32Array } {
  return parseNpy(new Uint8Array(readFileSync(join(dir, name)))) as { shape: number[]; data: Float32Array };
}

async function main(): Promise<number> {
  const python = '/usr/bin/python3';
  const reference = resolve(ROOT, process.env['BAGNET_REFERENCE'] ?? '../shared/reference/make_fixture.py');
  let work: string;
  let fixtures: string;
  if (values.fixtures !== undefined) {
    fixtures = resolve(values.fixtures);
    work = mkdtempSync(join(tmpdir(), 'bagnet-parity-full-'));
  } else {
    if (!existsSync(python) || !hasTorch(python)) {
      log(
        `test:parity-full skipped: ${python} cannot import torch and numpy (apt-get install -y python3-torch python3-numpy).`,
      );
      return 0;
    }
    if (!existsSync(reference)) {
      log(`test:parity-full skipped: the fixture generator ${reference} is missing (set BAGNET_REFERENCE).`);
      return 0;
    }
    work = mkdtempSync(join(tmpdir(), 'bagnet-parity-full-'));
    fixtures = join(work, 'fixtures');
    log(`generating full-size BagNet-${qs.join('/')} fixtures in ${fixtures} (about 1.5 min per model on 2 cores)`);
    const t = performance.now();
    const r = spawnSync(python, [reference, '--q', ...qs.map(String), '--out', fixtures], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${reference} failed with exit code ${r.status}`);
    log(`generated in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }

  let failed = 0;
  const rows: string[][] = [
    ['model', 'backend', 'max|map|', 'map error', 'logit error', 'error / max|map|', 'top-1', 'explain (s)', 'result'],
  ];
  try {
    for (const q of qs) {
      const name = readdirSync(fixtures).find((d) => d.startsWith(`bagnet${q}_`) && d.includes('_c1000_'));
      if (name === undefined) throw new Error(`no full-size bagnet${q}_c1000_* folder in ${fixtures}`);
      const dir = join(fixtures, name);
      const checkpoint = readdirSync(dir).find((f) => f.endsWith('.pth.tar'))!;
      const model = join(work, `model-${q}`);
      const converted = bagnet(['convert', join(dir, checkpoint), '--out', model]);
      log(`converted ${checkpoint} in ${converted.seconds.toFixed(1)} s: ${converted.stdout.trim()}`);
      const map = npy(dir, 'logit_map_chw_f32.npy');
      const [c, h, w] = map.shape as [number, number, number];
      const expected = new Float32Array(c * h * w); // CHW → HWC
      for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) expected[i * c + k] = map.data[k * h * w + i]!;
      const logits = npy(dir, 'logits_f32.npy').data;
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const backend of backends) {
        const json = join(work, `explain-${q}-${backend}.json`);
        const run = bagnet(['explain', join(dir, 'input.png'), '--model', model, '--json', json, '--backend', backend]);
        const result = JSON.parse(readFileSync(json, 'utf8')) as {
          logits: number[];
          logitMap: { shape: number[]; data: number[] };
          top: { index: number; label: string }[];
        };
        const shapeOk = result.logitMap.shape.join() === [h, w, c].join();
        let mapErr = Infinity;
        if (shapeOk) {
          mapErr = 0;
          for (let i = 0; i < expected.length; i++) {
            mapErr = Math.max(mapErr, Math.abs(result.logitMap.data[i]! - expected[i]!));
          }
        }
        let logitErr = 0;
        for (let k = 0; k < c; k++) logitErr = Math.max(logitErr, Math.abs(result.logits[k]! - logits[k]!));
        const expectedTop = logits.indexOf(Math.max(...logits));
        const ok = shapeOk && Math.max(mapErr, logitErr) <= TOLERANCE * scale && result.top[0]!.index === expectedTop;
        if (!ok) failed++;
        rows.push([
          `BagNet-${q}`,
          backend,
          scale.toFixed(2),
          mapErr.toExponential(2),
          logitErr.toExponential(2),
          (Math.max(mapErr, logitErr) / scale).toExponential(2),
          `${result.top[0]!.index} '${result.top[0]!.label}'${result.top[0]!.index === expectedTop ? '' : ` (expected ${expectedTop})`}`,
          run.seconds.toFixed(1),
          ok ? 'ok' : 'FAIL',
        ]);
      }
    }
  } finally {
    if (values.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  log('');
  for (const r of rows) log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  log(`\ntolerance: max |actual − expected| ≤ ${TOLERANCE} × max|logit map| (logits and logit map)`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
