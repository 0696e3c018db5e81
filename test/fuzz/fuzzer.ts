/**
 * A seeded mutation fuzzer over the two readers of untrusted model files:
 *
 * - `checkpoint`: PyTorch checkpoint bytes → `inspectTorchCheckpoint` (zip / legacy container, the
 *   safe unpickler, tensor materialisation) → `inferArchitecture`, `checkStateDict`,
 *   `foldStateDict` (what `convertCheckpoint` does before building the model);
 * - `model-json`: a model.json and its shards → `loadBagNetFrom` (metadata, manifest, shards,
 *   building the tfjs model).
 *
 * Seeds are the repository's fixtures (every torch.save variant, the malicious checkpoints) and
 * tiny models serialised at start-up. Each case applies 1–3 mutations (bit flips, interesting
 * bytes, truncation anywhere or at a section boundary, length-field corruption, splices,
 * duplications, deletions; structural JSON edits for model.json) and must end either normally or
 * with one of our typed errors (BagNetConvertError / BagNetError subclasses) carrying a readable
 * message. Anything else is a crash. Every case is a pure function of (seed, index).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import {
  BagNetConvertError,
  checkStateDict,
  foldStateDict,
  inferArchitecture,
  inspectTorchCheckpoint,
} from '@bagnet-vis/convert';
import { BagNet, bagnetArchitecture, BagNetError, loadBagNetFrom, serializeBagNet, useBackend } from '@bagnet-vis/core';
import type { ModelFileReader } from '@bagnet-vis/core';

import { mutateBytes, mutateJson, Rng } from './mutate.js';
import type { ByteSeed } from './mutate.js';
import { checkpointStructure } from './structure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Error messages longer than this are a defect of their own (they are shown to users). */
export const MAX_MESSAGE_LENGTH = 2000;

export type TargetName = 'checkpoint' | 'model-json';
export const TARGETS: readonly TargetName[] = ['checkpoint', 'model-json'];

/** How one case ended. */
export type Outcome = 'ok' | 'typed' | 'crash' | 'oversized-message';

export interface CaseResult {
  readonly target: TargetName;
  readonly index: number;
  readonly outcome: Outcome;
  /** Error class name (`CheckpointFormatError`, `RangeError`, …) when it threw. */
  readonly error?: string;
  readonly message?: string;
  readonly stack?: string;
  readonly ms: number;
  readonly seed: string;
  readonly mutations: readonly string[];
}

interface ModelSeed {
  readonly name: string;
  readonly json: string;
  readonly shards: ReadonlyMap<string, Uint8Array>;
}

/** The corpus: checkpoint files with their structure, and serialised models. */
export interface Corpus {
  readonly checkpoints: readonly (ByteSeed & { readonly name: string })[];
  readonly models: readonly ModelSeed[];
}

function checkpointFiles(): string[] {
  const dirs = [
    join(ROOT, 'test/fixtures/checkpoints/bagnet9_c3_s0_w0.03125_b1111'),
    join(ROOT, 'packages/convert/test/fixtures'),
  ];
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /\.(pth|pth\.tar|pkl)$/.test(f) && !f.startsWith('evil_nested'))
      .map((f) => join(dir, f)),
  );
}

/** Reads the fixtures and serialises the model seeds (needs a tfjs backend; creates no lasting tensors). */
export async function loadCorpus(): Promise<Corpus> {
  await useBackend('cpu');
  tf.enableProdMode();
  const checkpoints = checkpointFiles().map((path) => {
    const bytes = new Uint8Array(readFileSync(path));
    const s = checkpointStructure(bytes);
    return { name: path.slice(ROOT.length), bytes, boundaries: s.boundaries, fields: s.fields };
  });
  const models: ModelSeed[] = [];
  const tiny = BagNet.create(bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 }), {
    seed: 7,
    labels: ['cat', 'dog', 'car', 'tree'],
  });
  try {
    for (const [name, shardBytes] of [
      ['tiny (1 shard)', undefined],
      ['tiny (6 shards)', 4096],
    ] as const) {
      const { modelJson, shards } = await serializeBagNet(tiny, shardBytes);
      models.push({ name, json: JSON.stringify(modelJson), shards });
    }
  } finally {
    tiny.dispose();
  }
  const defaultDir = join(ROOT, 'packages/models/default');
  const json = readFileSync(join(defaultDir, 'model.json'), 'utf8');
  const paths = (JSON.parse(json) as { weightsManifest: { paths: string[] }[] }).weightsManifest.flatMap(
    (g) => g.paths,
  );
  models.push({
    name: 'packages/models/default',
    json,
    shards: new Map(paths.map((p) => [p, new Uint8Array(readFileSync(join(defaultDir, p)))])),
  });
  return { checkpoints, models };
}

/** The case's input, built from (seed, target, index). */
function checkpointCase(corpus: Corpus, rng: Rng) {
  const seed = rng.pick(corpus.checkpoints);
  const { bytes, mutations } = mutateBytes(rng, seed);
  return { seed: seed.name, bytes, mutations };
}

function modelCase(corpus: Corpus, rng: Rng) {
  // The default model is larger; most cases use the tiny ones.
  const seed = rng.chance(0.1) ? corpus.models[2]! : rng.pick(corpus.models.slice(0, 2));
  let json = seed.json;
  const shards = new Map(seed.shards);
  const mutations: string[] = [];
  const r = rng.next() / 2 ** 32;
  if (r < 0.55) {
    // Structure: metadata and manifest (the topology is not read by loadBagNet).
    const m = mutateJson(rng, json, (p) => p[0] === 'userDefinedMetadata' || p[0] === 'weightsManifest');
    json = m.text;
    mutations.push(...m.mutations);
  } else if (r < 0.75) {
    // Bytes of the JSON text, confined to its metadata and manifest half most of the time.
    const bytes = new TextEncoder().encode(json);
    const start = json.indexOf('"weightsManifest"');
    const boundaries = start > 0 ? [start, json.indexOf('"userDefinedMetadata"')].filter((b) => b > 0) : [];
    const m = mutateBytes(rng, { bytes, boundaries, fields: [] });
    json = new TextDecoder().decode(m.bytes);
    mutations.push(...m.mutations.map((x) => `model.json ${x}`));
  } else {
    const names = [...shards.keys()];
    const name = rng.pick(names);
    const shard = shards.get(name)!;
    const kind = rng.pick(['mutate', 'mutate', 'drop', 'extend', 'nan'] as const);
    if (kind === 'drop') shards.delete(name);
    else if (kind === 'extend') {
      const out = new Uint8Array(shard.length + 1 + rng.int(4096));
      out.set(shard);
      shards.set(name, out);
    } else if (kind === 'nan') {
      const out = shard.slice();
      const view = new DataView(out.buffer);
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++)
        view.setFloat32(4 * rng.int(out.length / 4), rng.pick([NaN, Infinity, -Infinity]), true);
      shards.set(name, out);
    } else {
      const m = mutateBytes(rng, { bytes: shard, boundaries: [], fields: [] });
      shards.set(name, m.bytes);
      mutations.push(...m.mutations.map((x) => `${name} ${x}`));
    }
    if (kind !== 'mutate') mutations.push(`${name} ${kind}`);
  }
  return { seed: seed.name, json, shards, mutations };
}

function memoryReader(json: string, shards: ReadonlyMap<string, Uint8Array>): ModelFileReader {
  return {
    where: 'fuzz/model.json',
    readJson: () => Promise.resolve(json),
    readShard: (path) => {
      const b = shards.get(path);
      return Promise.resolve(b === undefined ? null : (b.slice().buffer as ArrayBuffer));
    },
  };
}

function classify(
  e: unknown,
  typed: (e: unknown) => boolean,
): Pick<CaseResult, 'outcome' | 'error' | 'message' | 'stack'> {
  const error = e instanceof Error ? e.name : typeof e;
  const message = e instanceof Error ? e.message : String(e);
  if (!typed(e)) return { outcome: 'crash', error, message, ...(e instanceof Error && { stack: e.stack }) };
  if (message.length === 0 || message.length > MAX_MESSAGE_LENGTH) {
    return { outcome: 'oversized-message', error, message: `${message.slice(0, 300)}… (${message.length} chars)` };
  }
  return { outcome: 'typed', error, message };
}

/** Runs case `index` of `target` for `seed`. Never throws. */
export async function runCase(corpus: Corpus, target: TargetName, seed: number, index: number): Promise<CaseResult> {
  const rng = new Rng(seed, index * 2 + (target === 'checkpoint' ? 0 : 1));
  if (target === 'checkpoint') {
    const c = checkpointCase(corpus, rng);
    const t0 = performance.now();
    let result: Pick<CaseResult, 'outcome' | 'error' | 'message' | 'stack'> = { outcome: 'ok' };
    try {
      const info = inspectTorchCheckpoint(c.bytes, { fileName: 'fuzz.pth' });
      const architecture = inferArchitecture(info.stateDict);
      checkStateDict(info.stateDict, architecture);
      foldStateDict(info.stateDict, architecture);
    } catch (e) {
      result = classify(e, (x) => x instanceof BagNetConvertError);
    }
    return { target, index, ...result, ms: performance.now() - t0, seed: c.seed, mutations: c.mutations };
  }
  const c = modelCase(corpus, rng);
  const t0 = performance.now();
  let result: Pick<CaseResult, 'outcome' | 'error' | 'message' | 'stack'> = { outcome: 'ok' };
  try {
    const net = await loadBagNetFrom(memoryReader(c.json, c.shards));
    net.dispose();
  } catch (e) {
    result = classify(e, (x) => x instanceof BagNetError);
  }
  return { target, index, ...result, ms: performance.now() - t0, seed: c.seed, mutations: c.mutations };
}

/** Totals of a run. */
export interface FuzzSummary {
  cases: number;
  ok: number;
  typed: number;
  crashes: CaseResult[];
  oversized: CaseResult[];
  /** Cases slower than the per-case bound (not killed; see run.ts for hangs). */
  slow: CaseResult[];
  /** Typed errors by class name. */
  byError: Record<string, number>;
  maxMs: number;
  maxCase?: string;
}

export function emptySummary(): FuzzSummary {
  return { cases: 0, ok: 0, typed: 0, crashes: [], oversized: [], slow: [], byError: {}, maxMs: 0 };
}

export function addResult(s: FuzzSummary, r: CaseResult, slowMs: number): void {
  s.cases++;
  if (r.outcome === 'ok') s.ok++;
  else if (r.outcome === 'typed') s.typed++;
  else if (r.outcome === 'crash') s.crashes.push(r);
  else s.oversized.push(r);
  if (r.error !== undefined && r.outcome !== 'crash') s.byError[r.error] = (s.byError[r.error] ?? 0) + 1;
  if (r.ms > slowMs) s.slow.push(r);
  if (r.ms > s.maxMs) {
    s.maxMs = r.ms;
    s.maxCase = `${r.target} #${r.index}`;
  }
}

/** A one-line description of a failing case, with what reproduces it. */
export function describeCase(r: CaseResult, seed: number): string {
  return (
    `${r.target} case ${r.index} (seed ${seed}, from ${r.seed}; ${r.mutations.join(', ') || 'no mutation'}): ` +
    `${r.outcome}${r.error ? ` ${r.error}: ${r.message?.slice(0, 300)}` : ''} [${r.ms.toFixed(1)} ms]` +
    ` — reproduce: node --conditions=source --import tsx test/fuzz/run.ts --seed ${seed} --target ${r.target} --case ${r.index}`
  );
}
