/**
 * The mined-patches file: the k most and least informative patches per class over a list of
 * images, as JSON that one process writes, another resumes, and many (shards of one list) merge
 * into exactly the result of a single run. It is what `bagnet mine` writes and what
 * `<patch-gallery>` shows.
 *
 * Exactness of sharding: the list is split deterministically (image i goes to shard i mod n),
 * patches keep their image's index in the whole list, and ranks break ties by (image, row, col);
 * the top k of a union of top-k lists is the top k of the union. So merging the shards' results
 * gives the unsharded result, bit for bit, as long as each image's evidence is computed the same
 * way (same model, backend and preprocessing, which the file records and merge checks).
 */
import { BagNetFormatError, BagNetInputError } from '../errors.js';
import type { RobustnessMethod } from '../evidence/robustness.js';
import type { CertifiedAccuracy } from './certified-accuracy.js';
import { CertifiedAccuracyTally, certifiedAccuracyProblem } from './certified-accuracy.js';
import type { MinedClass, MinedPatch } from './patch-mining.js';
import { PatchMiner } from './patch-mining.js';

/** Value of the file's `format` field. */
export const MINED_PATCHES_FORMAT = 'bagnet-mined-patches';
/** Version of the format this code writes and reads. */
export const MINED_PATCHES_VERSION = 1;

/** One mined patch in the file: its image (path and index in the list), cell, rectangle and logit. */
export interface MinedPatchRecord {
  /** The image's path or URL as listed (relative paths are relative to the file's folder). */
  readonly image: string;
  /** The image's index in the whole (unsharded) list. */
  readonly source: number;
  readonly row: number;
  readonly col: number;
  /** The q×q rectangle in the image as it was run (after `run.resize`). */
  readonly x: number;
  readonly y: number;
  readonly size: number;
  /** The patch's class logit. */
  readonly logit: number;
}

/** The mined patches of one class, best first. */
export interface MinedClassRecord {
  readonly classIndex: number;
  readonly label: string;
  readonly most: readonly MinedPatchRecord[];
  readonly least: readonly MinedPatchRecord[];
}

/**
 * The rectangle of `record` in its image as stored (not resized): the run's rectangle scaled by
 * the image's short side / `run.shortSide`. `width` and `height` are the image's own size.
 */
export function minedPatchRect(
  record: MinedPatchRecord,
  run: MinedPatchesFile['run'],
  width: number,
  height: number,
): { x: number; y: number; width: number; height: number } {
  const s = run.shortSide === undefined ? 1 : Math.min(width, height) / run.shortSide;
  return { x: record.x * s, y: record.y * s, width: record.size * s, height: record.size * s };
}

/** Which part of the list a file covers: images i with i mod `count` = `index`. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** A mined-patches file. */
export interface MinedPatchesFile {
  readonly format: typeof MINED_PATCHES_FORMAT;
  readonly version: typeof MINED_PATCHES_VERSION;
  /** What must agree between shards and a resumed run: the model, its inputs and the list. */
  readonly run: {
    /** The model: a fingerprint (e.g. the SHA-256 of its weights), q and stride. */
    readonly model: string;
    readonly receptiveField: number;
    readonly stride: number;
    /** How images were prepared (backend, resizing), as the writer describes it. */
    readonly preprocessing: string;
    /**
     * The short side each image was resized to before the run (aspect ratio kept), when it was:
     * patch rectangles are in that resized image, so a viewer scales them by the image's own short
     * side / `shortSide`. Absent: images were run as they are.
     */
    readonly shortSide?: number;
    /** Number of images in the whole list, and a fingerprint of the list. */
    readonly images: number;
    readonly list: string;
    readonly k: number;
    readonly classes: readonly number[];
    /**
     * Present when the run also counted clean and certified accuracy against a patch
     * (`patchRobustness` on each image, compared with its true class): the defence and where the
     * true classes came from (the writer's description, with a fingerprint of them).
     */
    readonly robustness?: {
      readonly method: RobustnessMethod;
      readonly patchPx: number;
      readonly threshold: number;
      readonly truth: string;
    };
  };
  /** The part of the list this file covers; absent for the whole list. */
  readonly shard?: ShardSpec;
  /** Images of this file's part done so far, in list order (a partial file has fewer than its part). */
  readonly done: number;
  readonly results: readonly MinedClassRecord[];
  /** With `run.robustness`: the counts over the `done` images (`total.images` = `done`). */
  readonly accuracy?: CertifiedAccuracy;
}

/** Indices of the whole list's `total` images that shard `spec` covers, in order. */
export function shardIndices(total: number, spec: ShardSpec | undefined): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  if (spec === undefined) return all;
  checkShard(spec, 'shardIndices()');
  return all.filter((i) => i % spec.count === spec.index);
}

/** Number of images shard `spec` of `total` covers. */
export function shardSize(total: number, spec: ShardSpec | undefined): number {
  if (spec === undefined) return total;
  return Math.max(0, Math.ceil((total - spec.index) / spec.count));
}

function checkShard(spec: ShardSpec, where: string): void {
  if (
    !Number.isSafeInteger(spec.count) ||
    spec.count < 1 ||
    !Number.isSafeInteger(spec.index) ||
    spec.index < 0 ||
    spec.index >= spec.count
  ) {
    throw new BagNetInputError(
      `${where}: a shard is index/count with 0 ≤ index < count; got ${spec.index}/${spec.count}.`,
    );
  }
}

/** The file's patch record of a miner's patch; `image` maps a list index to its path. */
export function minedPatchRecord(patch: MinedPatch, image: (source: number) => string): MinedPatchRecord {
  return {
    image: image(patch.source),
    source: patch.source,
    row: patch.row,
    col: patch.col,
    x: patch.rect.x,
    y: patch.rect.y,
    size: patch.rect.width,
    logit: patch.logit,
  };
}

function minedPatch(record: MinedPatchRecord): MinedPatch {
  const { source, row, col, x, y, size, logit } = record;
  return { source, row, col, rect: { x, y, width: size, height: size }, logit };
}

/**
 * A miner that continues from `file`'s results (for resuming, or merging): offering the kept
 * patches again is exact, since the top k of (top k of A) ∪ B is the top k of A ∪ B.
 */
export function minerFrom(run: MinedPatchesFile['run'], files: readonly MinedPatchesFile[] = []): PatchMiner {
  const miner = new PatchMiner({ classes: run.classes, k: run.k });
  for (const file of files) {
    file.results.forEach((r, position) => {
      // A patch can be in both lists (when a class has fewer than 2k patches): offer it once.
      const offered = new Set<string>();
      for (const p of [...r.most, ...r.least]) {
        const key = `${p.source},${p.row},${p.col}`;
        if (offered.has(key)) continue;
        offered.add(key);
        miner.offer(position, minedPatch(p));
      }
    });
    miner.countImages(file.done);
  }
  return miner;
}

/** The results of `miner` as file records; `image` maps a list index to its path, `labels` names classes. */
export function minedClassRecords(
  miner: PatchMiner,
  image: (source: number) => string,
  labels: readonly string[],
): MinedClassRecord[] {
  return miner.results().map((c: MinedClass) => ({
    classIndex: c.classIndex,
    label: labels[c.classIndex] ?? `class ${c.classIndex}`,
    most: c.most.map((p) => minedPatchRecord(p, image)),
    least: c.least.map((p) => minedPatchRecord(p, image)),
  }));
}

function sameRun(a: MinedPatchesFile['run'], b: MinedPatchesFile['run']): string | undefined {
  for (const key of [
    'model',
    'receptiveField',
    'stride',
    'preprocessing',
    'shortSide',
    'images',
    'list',
    'k',
  ] as const) {
    if (a[key] !== b[key]) return `${key} (${JSON.stringify(a[key])} vs ${JSON.stringify(b[key])})`;
  }
  if (a.classes.join(',') !== b.classes.join(',')) return 'classes';
  if (JSON.stringify(a.robustness) !== JSON.stringify(b.robustness)) {
    return `robustness (${JSON.stringify(a.robustness ?? null)} vs ${JSON.stringify(b.robustness ?? null)})`;
  }
  return undefined;
}

/**
 * Merges the complete shards of one run (every index of one shard count, each once) into the file
 * a single unsharded run writes. `names` label the files in messages.
 *
 * @throws {BagNetInputError} when the files are not the complete shards of one run: different
 *   model, preprocessing, list, k or classes; a missing, repeated or unfinished shard.
 */
export function mergeMinedPatches(files: readonly MinedPatchesFile[], names: readonly string[] = []): MinedPatchesFile {
  const name = (i: number) => names[i] ?? `file #${i + 1}`;
  if (files.length === 0) throw new BagNetInputError('mergeMinedPatches(): no files to merge.');
  const first = files[0]!;
  const count = first.shard?.count ?? 1;
  const seen = new Map<number, number>();
  files.forEach((f, i) => {
    const differs = sameRun(first.run, f.run);
    if (differs !== undefined) {
      throw new BagNetInputError(
        `${name(i)} is from another run than ${name(0)}: its ${differs} differs. Merge the shards of one run.`,
      );
    }
    const shard = f.shard ?? { index: 0, count: 1 };
    if (shard.count !== count) {
      throw new BagNetInputError(`${name(i)} is shard ${shard.index}/${shard.count}, ${name(0)} one of ${count}.`);
    }
    const twin = seen.get(shard.index);
    if (twin !== undefined)
      throw new BagNetInputError(`${name(i)} and ${name(twin)} are both shard ${shard.index}/${count}.`);
    seen.set(shard.index, i);
    const size = shardSize(f.run.images, f.shard);
    if (f.done !== size) {
      throw new BagNetInputError(
        `${name(i)} is unfinished: ${f.done} of its ${size} images are done. Run its shard again to resume it.`,
      );
    }
  });
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new BagNetInputError(
      `Shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: merge all ${count} shards.`,
    );
  }
  const miner = minerFrom(first.run, files);
  const paths = new Map<number, string>();
  for (const f of files)
    for (const r of f.results) for (const p of [...r.most, ...r.least]) paths.set(p.source, p.image);
  const labels: string[] = [];
  for (const r of first.results) labels[r.classIndex] = r.label;
  const accuracy =
    first.accuracy === undefined
      ? undefined
      : new CertifiedAccuracyTally(
          first.accuracy.perClass.map((c) => c.label),
          files.map((f) => f.accuracy!),
        ).result();
  return {
    format: MINED_PATCHES_FORMAT,
    version: MINED_PATCHES_VERSION,
    run: first.run,
    done: first.run.images,
    results: minedClassRecords(miner, (s) => paths.get(s)!, labels),
    ...(accuracy === undefined ? {} : { accuracy }),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses and checks a mined-patches file (JSON text or an already parsed value); `where` names it
 * in messages.
 *
 * @throws {BagNetFormatError} naming the first field that is wrong.
 */
export function parseMinedPatches(input: string | unknown, where: string): MinedPatchesFile {
  let json: unknown = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new BagNetFormatError(`${where} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`, {
        cause: e,
      });
    }
  }
  const bad = (what: string) =>
    new BagNetFormatError(`${where} is not a mined-patches file of version ${MINED_PATCHES_VERSION}: ${what}.`);
  if (!isObject(json) || json['format'] !== MINED_PATCHES_FORMAT) {
    throw bad(`"format" must be "${MINED_PATCHES_FORMAT}" (write one with \`bagnet mine\`)`);
  }
  if (json['version'] !== MINED_PATCHES_VERSION) throw bad(`"version" is ${JSON.stringify(json['version'])}`);
  const int = (v: unknown, min = 0) => Number.isSafeInteger(v) && (v as number) >= min;
  const run = json['run'];
  if (
    !isObject(run) ||
    typeof run['model'] !== 'string' ||
    typeof run['preprocessing'] !== 'string' ||
    typeof run['list'] !== 'string' ||
    !int(run['receptiveField'], 1) ||
    !int(run['stride'], 1) ||
    !int(run['images']) ||
    !int(run['k'], 1) ||
    (run['shortSide'] !== undefined && !int(run['shortSide'], 1)) ||
    !Array.isArray(run['classes']) ||
    run['classes'].length === 0 ||
    !run['classes'].every((c) => int(c))
  ) {
    throw bad('"run" needs model, preprocessing, list (strings), receptiveField, stride, images, k and classes');
  }
  const robustness = run['robustness'];
  if (
    robustness !== undefined &&
    (!isObject(robustness) ||
      (robustness['method'] !== 'mask' && robustness['method'] !== 'clip') ||
      !int(robustness['patchPx'], 1) ||
      typeof robustness['threshold'] !== 'number' ||
      !(robustness['threshold'] >= 0 && robustness['threshold'] < 1) ||
      typeof robustness['truth'] !== 'string')
  ) {
    throw bad('"run.robustness" must be {method: "mask" or "clip", patchPx, threshold in [0, 1), truth}');
  }
  const shard = json['shard'];
  if (
    shard !== undefined &&
    (!isObject(shard) ||
      !int(shard['count'], 1) ||
      !int(shard['index']) ||
      (shard['index'] as number) >= (shard['count'] as number))
  ) {
    throw bad('"shard" must be {index, count} with 0 ≤ index < count');
  }
  const size = shardSize(run['images'] as number, shard as ShardSpec | undefined);
  if (!int(json['done']) || (json['done'] as number) > size) throw bad(`"done" must be an integer from 0 to ${size}`);
  const results = json['results'];
  const classes = run['classes'] as number[];
  if (!Array.isArray(results) || results.length !== classes.length) {
    throw bad('"results" must hold one entry per class of run.classes');
  }
  const k = run['k'] as number;
  results.forEach((r: unknown, i) => {
    if (!isObject(r) || r['classIndex'] !== classes[i] || typeof r['label'] !== 'string') {
      throw bad(`results[${i}] must be {classIndex: ${classes[i]}, label, most, least}`);
    }
    for (const order of ['most', 'least'] as const) {
      const list = r[order];
      if (!Array.isArray(list) || list.length > k)
        throw bad(`results[${i}].${order} must be a list of at most ${k} patches`);
      list.forEach((p: unknown, j) => {
        if (
          !isObject(p) ||
          typeof p['image'] !== 'string' ||
          !int(p['source']) ||
          (p['source'] as number) >= (run['images'] as number) ||
          !['row', 'col', 'x', 'y'].every((key) => int(p[key])) ||
          p['size'] !== run['receptiveField'] ||
          typeof p['logit'] !== 'number' ||
          !Number.isFinite(p['logit'])
        ) {
          throw bad(
            `results[${i}].${order}[${j}] must be {image, source < ${String(run['images'])}, row, col, x, y, size: ${String(run['receptiveField'])}, logit}`,
          );
        }
      });
    }
  });
  const accuracy = json['accuracy'];
  if ((accuracy === undefined) !== (robustness === undefined)) {
    throw bad('"accuracy" and "run.robustness" come together: both or neither');
  }
  if (accuracy !== undefined) {
    const problem = certifiedAccuracyProblem(accuracy);
    if (problem !== undefined) throw bad(problem);
    if ((accuracy as CertifiedAccuracy).total.images !== json['done']) {
      throw bad('"accuracy.total.images" must equal "done"');
    }
  }
  return json as unknown as MinedPatchesFile;
}
