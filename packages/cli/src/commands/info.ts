/**
 * `bagnet info <model.json>`: what a converted model is (q, architecture, classes, input size,
 * normalisation, provenance), with its weight shards checked on disk. Loads no weights.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { forwardMacs, outputSide, parseModelJson, printable } from '@bagnet-vis/core';

import { parseCommandLine, positionals } from '../args.js';
import type { Command } from '../command.js';
import { CliError, describeFsError } from '../errors.js';

const HELP = `Usage: bagnet info <model.json|dir> [--json]

Describes a model written by 'bagnet convert': receptive field, architecture, classes,
input size, normalisation, size and cost, and where it came from (source file, SHA-256,
converter, date). Checks that every weight shard is present and complete.

Options:
  --json        print the model's bagnet metadata as JSON instead
  -h, --help    this help`;

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

export const infoCommand: Command = {
  name: 'info',
  summary: 'describe a converted model (architecture, labels, provenance)',
  help: HELP,
  async run(argv, { io }) {
    const { values, positionals: rest } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: { json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    });
    const [arg] = positionals(rest, ['model.json']) as [string];
    let path = resolve(arg);
    try {
      if ((await stat(path)).isDirectory()) path = join(path, 'model.json');
    } catch {
      // reported by readFile below
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new CliError(`Cannot read model '${arg}': ${describeFsError(e)}.`, { cause: e });
    }
    const model = parseModelJson(text, path);
    const m = model.userDefinedMetadata.bagnet;

    let parameters = 0;
    let weightBytes = 0;
    const shards: string[] = [];
    for (const group of model.weightsManifest) {
      let groupBytes = 0;
      for (const w of group.weights) {
        const n = w.shape.reduce((a, b) => a * b, 1);
        parameters += n;
        groupBytes += n * (BYTES[w.quantization?.dtype ?? w.dtype] ?? 4);
      }
      let onDisk = 0;
      for (const p of group.paths) {
        const file = join(dirname(path), p);
        try {
          onDisk += (await stat(file)).size;
        } catch (e) {
          throw new CliError(
            `Weight shard '${file}' of ${path}: ${describeFsError(e)}. Copy every .bin file next to model.json.`,
          );
        }
        shards.push(p);
      }
      if (onDisk !== groupBytes) {
        throw new CliError(
          `Weight shards ${group.paths.join(', ')} of ${path} hold ${onDisk} bytes, but the manifest describes ${groupBytes}: they are truncated or belong to another model.`,
        );
      }
      weightBytes += groupBytes;
    }

    if (values.json === true) {
      io.stdout(`${JSON.stringify(m, null, 2)}\n`);
      return;
    }
    const a = m.architecture;
    const [h, w] = m.inputSize;
    const labels = m.labels;
    const shownLabels =
      labels.length <= 6
        ? labels.map((l) => `'${l}'`).join(', ')
        : `${labels
            .slice(0, 3)
            .map((l) => `'${l}'`)
            .join(', ')}, …, '${labels[labels.length - 1]!}'`;
    const p = m.provenance;
    const rows: [string, string][] = [
      ['model', path],
      ['receptive field', `q = ${m.receptiveField} px (BagNet-${m.receptiveField}), stride ${m.stride} px`],
      [
        'architecture',
        `stem ${a.stemWidth}, stage widths [${a.stageWidths.join(', ')}], blocks [${a.blocks.join(', ')}], ` +
          `stage strides [${a.stageStrides.join(', ')}], 3×3 blocks [${a.kernel3.join(', ')}]`,
      ],
      ['classes', `${a.numClasses}: ${shownLabels}`],
      ['input size', `${h}×${w} px → ${outputSide(a, h)}×${outputSide(a, w)} patches`],
      [
        'normalisation',
        `mean [${m.normalization.mean.join(', ')}], std [${m.normalization.std.join(', ')}], ${m.normalization.channelOrder}`,
      ],
      [
        'weights',
        `${(parameters / 1e6).toFixed(parameters < 1e5 ? 3 : 2)} M parameters (BatchNorm folded), ` +
          `${(weightBytes / 1e6).toFixed(1)} MB in ${shards.length} shard${shards.length === 1 ? '' : 's'}`,
      ],
      ['cost', `${(forwardMacs(a, h, w) / 1e9).toFixed(2)} GMAC per forward pass at ${h}×${w}`],
      ['source', p.source],
    ];
    if (p.sha256 !== undefined) rows.push(['sha256', p.sha256]);
    if (p.convertedBy !== undefined) rows.push(['converted by', `${p.convertedBy}${p.date ? ` on ${p.date}` : ''}`]);
    if (p.notes !== undefined) rows.push(['notes', p.notes]);
    const width = Math.max(...rows.map(([k]) => k.length));
    // Labels, source and notes come from the file: printed with control characters escaped.
    io.stdout(rows.map(([k, v]) => `${k.padEnd(width)}  ${printable(v)}`).join('\n') + '\n');
  },
};
