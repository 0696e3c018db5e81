/**
 * How each Node-side case of the catalogue (./catalogue.ts) is produced and fed to the public
 * surface: checkpoint bytes to `convertCheckpoint`, model folders to `loadBagNetFromDisk` (or a
 * `fetch` to `loadBagNet`), images to `BagNet.evidence`, arguments to the `bagnet` command. Each
 * runner reports what the user gets: the error's class and message, or the CLI's exit status and
 * stderr line, or — for inputs that are shown rather than refused — what is shown.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

import * as tf from '@tensorflow/tfjs-core';
import { unzipSync, zipSync } from 'fflate';

import { convertCheckpoint } from '@bagnet-vis/convert';
import { BagNet, bagnetArchitecture, loadBagNet, serializeBagNet } from '@bagnet-vis/core';
import type { BagNetImageInput } from '@bagnet-vis/core';
import { loadBagNetFromDisk, saveBagNetToDisk } from '@bagnet-vis/core/node';

import { run } from '../../packages/cli/src/index.js';
import { Rng } from '../fuzz/mutate.js';
import { checkpointStructure } from '../fuzz/structure.js';
import { float32Bytes, stateDictPickle, torchZip } from './pickle-writer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TINY_DIR = join(ROOT, 'test/fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111');
const TINY_ZIP = join(TINY_DIR, 'bagnet9_c3_s0_w0.03125_b1111_zip.pth.tar');
const TINY_LEGACY = join(TINY_DIR, 'bagnet9_c3_s0_w0.03125_b1111.pth.tar');
const CONVERT_FIXTURES = join(ROOT, 'packages/convert/test/fixtures');

/** What the user got from one input. */
export interface Outcome {
  /** Error class name (`err.name`), `exit N` for the CLI, or `none` when the input was accepted. */
  readonly name: string;
  /** The error message, the CLI's stderr (stdout when it succeeded), or what was shown. */
  readonly message: string;
  /** Milliseconds it took. */
  readonly ms?: number;
}

export type Runner = () => Promise<Outcome | Outcome[]>;

/** Resources the runners share (a temporary folder, a saved tiny model). */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'bagnet-bad-inputs-'));
  #count = 0;
  #net?: BagNet;

  /** A fresh folder. */
  folder(name = 'case'): string {
    const d = join(this.dir, `${this.#count++}-${name}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** The tiny BagNet-9 (4 classes) the model cases start from. Disposed by {@link close}. */
  get net(): BagNet {
    this.#net ??= BagNet.create(bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 }), {
      seed: 3,
      labels: ['cat', 'dog', 'car', 'tree'],
    });
    return this.#net;
  }

  /** The tiny model written to a folder, with `edit` applied to its model.json (and shards). */
  async model(
    edit: (json: Record<string, unknown>, dir: string) => void = () => undefined,
    name = 'model',
  ): Promise<string> {
    const dir = this.folder(name);
    await saveBagNetToDisk(this.net, dir);
    const path = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(json, dir);
    writeFileSync(path, JSON.stringify(json));
    return dir;
  }

  close(): void {
    this.#net?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const result = await fn();
    if (result instanceof BagNet) result.dispose();
    return { name: 'none', message: typeof result === 'string' ? result : 'accepted', ms: performance.now() - t0 };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { name: err.name, message: err.message, ms: performance.now() - t0 };
  }
}

/** `bagnet ...args` in-process: its exit status and stderr (stdout when it succeeds). */
async function cli(...args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const t0 = performance.now();
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false });
  return { name: `exit ${code}`, message: code === 0 ? stdout : stderr.trim(), ms: performance.now() - t0 };
}

const convert = (bytes: Uint8Array, fileName = 'model.pth') => outcome(() => convertCheckpoint(bytes, { fileName }));
const fixture = (path: string) => new Uint8Array(readFileSync(path));

type ModelJson = Record<string, unknown> & {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
  userDefinedMetadata: { bagnet: Record<string, unknown> & { architecture: Record<string, unknown> } };
};
const asModel = (j: Record<string, unknown>) => j as ModelJson;

/** A PNG (grey, 1 bit) of `width` × `height` zero pixels, deflated: tiny on disk, huge decoded. */
export function pngBomb(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    Buffer.from(data).copy(b, 8);
    b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8)));
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Rewrites the zip records of a checkpoint (stored, not deflated). */
function rezip(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(bytes);
  edit(files);
  return zipSync(files, { level: 0 });
}

/** Truncations of `path` at every section boundary of its structure. */
async function truncations(path: string): Promise<Outcome[]> {
  const bytes = fixture(path);
  const { boundaries } = checkpointStructure(bytes);
  const out: Outcome[] = [];
  for (const at of boundaries) {
    const o = await convert(bytes.slice(0, at), 'model.pth');
    out.push({ ...o, message: `[cut at byte ${at} of ${bytes.length}] ${o.message}` });
  }
  return out;
}

const image = (width: number, height: number, channels = 3): BagNetImageInput => ({
  data: new Uint8Array(width * height * channels).fill(128),
  width,
  height,
});

/** The runners, by catalogue id. */
export function nodeRunners(ws: Workspace): Record<string, Runner> {
  const tinyModelJson = async () => join(await ws.model(), 'model.json');
  return {
    // ---------------------------------------------------------------- checkpoints
    'checkpoint/empty': () => convert(new Uint8Array(0)),
    'checkpoint/random-bytes': () => {
      const rng = new Rng(8);
      const bytes = Uint8Array.from({ length: 4096 }, () => rng.int(256));
      bytes[0] = 0x13; // neither 'PK' nor a pickle's 0x80
      return convert(bytes);
    },
    'checkpoint/image-file': () => convert(fixture(join(TINY_DIR, 'input.png')), 'cat.png'),
    'checkpoint/truncated-zip': () => truncations(TINY_ZIP),
    'checkpoint/truncated-legacy': () => truncations(TINY_LEGACY),
    'checkpoint/zip-missing-record': () =>
      convert(
        rezip(fixture(TINY_ZIP), (files) => {
          Reflect.deleteProperty(
            files,
            Object.keys(files).find((n) => /\/data\/3$/.test(n))!,
          );
        }),
      ),
    'checkpoint/zip-missing-data-pkl': () =>
      convert(
        rezip(fixture(TINY_ZIP), (files) => {
          Reflect.deleteProperty(
            files,
            Object.keys(files).find((n) => n.endsWith('/data.pkl'))!,
          );
        }),
      ),
    'checkpoint/zip-hostile-entry-names': () =>
      // What the fuzzer found: entry names are listed in the message, and may be anything.
      convert(
        zipSync(
          {
            '\u001b[2J\u001b]0;pwned\u0007': new Uint8Array(1),
            ['x'.repeat(5000)]: new Uint8Array(1),
            'a\u202eevil': new Uint8Array(1),
          },
          { level: 0 },
        ),
      ),
    'checkpoint/not-a-bagnet-state-dict': () => convert(fixture(join(CONVERT_FIXTURES, 'dtypes_zip.pth'))),
    'checkpoint/resnet-50': () => convert(fixture(join(CONVERT_FIXTURES, 'resnet50_like.pth'))),
    'checkpoint/missing-key': () => convert(fixture(join(CONVERT_FIXTURES, 'bagnet9_missing_key.pth'))),
    'checkpoint/wrong-shape': () => convert(fixture(join(CONVERT_FIXTURES, 'bagnet9_wrong_shape.pth'))),
    'checkpoint/nan-weights': () =>
      convert(
        rezip(fixture(TINY_ZIP), (files) => {
          for (const [name, b] of Object.entries(files)) if (/\/data\/\d+$/.test(name)) b.set(float32Bytes([NaN]));
        }),
      ),
    'checkpoint/inf-weights': () =>
      convert(
        rezip(fixture(TINY_ZIP), (files) => {
          for (const [name, b] of Object.entries(files)) {
            if (/\/data\/\d+$/.test(name)) b.set(float32Bytes([-Infinity]));
          }
        }),
      ),
    'checkpoint/2gb-zip-record': () => {
      // The central directory says data/0 is 2 GiB uncompressed; the record holds 16 bytes.
      const bytes = torchZip(stateDictPickle([{ key: 'w', storage: '0', numel: 4, shape: [4], stride: [1] }]), {
        '0': float32Bytes([1, 2, 3, 4]),
      });
      const view = new DataView(bytes.buffer);
      for (let p = 0; p + 46 < bytes.length; p++) {
        if (view.getUint32(p, true) !== 0x02014b50) continue;
        const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + view.getUint16(p + 28, true)));
        if (name.endsWith('data/0')) view.setUint32(p + 24, 2 ** 31, true);
      }
      return convert(bytes);
    },
    'checkpoint/2gb-tensor': () =>
      // A tensor of 2^31 float32 elements (8 GiB) over a 4-element storage.
      convert(
        torchZip(stateDictPickle([{ key: 'w', storage: '0', numel: 4, shape: [2 ** 31], stride: [1] }]), {
          '0': float32Bytes([1, 2, 3, 4]),
        }),
      ),
    'checkpoint/2gb-broadcast-tensor': () =>
      // Stride 0: 2^31 elements that all read element 0 — nothing is out of bounds, but the copy would be 8 GiB.
      convert(
        torchZip(stateDictPickle([{ key: 'w', storage: '0', numel: 4, shape: [2 ** 31], stride: [0] }]), {
          '0': float32Bytes([1, 2, 3, 4]),
        }),
      ),
    'checkpoint/2gb-legacy-storage': () => {
      // The legacy format's 8-byte element count of the first storage says 2^31.
      const bytes = fixture(TINY_LEGACY);
      const field = checkpointStructure(bytes).fields.find((f) => f.kind === 'legacy storage 0 element count')!;
      new DataView(bytes.buffer).setBigUint64(field.offset, 2n ** 31n, true);
      return convert(bytes);
    },
    'checkpoint/unsafe-global': () => convert(fixture(join(CONVERT_FIXTURES, 'evil_checkpoint_zip.pth'))),
    'checkpoint/whole-module': () => convert(fixture(join(CONVERT_FIXTURES, 'evil_whole_model.pth'))),

    // ---------------------------------------------------------------- model.json
    'model/not-json': async () => {
      const dir = await ws.model();
      writeFileSync(join(dir, 'model.json'), '{"format": "layers-model", ');
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/missing-metadata': async () =>
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            delete j['userDefinedMetadata'];
          }),
        ),
      ),
    'model/shard-missing': async () => {
      const dir = await ws.model();
      rmSync(join(dir, 'group1-shard1of1.bin'));
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/shard-short': async () => {
      const dir = await ws.model();
      const shard = join(dir, 'group1-shard1of1.bin');
      writeFileSync(shard, readFileSync(shard).subarray(0, 1000));
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/shard-long': async () => {
      const dir = await ws.model();
      const shard = join(dir, 'group1-shard1of1.bin');
      writeFileSync(shard, Buffer.concat([readFileSync(shard), Buffer.alloc(4096)]));
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/wrong-dtype': async () =>
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).weightsManifest[0]!.weights[0]!.dtype = 'int32';
          }),
        ),
      ),
    'model/mismatched-manifest': async () =>
      // The metadata says 5 classes; the manifest and shards are the 4-class model's.
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            const m = asModel(j).userDefinedMetadata.bagnet;
            m.architecture['numClasses'] = 5;
            m['labels'] = ['a', 'b', 'c', 'd', 'e'];
          }),
        ),
      ),
    'model/manifest-missing-weight': async () =>
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).weightsManifest[0]!.weights.pop();
          }),
        ),
      ),
    'model/metadata-claims-huge-network': async () => {
      // Stage widths of 100,000 with the tiny model's manifest: refused before anything is built
      // (it used to allocate the claimed network and fail with a RangeError, leaking 66 tensors).
      const tensors = tf.memory().numTensors;
      const o = await outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).userDefinedMetadata.bagnet.architecture['stageWidths'] = [4, 8, 16, 100000];
          }),
        ),
      );
      return { ...o, message: `${o.message} [tensors left: ${tf.memory().numTensors - tensors}]` };
    },
    'model/huge-block-count': async () =>
      // blocks [10^8, 1, 1, 1] used to exhaust the heap (4 GB) while listing the blocks.
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).userDefinedMetadata.bagnet.architecture['blocks'] = [1e8, 1, 1, 1];
          }),
        ),
      ),
    'model/labels-count': async () =>
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).userDefinedMetadata.bagnet['labels'] = ['only one'];
          }),
        ),
      ),
    'model/nan-weights': async () => {
      const dir = await ws.model();
      const shard = join(dir, 'group1-shard1of1.bin');
      const bytes = readFileSync(shard);
      bytes.writeFloatLE(NaN, 400);
      writeFileSync(shard, bytes);
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/shard-path-traversal': async () =>
      // Used to read /dev/zero until the process ran out of memory.
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).weightsManifest[0]!.paths = ['../../../../../../../../dev/zero'];
          }),
        ),
      ),
    'model/shard-absolute-url': async () =>
      outcome(async () =>
        loadBagNetFromDisk(
          await ws.model((j) => {
            asModel(j).weightsManifest[0]!.paths = ['https://elsewhere.invalid/group1-shard1of1.bin'];
          }),
        ),
      ),
    'model/shard-is-a-device': async () => {
      // A shard file that is a link to a device, inside the model folder.
      const dir = await ws.model();
      rmSync(join(dir, 'group1-shard1of1.bin'));
      symlinkSync('/dev/zero', join(dir, 'group1-shard1of1.bin'));
      return outcome(() => loadBagNetFromDisk(dir));
    },
    'model/http-404': () =>
      outcome(() =>
        loadBagNet('https://models.invalid/bagnet/model.json', {
          fetch: () => Promise.resolve(new Response('not found', { status: 404, statusText: 'Not Found' })),
        }),
      ),
    'model/http-endless-shard': async () => {
      // The server streams a shard forever: the download stops at what the manifest allows.
      const { modelJson } = await serializeBagNet(ws.net);
      let sent = 0;
      const endless = () =>
        new ReadableStream<Uint8Array>({
          pull(controller) {
            sent += 65536;
            controller.enqueue(new Uint8Array(65536));
          },
        });
      const o = await outcome(() =>
        loadBagNet('https://models.invalid/bagnet/model.json', {
          fetch: (input) =>
            Promise.resolve(
              String(input).endsWith('model.json')
                ? new Response(JSON.stringify(modelJson))
                : new Response(endless(), { status: 200 }),
            ),
        }),
      );
      return { ...o, message: `${o.message} [streamed ${sent} bytes]` };
    },

    // ---------------------------------------------------------------- images (Node: raw bytes, tensors)
    'image/raw-0x0': () => outcome(() => ws.net.evidence({ data: new Uint8Array(0), width: 0, height: 0 })),
    'image/raw-smaller-than-q': () => outcome(() => ws.net.evidence(image(5, 5))),
    'image/raw-20000x20000': () =>
      // Refused from its size, before its bytes are looked at (no 1.2 GB buffer is needed here).
      outcome(() => ws.net.evidence({ data: new Uint8Array(3), width: 20000, height: 20000 })),
    'image/raw-wrong-length': () => outcome(() => ws.net.evidence({ data: new Uint8Array(10), width: 20, height: 20 })),
    'image/tensor-nan': async () => {
      const t = tf.fill([16, 16, 3], NaN) as tf.Tensor3D;
      try {
        return await outcome(() => ws.net.evidence(t));
      } finally {
        t.dispose();
      }
    },
    'image/not-an-image': () => outcome(() => ws.net.evidence('cat.png' as unknown as BagNetImageInput)),

    // ---------------------------------------------------------------- CLI
    'cli/png-bomb': async () => {
      const path = join(ws.folder('bomb'), 'bomb.png');
      writeFileSync(path, pngBomb(20000, 20000));
      return cli('explain', path, '--model', await tinyModelJson(), '-q');
    },
    'cli/undecodable-image': async () => {
      const path = join(ws.folder('noise'), 'noise.png');
      const rng = new Rng(5);
      writeFileSync(
        path,
        Uint8Array.from({ length: 2048 }, () => rng.int(256)),
      );
      return cli('explain', path, '--model', await tinyModelJson(), '-q');
    },
    'cli/svg-image': async () => {
      const path = join(ws.folder('svg'), 'cat.svg');
      writeFileSync(
        path,
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
      );
      return cli('explain', path, '--model', await tinyModelJson(), '-q');
    },
    'cli/image-smaller-than-q': async () => {
      const path = join(ws.folder('small'), 'small.png');
      writeFileSync(path, pngBomb(5, 5));
      return cli('explain', path, '--model', await tinyModelJson(), '--resize', 'none', '-q');
    },
    'cli/unknown-option': () => cli('explain', 'x.png', '--model', 'm', '--frobnicate'),
    'cli/non-numeric-top': () => cli('explain', 'x.png', '--model', 'm', '--top', 'abc'),
    'cli/class-out-of-range': async () =>
      cli('explain', join(TINY_DIR, 'input.png'), '--model', await tinyModelJson(), '--class', '7', '-q'),
    'cli/browser-backend': () => cli('explain', 'x.png', '--model', 'm', '--backend', 'webgl'),
    'cli/bad-stage-strides': () =>
      cli('convert', TINY_ZIP, '--out', join(ws.dir, 'never'), '--stage-strides', '3,2,2,1'),
    'cli/empty-checkpoint': () => {
      const path = join(ws.folder('empty'), 'empty.pth');
      writeFileSync(path, new Uint8Array(0));
      return cli('convert', path, '--out', join(ws.dir, 'never'), '-q');
    },
    'cli/model-shard-traversal': async () => {
      const dir = await ws.model((j) => {
        asModel(j).weightsManifest[0]!.paths = ['../../../../../../../../dev/zero'];
      });
      return cli('explain', join(TINY_DIR, 'input.png'), '--model', dir, '-q');
    },
    'cli/label-escape-sequences': async () => {
      // Labels are printed with control characters escaped: this one would clear the screen and
      // retitle the terminal.
      const labels = ['\u001b[2J\u001b]0;pwned\u0007cat', 'dog', 'car', 'tree'];
      const dir = await ws.model((j) => {
        asModel(j).userDefinedMetadata.bagnet['labels'] = labels;
      });
      const info = await cli('info', dir);
      const explain = await cli(
        'explain',
        join(TINY_DIR, 'input.png'),
        '--model',
        dir,
        '--class',
        '0',
        '--top',
        '4',
        '-q',
      );
      return [info, explain].map((o) => ({
        name: o.message.includes('\u001b') ? 'raw escape sequence printed' : o.name,
        message: o.message,
      }));
    },
  };
}

/**
 * A good input through the same surface as catalogue case `id`, run right after it: a good
 * checkpoint through `convertCheckpoint`, the intact model folder through `loadBagNetFromDisk`
 * (or the same `fetch`-based `loadBagNet`), a good image through the same loaded model, a good
 * `bagnet explain` through the same in-process CLI. Resolves to what it produced; throws if the
 * surface no longer works.
 */
export async function goodInputAfter(id: string, ws: Workspace): Promise<string> {
  const area = id.slice(0, id.indexOf('/'));
  switch (area) {
    case 'checkpoint': {
      const net = await convertCheckpoint(fixture(TINY_ZIP), { fileName: 'good.pth' });
      try {
        const e = await net.evidence(image(24, 24));
        try {
          return `converted BagNet-${net.receptiveField}, ${net.numClasses} classes, logits ${[...e.logits].map((v) => v.toFixed(3)).join(' ')}`;
        } finally {
          e.dispose();
        }
      } finally {
        net.dispose();
      }
    }
    case 'model': {
      let net: BagNet;
      if (id.startsWith('model/http-')) {
        const { modelJson, shards } = await serializeBagNet(ws.net);
        net = await loadBagNet('https://models.invalid/bagnet/model.json', {
          fetch: (input) => {
            const name = String(input).slice(String(input).lastIndexOf('/') + 1);
            const shard = shards.get(name);
            return Promise.resolve(
              name === 'model.json'
                ? new Response(JSON.stringify(modelJson))
                : shard === undefined
                  ? new Response('not found', { status: 404 })
                  : new Response(new Uint8Array(shard)),
            );
          },
        });
      } else {
        net = await loadBagNetFromDisk(await ws.model());
      }
      try {
        const e = await net.evidence(image(24, 24));
        try {
          return `loaded ${net.numClasses} classes, top ${e.topClasses(1)[0]!.label}`;
        } finally {
          e.dispose();
        }
      } finally {
        net.dispose();
      }
    }
    case 'image': {
      const e = await ws.net.evidence(image(24, 24));
      try {
        if (!e.logits.every(Number.isFinite)) throw new Error('non-finite logits');
        return `same model: top ${e.topClasses(1)[0]!.label}`;
      } finally {
        e.dispose();
      }
    }
    case 'cli': {
      const o = await cli(
        'explain',
        join(TINY_DIR, 'input.png'),
        '--model',
        join(await ws.model(), 'model.json'),
        '--top',
        '1',
      );
      if (o.name !== 'exit 0') throw new Error(`bagnet explain: ${o.name}: ${o.message}`);
      return o.message.trim().split('\n').slice(-1)[0] ?? '';
    }
    default:
      throw new Error(`no good input for area '${area}' (${id})`);
  }
}
