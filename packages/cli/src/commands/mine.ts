/**
 * `bagnet mine <folder | list.txt | images…> --model m --out mined.json`: per class, the k most and
 * least informative patches over a whole image set (the paper's dataset views), streamed one image
 * at a time, resumable, and splittable into shards (`--shard i/n | auto`) that `bagnet merge`
 * joins into exactly the unsharded result. With `--robust <px>` and true classes (`--truth`), it
 * also counts clean and certified accuracy against a px × px patch. Every number comes from core
 * (evidence maps, the patch ranking, certificates and their counts, the file format); this
 * command reads files, shows progress and writes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';

import {
  accuracyRate,
  CertifiedAccuracyTally,
  MINED_PATCHES_FORMAT,
  MINED_PATCHES_VERSION,
  minedClassRecords,
  minerFrom,
  parseMinedPatches,
  patchRobustness,
  printable,
  ROBUSTNESS_METHODS,
  shardIndices,
} from '@bagnet-vis/core';
import type { BagNet, MinedPatchesFile, RobustnessMethod, ShardSpec } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';

import { nodeBackendFlag, resizeFlag, startNodeBackend } from '../backend-flag.js';
import { integer, parseCommandLine } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { resolveClass } from '../explain/resolve-class.js';
import { checkWritable, readInput, writeFileAtomic } from '../files.js';
import { decodeImageFile } from '../image/decode.js';
import { pixelTensor, resizePixels, shortSideSize } from '../image/resize.js';
import { groundTruth, parseTruthFlag } from '../mine/ground-truth.js';
import { listImageEntries } from '../mine/image-list.js';
import { modelFingerprint } from '../mine/model-fingerprint.js';
import { parseShard, shardOutPath } from '../mine/shard.js';

/** Default seconds between writes of the partial result. */
export const DEFAULT_CHECKPOINT_SECONDS = 30;

const HELP = `Usage: bagnet mine <folder | list.txt | image…> --model <model.json|dir> --out <mined.json> [options]

Per class, the k most and least informative patches over a whole image set (each
with its image's path, cell, rectangle and logit), as JSON for <patch-gallery>.
Images (JPEG, PNG, WebP) are read, run and released one at a time: memory stays
the same for ten images or fifty thousand.

Inputs: folders (searched recursively, sorted), list files (.txt: one path per line,
relative to the list's folder) and image files, in the order given.

Options:
  --model <path>        model.json written by 'bagnet convert' (or its folder)
  --out <file>          the mined-patches JSON; '{shard}' in it becomes the shard index.
                        Written every --checkpoint seconds while running, so an
                        interrupted run resumes from it when started again
  --classes <all|list>  classes to mine: all (default) or indices/labels, e.g. 3,7
  --top <k>             patches kept per class and order (default 8)
  --shard <i/n|auto>    mine only images i, i+n, i+2n, … of the list (0 ≤ i < n);
                        'auto' takes i and n from a Kubernetes Indexed Job
                        (JOB_COMPLETION_INDEX, JOB_COMPLETIONS) or a Slurm job array
                        (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT). Join the parts
                        with 'bagnet merge': the result equals one unsharded run
  --resize <n|none>     resize so the short side is n px (default: the model's input
                        size), as 'bagnet explain' does; 'none' keeps each image
  --backend <name>      wasm or cpu (default: wasm, or cpu where wasm cannot start);
                        shards of one run must use the same backend
  --robust <px>         also count clean and certified accuracy against any adversarial
                        patch of px×px pixels (needs each image's true class, see
                        --truth): adds "accuracy" to the JSON and prints it per class
  --robust-method <m>   mask (PatchGuard robust masking, default) or clip (Clipped
                        BagNet: tanh(0.05 x - 1) of every patch logit)
  --truth <src>         where the true classes come from: 'folders' (default: each
                        image's class folder, dir/<class>/x.png, named by a label or
                        index of the model; T-shirt_top matches T-shirt/top), or a
                        labels file: .csv lines 'file,label' or .json {"file": label}
                        (paths relative to the file; labels by name or index)
  --checkpoint <s>      seconds between writes of the partial result (default ${DEFAULT_CHECKPOINT_SECONDS})
  --force               start over when --out holds another run's result
  -q, --quiet           no progress on stderr
  -h, --help            this help

Examples:
  bagnet mine val/ --model bagnet33 --out mined.json --classes all --top 16
  bagnet mine val/ --model bagnet33 --out mined.json --robust 32
  bagnet mine val.txt --model bagnet33 --shard auto --out part-{shard}.json
  bagnet merge part-*.json --out mined.json`;

export const mineCommand: Command = {
  name: 'mine',
  summary: "image set → each class's most/least informative patches (JSON), sharded",
  help: HELP,
  async run(argv, { io, progress }) {
    const { values, positionals: inputs } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        out: { type: 'string' },
        classes: { type: 'string', default: 'all' },
        top: { type: 'string', default: '8' },
        shard: { type: 'string' },
        resize: { type: 'string' },
        backend: { type: 'string' },
        robust: { type: 'string' },
        'robust-method': { type: 'string' },
        truth: { type: 'string' },
        checkpoint: { type: 'string', default: String(DEFAULT_CHECKPOINT_SECONDS) },
        force: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
    if (inputs.length === 0) throw new UsageError('Missing <folder | list.txt | image…>');
    if (values.model === undefined) throw new UsageError('Missing --model <model.json>');
    if (values.out === undefined) throw new UsageError('Missing --out <mined.json>');
    const k = integer(values.top, '--top', 1, 10_000);
    const checkpointMs = integer(values.checkpoint, '--checkpoint', 1) * 1000;
    const shard = parseShard(values.shard);
    const out = shardOutPath(values.out, shard);
    const resize = resizeFlag(values.resize);
    const requested = nodeBackendFlag(values.backend);
    const robust = values.robust === undefined ? undefined : integer(values.robust, '--robust', 1, 4096);
    const method = (values['robust-method'] ?? 'mask') as RobustnessMethod;
    if (!ROBUSTNESS_METHODS.includes(method)) {
      throw new UsageError(`--robust-method must be ${ROBUSTNESS_METHODS.join(' or ')}, got '${printable(method)}'`);
    }
    if (robust === undefined && (values['robust-method'] !== undefined || values.truth !== undefined)) {
      throw new UsageError(`${values.truth !== undefined ? '--truth' : '--robust-method'} needs --robust <px>`);
    }
    const truthSource = robust === undefined ? undefined : parseTruthFlag(values.truth ?? 'folders');
    await checkWritable(out, '--out');

    const entries = await listImageEntries(inputs);
    const images = entries.map((e) => e.path);
    if (images.length === 0) throw new CliError('The inputs name no images.');
    // Paths as stored: relative to the output's folder (so the file and its images move together).
    const outDir = dirname(resolve(out));
    const stored = images.map((p) => relative(outDir, p).split(sep).join('/'));
    const backend = await startNodeBackend(requested);
    const fingerprint = await modelFingerprint(values.model);
    const net = await loadBagNetFromDisk(values.model, {
      onProgress: (p) => progress.step('loading model', p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 1),
    });
    progress.done();
    try {
      const classes = parseClasses(values.classes, net.labels);
      const truth = truthSource === undefined ? undefined : await groundTruth(truthSource, entries, net.labels);
      const short = resize === 'none' ? undefined : (resize ?? Math.min(...net.metadata.inputSize));
      if (short !== undefined && short < net.receptiveField) {
        throw new CliError(`--resize ${short} is smaller than the model's receptive field q = ${net.receptiveField}.`);
      }
      const run: MinedPatchesFile['run'] = {
        model: fingerprint,
        receptiveField: net.receptiveField,
        stride: net.stride,
        preprocessing: `${backend} backend; ${short === undefined ? 'images as they are' : `short side resized to ${short} px`}`,
        ...(short === undefined ? {} : { shortSide: short }),
        images: images.length,
        list: `sha256:${createHash('sha256').update(stored.join('\n')).digest('hex')}`,
        k,
        classes,
        ...(robust === undefined
          ? {}
          : { robustness: { method, patchPx: robust, threshold: 0, truth: truth!.description } }),
      };
      const todo = shardIndices(images.length, shard);
      const previous = await previousRun(out, run, shard, values.force === true);
      let done = previous?.done ?? 0;
      const write = async () =>
        writeFileAtomic(out, `${JSON.stringify(file(run, shard, done, miner, tally, stored, net))}\n`);
      if (done === todo.length && previous !== undefined) {
        progress.note(`${out} is complete (${done} images); nothing to do`);
        io.stdout(summary(previous, out));
        return;
      }
      if (done > 0) progress.note(`resuming ${out}: ${done} of ${todo.length} images done`);
      const miner = minerFrom(run, previous === undefined ? [] : [previous]);
      const tally =
        truth === undefined
          ? undefined
          : new CertifiedAccuracyTally(net.labels, previous?.accuracy === undefined ? [] : [previous.accuracy]);
      progress.note(
        `mining ${todo.length} images${shard === undefined ? '' : ` (shard ${shard.index}/${shard.count} of ${images.length})`}, ${classes.length} classes, top ${k}, ${backend} backend` +
          (robust === undefined ? '' : `, certifying against a ${robust}×${robust} px patch (${method})`),
      );
      const started = Date.now();
      const startDone = done;
      let lastWrite = started;
      for (; done < todo.length;) {
        const index = todo[done]!;
        try {
          const certify =
            tally === undefined ? undefined : { tally, trueClass: truth!.classes[index]!, patchPx: robust!, method };
          await mineImage(net, miner, index, images[index]!, short, certify);
        } catch (e) {
          if (done > startDone) await write();
          throw e;
        }
        done++;
        const elapsed = (Date.now() - started) / 1000;
        progress.count('mining', done, todo.length, elapsed > 0 ? (done - startDone) / elapsed : undefined, 'images');
        if (Date.now() - lastWrite >= checkpointMs && done < todo.length) {
          await write();
          lastWrite = Date.now();
        }
      }
      await write();
      progress.note(`wrote ${out}`);
      io.stdout(summary(file(run, shard, done, miner, tally, stored, net), out));
    } finally {
      net.dispose();
    }
  },
};

function parseClasses(spec: string, labels: readonly string[]): number[] {
  if (spec.trim() === 'all') return labels.map((_, i) => i);
  const classes = spec.split(',').map((s) => resolveClass(s.trim(), labels));
  if (new Set(classes).size !== classes.length) throw new UsageError(`--classes names a class twice: '${spec}'`);
  return classes;
}

/** The resumable partial result at `out`, if it is one of this run; throws if `out` holds something else. */
async function previousRun(
  out: string,
  run: MinedPatchesFile['run'],
  shard: ShardSpec | undefined,
  force: boolean,
): Promise<MinedPatchesFile | undefined> {
  let text: string;
  try {
    text = await readFile(out, 'utf8');
  } catch {
    return undefined;
  }
  if (force) return undefined;
  let previous: MinedPatchesFile;
  try {
    previous = parseMinedPatches(text, out);
  } catch (e) {
    throw new CliError(
      `--out '${out}' exists and is not a mined-patches file (${e instanceof Error ? e.message : String(e)}) Pass --force to overwrite it.`,
    );
  }
  const what =
    JSON.stringify(previous.run) !== JSON.stringify(run)
      ? 'another run (model, images, preprocessing, classes or --top differ)'
      : JSON.stringify(previous.shard) !== JSON.stringify(shard)
        ? `shard ${previous.shard === undefined ? 'none' : `${previous.shard.index}/${previous.shard.count}`}`
        : undefined;
  if (what !== undefined) {
    throw new CliError(
      `--out '${out}' holds the result of ${what}; pass --force to start over, or choose another --out.`,
    );
  }
  return previous;
}

async function mineImage(
  net: BagNet,
  miner: ReturnType<typeof minerFrom>,
  index: number,
  path: string,
  short: number | undefined,
  certify: { tally: CertifiedAccuracyTally; trueClass: number; patchPx: number; method: RobustnessMethod } | undefined,
): Promise<void> {
  const name = basename(path);
  const image = await decodeImageFile(await readInput(path, `image #${index}`), name);
  const size =
    short === undefined ? ([image.height, image.width] as const) : shortSideSize(image.height, image.width, short);
  if (Math.min(...size) < net.receptiveField) {
    throw new CliError(
      `Image '${path}' (#${index}) is ${image.width}×${image.height} px, smaller than the model's receptive field q = ${net.receptiveField} px.`,
    );
  }
  const raw = pixelTensor(image);
  let pixels;
  try {
    pixels = resizePixels(raw, size);
  } finally {
    raw.dispose();
  }
  try {
    const evidence = await net.evidence(pixels);
    try {
      // The certificate first: if it fails, neither the miner nor the tally has counted the image.
      const certificate =
        certify === undefined
          ? undefined
          : await patchRobustness(evidence, { patchPx: certify.patchPx, method: certify.method });
      miner.add(index, evidence);
      if (certify !== undefined) certify.tally.add(certify.trueClass, evidence.topClasses(1)[0]!.index, certificate!);
    } finally {
      evidence.dispose();
    }
  } finally {
    pixels.dispose();
  }
}

function file(
  run: MinedPatchesFile['run'],
  shard: ShardSpec | undefined,
  done: number,
  miner: ReturnType<typeof minerFrom>,
  tally: CertifiedAccuracyTally | undefined,
  stored: readonly string[],
  net: BagNet,
): MinedPatchesFile {
  return {
    format: MINED_PATCHES_FORMAT,
    version: MINED_PATCHES_VERSION,
    run,
    ...(shard === undefined ? {} : { shard }),
    done,
    results: minedClassRecords(miner, (s) => stored[s]!, net.labels),
    ...(tally === undefined ? {} : { accuracy: tally.result() }),
  };
}

function summary(f: MinedPatchesFile, out: string): string {
  const head = `${out}: ${f.done} images, ${f.results.length} classes, top ${f.run.k} patches per class and order\n`;
  const r = f.run.robustness;
  const a = f.accuracy;
  if (r === undefined || a === undefined) return head;
  const pct = (counts: typeof a.total, key: 'correct' | 'defendedCorrect' | 'certified') => {
    const rate = accuracyRate(counts, key);
    return `${Number.isNaN(rate) ? '–' : `${(100 * rate).toFixed(1)} %`} (${counts[key]}/${counts.images})`;
  };
  const method = r.method === 'mask' ? 'robust masking (PatchGuard)' : 'clipping (Clipped BagNet)';
  const rows = a.perClass.filter((c) => c.images > 0);
  const width = Math.max(5, ...rows.map((c) => c.label.length));
  const line = (cells: readonly (string | number)[]) =>
    `  ${String(cells[0]).padEnd(width)}${cells
      .slice(1)
      .map((c, i) => String(c).padStart(i === 0 ? 8 : 10))
      .join('')}\n`;
  return (
    head +
    `${method}, ${r.patchPx}×${r.patchPx} px patch anywhere; true classes from ${r.truth.split(';')[0]!}:\n` +
    `  clean accuracy ${pct(a.total, 'correct')} undefended, ${pct(a.total, 'defendedCorrect')} defended; ` +
    `certified accuracy ${pct(a.total, 'certified')}\n` +
    line(['class', 'images', 'correct', 'defended', 'certified']) +
    rows.map((c) => line([c.label, c.images, c.correct, c.defendedCorrect, c.certified])).join('')
  );
}
