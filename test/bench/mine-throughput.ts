/**
 * Throughput of `bagnet mine` for the paper's dataset views: BagNet-33 (ResNet-50 widths, 1000
 * classes, random weights — the time does not depend on their values) at 224×224 on the WASM
 * backend in Node, with 1 process and with 2 processes (two shards run side by side, as a
 * scheduler would), over the same JPEG images; then the projected wall time for ImageNet val
 * (50,000 images) on N workers, from the measured per-process rate.
 *
 *   node --conditions=source --import tsx test/bench/mine-throughput.ts [--images 8] [--classes all]
 *
 * Each process's rate is its images over its mining time (from the start of the first image to
 * the end, read from the process's own timing), so model loading is reported apart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';

import { BagNet, bagnetArchitecture } from '@bagnet-vis/core';
import { saveBagNetToDisk } from '@bagnet-vis/core/node';

const { values } = parseArgs({
  options: { images: { type: 'string', default: '8' }, classes: { type: 'string', default: 'all' } },
});
const perProcess = Number(values.images);
const IMAGENET_VAL = 50_000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/bagnet.js');

const tmp = mkdtempSync(join(tmpdir(), 'bagnet-mine-bench-'));
try {
  await tf.setBackend('cpu');
  const net = BagNet.create(bagnetArchitecture({ q: 33 }), { seed: 0 });
  await saveBagNetToDisk(net, join(tmp, 'bagnet33'));
  net.dispose();
  // Photographs compress differently, but decoding a 224² JPEG is ~1 ms against ~1 s of network.
  const count = 2 * perProcess;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(224 * 224 * 4);
    for (let p = 0; p < data.length; p++) data[p] = (((p >> 2) % 224) * 3 + i * 17 + ((p * 2654435761) >>> 28)) & 255;
    const name = `img-${String(i).padStart(3, '0')}.jpg`;
    writeFileSync(join(tmp, name), jpeg.encode({ data, width: 224, height: 224 }, 90).data);
    names.push(name);
  }
  writeFileSync(join(tmp, 'one.txt'), names.slice(0, perProcess).join('\n'));
  writeFileSync(join(tmp, 'two.txt'), names.join('\n'));

  /** Runs `bagnet mine` processes side by side (each on perProcess images); each one's rate and load time. */
  async function mine(list: string, shards: number): Promise<{ rate: number; loadS: number; wallS: number }[]> {
    const runs = Array.from({ length: shards }, (_, i) => {
      const started = Date.now();
      const args = [BIN, 'mine', join(tmp, list), '--model', join(tmp, 'bagnet33'), '--backend', 'wasm'];
      args.push('--classes', values.classes!, '--top', '8', '--out', join(tmp, `out-${list}-${i}.json`));
      if (shards > 1) args.push('--shard', `${i}/${shards}`);
      return new Promise<{ rate: number; loadS: number; wallS: number }>((done, fail) => {
        const child = spawn(process.execPath, args, { cwd: tmp });
        let firstImageAt: number | undefined;
        let lastLine = '';
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (firstImageAt === undefined && /^mining \d+ images/m.test(stderr)) firstImageAt = Date.now();
          lastLine = stderr;
        });
        child.on('close', (code) => {
          if (code !== 0) return fail(new Error(`bagnet mine failed (${code}):\n${lastLine}`));
          const end = Date.now();
          const miningS = (end - (firstImageAt ?? started)) / 1000;
          done({
            rate: perProcess / miningS,
            loadS: ((firstImageAt ?? started) - started) / 1000,
            wallS: (end - started) / 1000,
          });
        });
      });
    });
    return Promise.all(runs);
  }

  const one = await mine('one.txt', 1);
  const two = await mine('two.txt', 2);
  const r1 = one[0]!.rate;
  const r2 = two.reduce((s, r) => s + r.rate, 0);
  const lines = [
    `bagnet mine throughput — BagNet-33 (ResNet-50 widths, 1000 classes), 224×224 JPEG, WASM backend, --classes ${values.classes}, top 8`,
    `machine: ${availableParallelism()} CPUs, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end (other work shares the CPUs); ${perProcess} images per process`,
    `1 process : ${r1.toFixed(3)} images/s (${(1 / r1).toFixed(2)} s/image; model load + start ${one[0]!.loadS.toFixed(1)} s)`,
    `2 processes: ${r2.toFixed(3)} images/s together (${two.map((r) => r.rate.toFixed(3)).join(' + ')}; ${(r2 / r1).toFixed(2)}× one process)`,
    '',
    `projected ImageNet val (${IMAGENET_VAL.toLocaleString('en')} images), at the 1-process rate per worker (one core each):`,
    ...[1, 2, 8, 32, 100, 500].map(
      (n) => `  ${String(n).padStart(4)} workers: ${(IMAGENET_VAL / (r1 * n) / 3600).toFixed(n >= 100 ? 2 : 1)} h`,
    ),
  ];
  console.log(lines.join('\n'));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
