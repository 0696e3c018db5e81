/**
 * `bagnet train <folder> --model <model.json> --out <dir>`: fine-tunes a BagNet's linear head on a
 * folder of labelled images (one subfolder per class) with `fineTuneHead` from @bagnet-vis/core —
 * the backbone runs once per image, then only the head trains, so it runs on WASM and CPU — and
 * writes the new model (same backbone, new head and labels) complete or not at all.
 */
import { relative } from 'node:path';

import { parseLabels } from '@bagnet-vis/convert';
import { fineTuneHead, HEAD_TRAINING_DEFAULTS } from '@bagnet-vis/core';
import type { BagNet, EpochProgress, LabelledImage } from '@bagnet-vis/core';
import { loadBagNetFromDisk, saveBagNetToDisk } from '@bagnet-vis/core/node';

import { nodeBackendFlag, resizeFlag, startNodeBackend } from '../backend-flag.js';
import { integer, parseCommandLine, positionals } from '../args.js';
import type { Command } from '../command.js';
import { CliError, describeFsError, UsageError } from '../errors.js';
import { checkOutputFolder, readInput } from '../files.js';
import { decodeImageFile } from '../image/decode.js';
import { pixelTensor, resizePixels, shortSideSize } from '../image/resize.js';
import { orderClasses, scanTrainingFolder } from '../train/class-folders.js';
import type { ClassFolder } from '../train/class-folders.js';

/** Backends that run under Node (head fine-tuning needs no convolution gradients: both work). */

const D = HEAD_TRAINING_DEFAULTS;

const HELP = `Usage: bagnet train <folder> --model <model.json|dir> --out <dir> [options]

Fine-tunes a BagNet's classifier head on your own labelled images. <folder> holds
one subfolder per class, named for the class, with PNG or JPEG images:

  my-images/cats/*.jpg   my-images/dogs/*.png   ...

The backbone runs once per image and its per-patch features are averaged (a BagNet's
logits are the mean of a linear head over its patches, so this is exact); then only
the head is trained (Adam, softmax cross-entropy), on a held-out split. The new model
keeps the backbone, with the new head and class names, in <dir> (complete or not at
all). Progress per epoch (loss, accuracy, held-out accuracy, time left) goes to stderr.

Options:
  --model <path>      the model to start from (model.json or its folder)
  --out <dir>         output folder (created; must be empty or absent unless --force)
  --labels <file>     class order: a JSON array or one name per line, naming exactly
                      the class folders (default: the folder names, sorted)
  --epochs <n>        passes over the training images (default ${D.epochs})
  --lr <x>            learning rate (default ${D.learningRate})
  --batch <n>         images per step (default ${D.batchSize})
  --val <f>           fraction of each class held out, 0 ≤ f < 1 (default 0.2)
  --seed <n>          seed of the held-out split and the batch order (default 0)
  --l2 <x>            L2 penalty on the head, on standardised features (default ${D.l2})
  --resize <n|none>   resize so the short side is n px (default: the model's input
                      size), aspect ratio kept, as 'bagnet explain'; 'none' keeps sizes
  --backend <name>    wasm or cpu (default: wasm, or cpu where wasm cannot start)
  --force             write into an existing non-empty folder
  -q, --quiet         no progress on stderr
  -h, --help          this help

Examples:
  bagnet train my-images --model node_modules/@bagnet-vis/models/default --out my-model
  bagnet train shoes --model m --out m2 --epochs 50 --val 0.25 --labels classes.txt`;

/** A decimal flag value: a finite number accepted by `ok`. */
function decimal(value: string, flag: string, want: string, ok: (x: number) => boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new UsageError(`${flag} expects ${want}, got '${value}'`);
  return n;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'fine-tune the head on a folder of labelled images → new model folder',
  help: HELP,
  async run(argv, { io, progress }) {
    const { values, positionals: rest } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        out: { type: 'string' },
        labels: { type: 'string' },
        epochs: { type: 'string', default: String(D.epochs) },
        lr: { type: 'string', default: String(D.learningRate) },
        batch: { type: 'string', default: String(D.batchSize) },
        val: { type: 'string', default: '0.2' },
        seed: { type: 'string', default: '0' },
        l2: { type: 'string', default: String(D.l2) },
        resize: { type: 'string' },
        backend: { type: 'string' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
    const [folder] = positionals(rest, ['folder']) as [string];
    if (values.model === undefined) throw new UsageError('Missing --model <model.json>');
    if (values.out === undefined) throw new UsageError('Missing --out <dir>');
    const out = values.out;
    const epochs = integer(values.epochs, '--epochs', 1);
    const batchSize = integer(values.batch, '--batch', 1);
    const seed = integer(values.seed, '--seed', 0, 0xffffffff);
    const learningRate = decimal(values.lr, '--lr', 'a positive number', (x) => x > 0);
    const validationSplit = decimal(values.val, '--val', 'a fraction from 0 to below 1', (x) => x >= 0 && x < 1);
    const l2 = decimal(values.l2, '--l2', 'a number ≥ 0', (x) => x >= 0);
    const resize = resizeFlag(values.resize);
    const requested = nodeBackendFlag(values.backend);

    // Everything that can be checked without the model or the images, first.
    await checkOutputFolder(out, values.force === true);
    const scanned = await scanTrainingFolder(folder);
    let classes = scanned.classes;
    if (values.labels !== undefined) {
      const where = `--labels '${values.labels}'`;
      const text = new TextDecoder().decode(await readInput(values.labels, 'labels'));
      classes = orderClasses(scanned, parseLabels(text, `labels file '${values.labels}'`), where);
    }
    const total = classes.reduce((n, c) => n + c.files.length, 0);
    progress.note(
      `${total} images in ${classes.length} classes: ${classes.map((c) => `${c.name} (${c.files.length})`).join(', ')}` +
        (scanned.skipped.length > 0
          ? `; skipped ${scanned.skipped.length} non-image entr${scanned.skipped.length === 1 ? 'y' : 'ies'} (${scanned.skipped.slice(0, 3).join(', ')}${scanned.skipped.length > 3 ? ', …' : ''})`
          : ''),
    );

    const backend = await startNodeBackend(requested);
    const net = await loadBagNetFromDisk(values.model, {
      onProgress: (p) => progress.step('loading model', p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 1),
    });
    progress.done();
    try {
      const shortSide = resize === 'none' ? undefined : (resize ?? Math.min(...net.metadata.inputSize));
      if (shortSide !== undefined && shortSide < net.receptiveField) {
        throw new CliError(
          `--resize ${shortSide} is smaller than the model's receptive field q = ${net.receptiveField}.`,
        );
      }
      progress.note(
        `fine-tuning the head of BagNet-${net.receptiveField} (${net.numClasses} classes → ${classes.length}) on the ${backend} backend`,
      );
      const result = await fineTuneHead(net, images(classes, folder, net, shortSide), {
        labels: classes.map((c) => c.name),
        epochs,
        learningRate,
        batchSize,
        validationSplit,
        seed,
        l2,
        notes: `Trained by 'bagnet train' on the class folders of ${folder}.`,
        onProgress: (p) => {
          if (p.phase === 'prepare') progress.step(`reading ${total} images`, p.done / total);
          else if (p.phase === 'epoch') progress.note(epochLine(p));
        },
      });
      try {
        progress.note(`writing ${out}`);
        let saved: Awaited<ReturnType<typeof saveBagNetToDisk>>;
        try {
          saved = await saveBagNetToDisk(result.model, out);
        } catch (e) {
          throw new CliError(`Cannot write the model to '${out}': ${describeFsError(e)}.`, { cause: e });
        }
        const last = result.history[result.history.length - 1]!;
        io.stdout(
          `${saved.modelJson}: BagNet-${net.receptiveField} with a new head for ${classes.length} classes ` +
            `(${classes.map((c) => c.name).join(', ')}); training accuracy ${percent(last.accuracy)} on ` +
            `${result.trainingExamples} images, held-out accuracy ${
              last.valAccuracy === undefined ? 'n/a' : percent(last.valAccuracy)
            } on ${result.validationExamples}\n`,
        );
      } finally {
        result.model.dispose();
      }
    } finally {
      net.dispose();
    }
  },
};

/**
 * The training images, decoded and resized one at a time as training reads them; each pixel
 * tensor is released once the next is asked for (or when training stops early).
 */
async function* images(
  classes: readonly ClassFolder[],
  root: string,
  net: BagNet,
  shortSide: number | undefined,
): AsyncGenerator<LabelledImage> {
  const q = net.receptiveField;
  for (const [label, c] of classes.entries()) {
    for (const file of c.files) {
      const name = relative(root, file) || file;
      const image = await decodeImageFile(await readInput(file, 'image'), name);
      const size: [number, number] =
        shortSide === undefined ? [image.height, image.width] : shortSideSize(image.height, image.width, shortSide);
      if (Math.min(...size) < q) {
        throw new CliError(
          `Image '${name}' is ${image.width}×${image.height} px, smaller than the model's receptive field ` +
            `q = ${q} px: use a larger image or --resize <n ≥ ${q}>.`,
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
        yield { image: pixels, label };
      } finally {
        pixels.dispose();
      }
    }
  }
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** `epoch 3/30  loss 0.4321  accuracy 91.2 %  held-out loss 0.5100  accuracy 88.0 %  ETA 2 s` */
function epochLine(p: EpochProgress): string {
  const width = String(p.epochs).length;
  return [
    `epoch ${String(p.epoch).padStart(width)}/${p.epochs}`,
    `loss ${p.loss.toFixed(4)}`,
    `accuracy ${percent(p.accuracy).padStart(7)}`,
    ...(p.valLoss !== undefined && p.valAccuracy !== undefined
      ? [`held-out loss ${p.valLoss.toFixed(4)}`, `accuracy ${percent(p.valAccuracy).padStart(7)}`]
      : []),
    `ETA ${duration(p.etaSeconds)}`,
  ].join('  ');
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
