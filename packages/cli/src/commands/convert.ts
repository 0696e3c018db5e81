/**
 * `bagnet convert <checkpoint> --out <dir>`: a PyTorch BagNet checkpoint → a tfjs model folder
 * (model.json + weight shards with bagnet metadata), without Python and without executing anything
 * from the file.
 */
import { basename } from 'node:path';

import { convertCheckpoint, parseLabels } from '@bagnet-vis/convert';
import type { ConvertOptions } from '@bagnet-vis/convert';
import { useBackend } from '@bagnet-vis/core';
import { saveBagNetToDisk } from '@bagnet-vis/core/node';

import { integer, numberList, parseCommandLine, positionals } from '../args.js';
import type { Command } from '../command.js';
import { CliError, describeFsError, UsageError } from '../errors.js';
import { checkOutputFolder, readInput } from '../files.js';

const HELP = `Usage: bagnet convert <checkpoint> --out <dir> [options]

Converts a PyTorch BagNet checkpoint (torch.save of a state_dict: the published
bagnet8/16/32-*.pth.tar files, zip or legacy format, plain, {'state_dict': ...} or
'module.'-prefixed) into <dir>/model.json + weight shards for TensorFlow.js. The file
is read by a safe unpickler: nothing in it is executed. The folder appears complete
or not at all.

Options:
  --out <dir>               output folder (created; must be empty or absent unless --force)
  --labels <file>           class labels: a JSON array, a Keras imagenet_class_index.json,
                            or one label per line (default: ImageNet's for 1000 classes,
                            otherwise "class 0", "class 1", ...)
  --stage-strides <a,b,c,d> strides of the four stages (default 2,2,2,1 as published;
                            checkpoints do not record them)
  --input-size <H[,W]>      training image size (default 224); 'explain' resizes the
                            short side to it
  --mean <r,g,b>            normalisation mean for pixels in [0, 1] (default ImageNet's
  --std <r,g,b>             0.485,0.456,0.406 / 0.229,0.224,0.225); give both or neither
  --notes <text>            free-form provenance notes (default: how the file was stored)
  --force                   write into an existing non-empty folder
  -q, --quiet               no progress on stderr
  -h, --help                this help

Examples:
  bagnet convert bagnet32-2ddd53ed.pth.tar --out bagnet33
  bagnet convert fmnist.pth --out m --labels labels.txt --stage-strides 1,2,2,1 \\
      --input-size 28 --mean 0.286,0.286,0.286 --std 0.353,0.353,0.353`;

export const convertCommand: Command = {
  name: 'convert',
  summary: 'PyTorch BagNet checkpoint → TensorFlow.js model folder (no Python needed)',
  help: HELP,
  async run(argv, { io, progress }) {
    const { values, positionals: rest } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        labels: { type: 'string' },
        'stage-strides': { type: 'string' },
        'input-size': { type: 'string' },
        mean: { type: 'string' },
        std: { type: 'string' },
        notes: { type: 'string' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
    const [checkpoint] = positionals(rest, ['checkpoint']) as [string];
    if (values.out === undefined) throw new UsageError('Missing --out <dir>');
    const out = values.out;
    const options: {
      -readonly [K in keyof ConvertOptions]: ConvertOptions[K];
    } = { fileName: basename(checkpoint) };
    if (values['stage-strides'] !== undefined) {
      const s = numberList(values['stage-strides'], '--stage-strides', 4, '2,2,2,1');
      if (!s.every((x) => x === 1 || x === 2)) throw new UsageError('--stage-strides takes strides of 1 or 2');
      options.stageStrides = s as [number, number, number, number];
    }
    if (values['input-size'] !== undefined) {
      const parts = values['input-size'].split(',');
      if (parts.length > 2) throw new UsageError(`--input-size expects H or H,W, got '${values['input-size']}'`);
      const [h, w = h] = parts.map((p) => integer(p, '--input-size', 1, 4096));
      options.inputSize = [h!, w!];
    }
    if ((values.mean === undefined) !== (values.std === undefined)) {
      throw new UsageError('--mean and --std go together: give both (or neither, for ImageNet normalisation)');
    }
    if (values.mean !== undefined && values.std !== undefined) {
      const mean = numberList(values.mean, '--mean', 3, '0.485,0.456,0.406');
      const std = numberList(values.std, '--std', 3, '0.229,0.224,0.225');
      if (!std.every((s) => s > 0)) throw new UsageError('--std values must be positive');
      options.normalization = {
        mean: mean as [number, number, number],
        std: std as [number, number, number],
        channelOrder: 'RGB',
      };
    }
    if (values.notes !== undefined) options.notes = values.notes;

    await checkOutputFolder(out, values.force === true);
    if (values.labels !== undefined) {
      const text = new TextDecoder().decode(await readInput(values.labels, 'labels'));
      options.labels = parseLabels(text, `labels file '${values.labels}'`);
    }
    const bytes = await readInput(checkpoint, 'checkpoint');
    await useBackend('cpu'); // building the model needs a backend; nothing heavy runs
    const net = await convertCheckpoint(bytes, {
      ...options,
      onProgress: (p) => progress.note(p.message),
    });
    try {
      progress.note(`writing ${out}`);
      let saved: Awaited<ReturnType<typeof saveBagNetToDisk>>;
      try {
        saved = await saveBagNetToDisk(net, out);
      } catch (e) {
        throw new CliError(`Cannot write the model to '${out}': ${describeFsError(e)}.`, { cause: e });
      }
      const shards = saved.files.length - 1;
      const m = net.metadata;
      io.stdout(
        `${saved.modelJson}: BagNet-${m.receptiveField} (stride ${m.stride}), ${net.numClasses} classes, ` +
          `input ${m.inputSize[0]}×${m.inputSize[1]}, ${shards} weight shard${shards === 1 ? '' : 's'}, ` +
          `sha256 ${m.provenance.sha256 ?? 'n/a'}\n`,
      );
    } finally {
      net.dispose();
    }
  },
};
