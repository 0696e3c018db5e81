/**
 * `bagnet explain <image> --model <model.json>`: one forward pass → the top classes as a table,
 * and optionally the evidence as JSON (`--json`), a PNG figure (`--png`) and a dense per-pixel
 * heatmap (`--dense`).
 */
import { basename } from 'node:path';

import { clipScale, patchRobustness, printable, ROBUSTNESS_METHODS } from '@bagnet-vis/core';
import type { BagNet, ClassScore, EvidenceMap, PatchRobustness, RobustnessMethod } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';

import { nodeBackendFlag, resizeFlag, startNodeBackend } from '../backend-flag.js';
import { integer, parseCommandLine, positionals } from '../args.js';
import type { Command, ModelGeometry } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { denseHeatmap } from '../explain/dense-heatmap.js';
import { explanationJson } from '../explain/explanation-json.js';
import type { HeatmapJson } from '../explain/explanation-json.js';
import { patchEvidencePerPixel } from '../explain/pixel-evidence.js';
import { resolveClass } from '../explain/resolve-class.js';
import { robustnessJson, robustnessLine } from '../explain/robustness-json.js';
import { checkWritable, readInput, writeFileAtomic } from '../files.js';
import { decodeImageFile } from '../image/decode.js';
import type { DecodedImage } from '../image/decode.js';
import { pixelTensor, resizePixels, shortSideSize } from '../image/resize.js';
import { wrap } from '../terminal.js';

/** Backends that run under Node. */

function help(model?: ModelGeometry): string {
  const patches =
    model === undefined
      ? "one per q×q patch, every stride px; q and stride are the model's: 33 and 8 px for BagNet-33, 11 and 2 px for the default model"
      : `one per ${model.receptiveField}×${model.receptiveField} patch, every ${model.stride} px for this model`;
  const intro = wrap(
    `Runs a BagNet once on the image and prints its top classes. Every class logit is the mean of a map of per-patch logits (${patches}): --json writes that map, --png draws it over the image.`,
    88,
  );
  return `Usage: bagnet explain <image.png|.jpg> --model <model.json|dir> [options]

${intro}

Options:
  --model <path>        model.json written by 'bagnet convert' (or its folder)
  --json <file>         write {"logits", "logitMap": {"shape": [h, w, C], "data"},
                        "top": [{"index", "label", "logit", "probability"}],
                        "evidence": {"class", "label", "logit", "bias",
                          "clip": {"percentile", "limit"}, "for", "against",
                          "contribution", "rank", "share"} (per patch, of --class),
                        "heatmap": {"class", "shape": [H, W], "data", "clip"}}
                        (heatmap with --dense)
  --png <file>          write the image, the evidence overlay and a legend
                        (red = evidence for the class, blue = against)
  --class <i|label>     class to draw and to compute the dense heatmap for
                        (default: the top class)
  --top <k>             classes to print and to list in the JSON (default 5)
  --dense               per-pixel heatmap: the class logit of the q×q patch centred on
                        each pixel (normalised image zero-padded by (q-1)/2, as the
                        reference implementation); slower than the patch map
  --robust <px>         certify the top class against any adversarial patch of
                        px×px pixels, from the evidence map (prints a line; adds
                        "robustness" to the JSON and the worst-case window to the PNG)
  --robust-method <m>   mask (PatchGuard robust masking, default) or clip (Clipped
                        BagNet: tanh(0.05 x - 1) of every patch logit)
  --resize <n|none>     resize so the short side is n px (default: the model's input
                        size), aspect ratio kept, no crop; 'none' keeps the image.
                        Bilinear with half-pixel centres (box-averaged first when
                        shrinking 2x or more), rounded to 8 bits
  --backend <name>      wasm or cpu (default: wasm, or cpu where wasm cannot start)
  -q, --quiet           no progress on stderr
  -h, --help            this help

Examples:
  bagnet explain cat.jpg --model bagnet33/model.json --png cat-evidence.png
  bagnet explain shoe.png --model m --class Sneaker --dense --json shoe.json
  bagnet explain cat.jpg --model bagnet33/model.json --robust 32 --png cat-robust.png`;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'image → top classes, evidence map as JSON and/or PNG heatmap',
  help: help(),
  helpFor: help,
  async run(argv, { io, progress }) {
    const { values, positionals: rest } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        json: { type: 'string' },
        png: { type: 'string' },
        class: { type: 'string' },
        top: { type: 'string', default: '5' },
        dense: { type: 'boolean' },
        robust: { type: 'string' },
        'robust-method': { type: 'string' },
        resize: { type: 'string' },
        backend: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
    const [imagePath] = positionals(rest, ['image']) as [string];
    if (values.model === undefined) throw new UsageError('Missing --model <model.json>');
    const top = integer(values.top, '--top', 1);
    const resize = resizeFlag(values.resize);
    const robust = values.robust === undefined ? undefined : integer(values.robust, '--robust', 1, 4096);
    const method = (values['robust-method'] ?? 'mask') as RobustnessMethod;
    if (!ROBUSTNESS_METHODS.includes(method)) {
      throw new UsageError(`--robust-method must be ${ROBUSTNESS_METHODS.join(' or ')}, got '${printable(method)}'`);
    }
    if (values['robust-method'] !== undefined && robust === undefined) {
      throw new UsageError('--robust-method needs --robust <px>');
    }
    const requested = nodeBackendFlag(values.backend);
    if (values.json !== undefined) await checkWritable(values.json, '--json');
    if (values.png !== undefined) await checkWritable(values.png, '--png');

    const name = basename(imagePath);
    const image = await decodeImageFile(await readInput(imagePath, 'image'), name);
    const backend = await startNodeBackend(requested);
    const net = await loadBagNetFromDisk(values.model, {
      onProgress: (p) => progress.step('loading model', p.totalBytes > 0 ? p.loadedBytes / p.totalBytes : 1),
    });
    progress.done();
    try {
      const q = net.receptiveField;
      let size: [number, number] = [image.height, image.width];
      if (resize !== 'none') {
        const short = resize ?? Math.min(...net.metadata.inputSize);
        if (short < q) throw new CliError(`--resize ${short} is smaller than the model's receptive field q = ${q}.`);
        size = shortSideSize(image.height, image.width, short);
      }
      if (Math.min(...size) < q) {
        throw new CliError(
          `Image '${name}' is ${image.width}×${image.height} px, smaller than the model's receptive field ` +
            `q = ${q} px: use a larger image or --resize <n ≥ ${q}>.`,
        );
      }
      const pixels = tfResize(image, size);
      try {
        const [h, w] = size;
        const how = h === image.height && w === image.width ? 'as is' : `resized from ${image.width}×${image.height}`;
        const geometry = net.geometry(h, w);
        progress.note(
          `explaining ${name}: ${w}×${h} px (${how}), ${geometry.cols}×${geometry.rows} patches of ${q}×${q} px every ${net.stride} px, ${backend} backend`,
        );
        const evidence = await net.evidence(pixels);
        try {
          const classIndex =
            values.class === undefined ? evidence.topClasses(1)[0]!.index : resolveClass(values.class, net.labels);
          const topClasses = evidence.topClasses(top);
          let heatmap: HeatmapJson | undefined;
          if (values.dense === true) {
            const data = await denseHeatmap(net, pixels, classIndex, progress);
            heatmap = { classIndex, height: h, width: w, data, clip: clipScale(data) };
          }
          const certificate =
            robust === undefined ? undefined : await patchRobustness(evidence, { patchPx: robust, method });
          io.stdout(table(topClasses));
          if (certificate !== undefined) io.stdout(`${printable(robustnessLine(certificate, net.labels))}\n`);
          if (values.json !== undefined) {
            const robustness = certificate && robustnessJson(certificate, net.labels);
            await writeFileAtomic(values.json, explanationJson(evidence, topClasses, heatmap, robustness, classIndex));
            progress.note(`wrote ${values.json}`);
          }
          if (values.png !== undefined) {
            const rgb = await pixels.data();
            await writeFileAtomic(values.png, await figure(net, evidence, classIndex, rgb, heatmap, certificate));
            progress.note(`wrote ${values.png}`);
          }
        } finally {
          evidence.dispose();
        }
      } finally {
        pixels.dispose();
      }
    } finally {
      net.dispose();
    }
  },
};

function tfResize(image: DecodedImage, size: readonly [number, number]) {
  const raw = pixelTensor(image);
  try {
    return resizePixels(raw, size);
  } finally {
    raw.dispose();
  }
}

function table(top: readonly ClassScore[]): string {
  const rows = [
    ['rank', 'class', 'label', 'logit', 'probability'],
    ...top.map((t, r) => [
      String(r + 1),
      String(t.index),
      printable(t.label.length > 40 ? `${t.label.slice(0, 39)}…` : t.label),
      t.logit.toFixed(4),
      `${(t.probability * 100).toFixed(2)} %`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const right = [true, true, false, true, true];
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

async function figure(
  net: BagNet,
  evidence: EvidenceMap,
  classIndex: number,
  rgb: ArrayLike<number>,
  heatmap: HeatmapJson | undefined,
  certificate: PatchRobustness | undefined,
): Promise<Uint8Array> {
  // Loaded on demand: the rasteriser and its fonts cost start-up time that only --png needs.
  const { renderExplanationPng } = await import('../render/explanation-png.js');
  const { imageHeight: height, imageWidth: width, rows, cols } = evidence.geometry;
  const label = net.labels[classIndex]!;
  const p = evidence.probabilities[classIndex]!;
  const q = net.receptiveField;
  const classEvidence = evidence.classEvidence(classIndex);
  const split = classEvidence.split;
  const signed = (v: number) => `${v < 0 ? '\u2212' : '+'}${Math.abs(v).toFixed(2)}`;
  return renderExplanationPng({
    rgb,
    width,
    height,
    values: heatmap?.data ?? patchEvidencePerPixel(evidence, classIndex),
    // The scale of the map as computed (cells, or the dense map), as <bagnet-heatmap> draws it.
    clip: heatmap?.clip ?? classEvidence.clip(),
    title: printable(label),
    titleSuffix: label === `class ${classIndex}` ? '' : ` (class ${classIndex})`,
    facts: [
      `logit ${split.logit.toFixed(2)} = bias ${signed(split.bias)}`,
      `for ${signed(split.positive)} (${split.positiveCount} patches)`,
      `against ${signed(split.negative)} (${split.negativeCount} patches)`,
      `probability ${p.toFixed(3)}`,
    ],
    subtitle:
      heatmap === undefined
        ? `BagNet-${q} patch evidence: ${cols}\u00d7${rows} patches of ${q}\u00d7${q} px every ${net.stride} px`
        : `BagNet-${q} dense heatmap: logit of the ${q}\u00d7${q} patch centred on each pixel`,
    quantity: heatmap === undefined ? 'patch logit' : 'logit of the centred patch',
    ...(certificate && {
      box: {
        ...certificate.worstWindow.rect,
        note:
          `box: worst window for a ${certificate.patchPx} px patch (${certificate.method}): ` +
          `${certificate.certified ? 'certified' : 'NOT certified'}, margin ${certificate.margin.toFixed(3)} ` +
          `vs '${printable(net.labels[certificate.worstWindow.rivalClass]!)}'`,
      },
    }),
  });
}
