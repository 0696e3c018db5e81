/**
 * Access to the parity fixtures in test/fixtures/, written by ../shared/reference/make_fixture.py
 * (our independent PyTorch BagNet, checked against the authors' code) via scripts/make-fixtures.sh.
 * Expected values are float64 results stored as float32.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseNpy } from './npy.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const FIXTURE_QS = [9, 17, 33] as const;

export interface Fixture {
  readonly q: 9 | 17 | 33;
  readonly dir: string;
  readonly checkpoint: Uint8Array;
  readonly checkpointName: string;
  /** [H, W, 3] RGB pixels. */
  readonly image: { data: Uint8Array; width: number; height: number };
  readonly logits: Float32Array;
  /** [C, h, w] */
  readonly logitMapChw: { shape: number[]; data: Float32Array };
  readonly rect: {
    y: number;
    x: number;
    height: number;
    width: number;
    logitMapChw: { shape: number[]; data: Float32Array };
  };
  readonly heatmapTop1: { shape: number[]; data: Float32Array } | undefined;
  readonly heatmapTarget: number | undefined;
  readonly featuresPooled: Float32Array;
  readonly manifest: Record<string, unknown>;
}

function npy(dir: string, name: string) {
  return parseNpy(new Uint8Array(readFileSync(join(dir, name))));
}

export function fixtureDir(q: number): string {
  return join(FIXTURES, `bagnet${q}_c10_s0_w0.125_b1111`);
}

export function loadFixture(q: 9 | 17 | 33): Fixture {
  const dir = fixtureDir(q);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    heatmap?: { target?: number };
    rect: { crop_top: number; crop_left: number; size: [number, number] };
  };
  const checkpointName = `bagnet${q}_c10_s0_w0.125_b1111.pth.tar`;
  const img = npy(dir, 'input_u8_hwc.npy');
  const [h, w] = img.shape as [number, number, number];
  const rectMap = npy(dir, 'rect_logit_map_chw_f32.npy');
  let heatmap;
  try {
    heatmap = npy(dir, 'heatmap_top1_f32.npy') as { shape: number[]; data: Float32Array };
  } catch {
    heatmap = undefined;
  }
  return {
    q,
    dir,
    checkpoint: new Uint8Array(readFileSync(join(dir, checkpointName))),
    checkpointName,
    image: { data: img.data as Uint8Array, width: w, height: h },
    logits: npy(dir, 'logits_f32.npy').data as Float32Array,
    logitMapChw: npy(dir, 'logit_map_chw_f32.npy') as { shape: number[]; data: Float32Array },
    rect: {
      y: expected.rect.crop_top,
      x: expected.rect.crop_left,
      height: expected.rect.size[0],
      width: expected.rect.size[1],
      logitMapChw: rectMap as { shape: number[]; data: Float32Array },
    },
    heatmapTop1: heatmap,
    heatmapTarget: expected.heatmap?.target,
    featuresPooled: npy(dir, 'features_pooled_f32.npy').data as Float32Array,
    manifest,
  };
}

/** Crops [H, W, 3] RGB bytes. */
export function cropRgb(img: { data: Uint8Array; width: number }, y: number, x: number, h: number, w: number) {
  const out = new Uint8Array(h * w * 3);
  for (let r = 0; r < h; r++)
    out.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { data: out, width: w, height: h };
}

/** CHW → HWC (the layout of EvidenceMap.logitMap). */
export function chwToHwc(a: { shape: number[]; data: Float32Array }): Float32Array {
  const [c, h, w] = a.shape as [number, number, number];
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = a.data[k * h * w + i]!;
  return out;
}

/** max |a − b| */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
