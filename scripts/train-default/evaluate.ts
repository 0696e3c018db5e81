/**
 * Evaluates the shipped default BagNet and the plain-CNN baseline in tfjs (WASM backend, Node) on
 * all 10,000 Fashion-MNIST test images — the evaluation packages/models/test/accuracy.test.ts
 * repeats — and writes the results into the model card (between the `evaluation` markers of
 * packages/models/default/MODEL_CARD.md) and packages/models/default/evaluation.json.
 *
 *   node --conditions=source --import tsx scripts/train-default/evaluate.ts
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { useBackend } from '@bagnet-vis/core';
import { loadBagNetFromDisk } from '@bagnet-vis/core/node';
import { format, resolveConfig } from 'prettier';

import { defaultModelUrl } from '../../packages/models/src/index.js';
import {
  evaluateOnTestSet,
  haveFashionMnist,
  loadPlainCnn,
  percent,
  readFashionMnistTest,
  TEST_IMAGES,
} from '../../packages/models/test/fashion-mnist-eval.js';
import type { Evaluation } from '../../packages/models/test/fashion-mnist-eval.js';

const modelsDir = fileURLToPath(new URL('../../packages/models/', import.meta.url));
const cardPath = join(modelsDir, 'default/MODEL_CARD.md');
const START = '<!-- evaluation:start';
const END = '<!-- evaluation:end -->';

interface EpochLog {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
}
interface ModelLog {
  parameters: number;
  testAccuracy: number;
  epochs: EpochLog[];
}
interface TrainingLog {
  labels: string[];
  bagnetArchitecture: { receptiveField: number };
  results: { bagnet: ModelLog; plainCnn?: ModelLog };
}

/**
 * The training curves (validation accuracy and training/validation loss per epoch of both
 * models) as a small self-contained SVG, from training-log.json.
 */
function trainingCurveSvg(log: TrainingLog): string {
  const runs = [{ name: 'BagNet', m: log.results.bagnet, colour: '#c0392b' }];
  if (log.results.plainCnn) runs.push({ name: 'plain CNN', m: log.results.plainCnn, colour: '#2471a3' });
  const W = 640;
  const H = 260;
  const panel = { w: 260, h: 180, top: 36 };
  const lefts = [60, 370];
  const epochs = log.results.bagnet.epochs.length;
  const x = (left: number, e: number) => left + ((e - 1) / Math.max(1, epochs - 1)) * panel.w;
  // Lower bound: the lowest validation accuracy, rounded down to 5 %.
  const low = Math.floor(Math.min(...runs.flatMap(({ m }) => m.epochs.map((e) => e.valAccuracy))) * 20) / 20;
  const accRange = [Math.min(0.8, low), 1.0] as const;
  const maxLoss = Math.max(...runs.flatMap(({ m }) => m.epochs.flatMap((e) => [e.trainLoss, e.valLoss])));
  const yAcc = (v: number) =>
    panel.top + panel.h - ((Math.max(accRange[0], v) - accRange[0]) / (accRange[1] - accRange[0])) * panel.h;
  const yLoss = (v: number) => panel.top + panel.h - (v / maxLoss) * panel.h;
  const line = (pts: [number, number][], colour: string, dash = '') =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${pts
      .map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`)
      .join(' ')}"/>`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  const axes = (left: number, title: string, ticks: [number, string][], y: (v: number) => number) => {
    parts.push(`<text x="${left}" y="20" font-size="12" font-weight="bold">${title}</text>`);
    parts.push(`<rect x="${left}" y="${panel.top}" width="${panel.w}" height="${panel.h}" fill="none" stroke="#999"/>`);
    for (const [v, label] of ticks) {
      parts.push(`<text x="${left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${label}</text>`);
      parts.push(
        `<line x1="${left}" x2="${left + panel.w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
      );
    }
    for (let e = 1; e <= epochs; e++) {
      parts.push(`<text x="${x(left, e).toFixed(1)}" y="${panel.top + panel.h + 14}" text-anchor="middle">${e}</text>`);
    }
    parts.push(`<text x="${left + panel.w / 2}" y="${panel.top + panel.h + 28}" text-anchor="middle">epoch</text>`);
  };
  axes(
    lefts[0]!,
    'validation accuracy (5,000 held-out training images)',
    Array.from({ length: Math.round((1 - accRange[0]) * 20) + 1 }, (_, i) => accRange[0] + i * 0.05).map((v) => [
      v,
      `${Math.round(v * 100)} %`,
    ]),
    yAcc,
  );
  axes(
    lefts[1]!,
    'loss (solid: training, dashed: validation)',
    [0, 0.25, 0.5, 0.75, 1].map((f) => [f * maxLoss, (f * maxLoss).toFixed(2)]),
    yLoss,
  );
  runs.forEach(({ name, m, colour }, i) => {
    parts.push(
      line(
        m.epochs.map((e) => [x(lefts[0]!, e.epoch), yAcc(e.valAccuracy)]),
        colour,
      ),
    );
    parts.push(
      line(
        m.epochs.map((e) => [x(lefts[1]!, e.epoch), yLoss(e.trainLoss)]),
        colour,
      ),
    );
    parts.push(
      line(
        m.epochs.map((e) => [x(lefts[1]!, e.epoch), yLoss(e.valLoss)]),
        colour,
        '4 3',
      ),
    );
    const ly = panel.top + panel.h - 30 + i * 14;
    parts.push(
      `<line x1="${lefts[0]! + 150}" x2="${lefts[0]! + 170}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${lefts[0]! + 174}" y="${ly + 4}">${name}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

const thousands = (n: number): string => n.toLocaleString('en-US');
const kB = (bytes: number): string => `${Math.round(bytes / 1000)} kB`;

function shardBytes(modelJson: URL): number {
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest: { paths: string[] }[] };
  return json.weightsManifest.flatMap((g) => g.paths).reduce((n, p) => n + statSync(new URL(p, modelJson)).size, 0);
}

function section(
  log: TrainingLog,
  bag: Evaluation,
  bagBytes: number,
  cnn: { e: Evaluation; bytes: number } | undefined,
): string {
  const q = log.bagnetArchitecture.receptiveField;
  const labels = log.labels;
  const cnnLog = log.results.plainCnn;
  const cnnRow = !cnnLog
    ? []
    : cnn
      ? [
          `| Plain CNN (baseline) | whole image | ${thousands(cnnLog.parameters)} | ${kB(cnn.bytes)} | ${percent(cnn.e.accuracy)} % | ${percent(cnnLog.testAccuracy)} % |`,
        ]
      : [
          `| Plain CNN (baseline, weights not committed) | whole image | ${thousands(cnnLog.parameters)} | — | — | ${percent(cnnLog.testAccuracy)} % |`,
        ];
  const gap = cnn
    ? `Gap: the plain CNN is **${(100 * (cnn.e.accuracy - bag.accuracy)).toFixed(2)} points** ahead in tfjs. `
    : cnnLog
      ? `Gap: ${(100 * (cnnLog.testAccuracy - bag.accuracy)).toFixed(2)} points to the plain CNN's PyTorch accuracy (its weights are not committed, so tfjs cannot re-check it). `
      : '';
  const rows = [
    `${START} — written by scripts/train-default/evaluate.ts from the tfjs evaluation; do not edit by hand -->`,
    '',
    '| model | receptive field | parameters | float32 weights | test accuracy (tfjs) | PyTorch |',
    '| --- | --- | --- | --- | --- | --- |',
    `| BagNet, q = ${q} (this model) | ${q}×${q} px | ${thousands(log.results.bagnet.parameters)} | ${kB(bagBytes)} | **${percent(bag.accuracy)} %** | ${percent(log.results.bagnet.testAccuracy)} % |`,
    ...cnnRow,
    '',
    gap +
      `tfjs numbers: WASM backend in Node, all ${thousands(bag.images)} test images ` +
      `(${[bag, ...(cnn ? [cnn.e] : [])].map((e) => thousands(e.correct)).join(' and ')} correct); ` +
      '`packages/models/test/accuracy.test.ts` repeats this evaluation and asserts these numbers to 0.05 points. ' +
      'The PyTorch column is train.py’s float32 evaluation of the same checkpoints.',
    '',
    '**Per class** (tfjs accuracy on the 1,000 test images of each class):',
    '',
    cnn ? '| class | BagNet | plain CNN | difference |' : '| class | BagNet |',
    cnn ? '| --- | --- | --- | --- |' : '| --- | --- |',
    ...labels.map((l, c) =>
      cnn
        ? `| ${l} | ${percent(bag.perClass[c]!)} % | ${percent(cnn.e.perClass[c]!)} % | ${(100 * (bag.perClass[c]! - cnn.e.perClass[c]!)).toFixed(1)} |`
        : `| ${l} | ${percent(bag.perClass[c]!)} % |`,
    ),
    '',
    '**Confusion matrix of the BagNet** (rows: true class, columns: predicted class; image counts):',
    '',
    `| true \\ predicted | ${labels.map((_, c) => String(c)).join(' | ')} |`,
    `| --- | ${labels.map(() => '---').join(' | ')} |`,
    ...labels.map(
      (l, c) =>
        `| ${c} ${l} | ${bag.confusion[c]!.map((v, p) => (p === c ? `**${v}**` : v === 0 ? '·' : String(v))).join(' | ')} |`,
    ),
    '',
    END,
  ];
  return rows.join('\n');
}

async function main(): Promise<void> {
  if (!haveFashionMnist()) {
    console.error(`evaluate: ${TEST_IMAGES} is missing: apt-get install -y dataset-fashion-mnist`);
    process.exit(1);
  }
  const log = JSON.parse(readFileSync(join(modelsDir, 'default/training-log.json'), 'utf8')) as TrainingLog;
  await useBackend('wasm');
  const data = readFashionMnistTest();
  const t0 = performance.now();
  const net = await loadBagNetFromDisk(fileURLToPath(defaultModelUrl));
  let bag: Evaluation;
  try {
    bag = await evaluateOnTestSet(data, net.metadata.normalization, net.labels.length, (x: Tensor4D) =>
      tf.mean(net.logitMap(x), [1, 2]),
    );
  } finally {
    net.dispose();
  }
  const t1 = performance.now();
  console.log(
    `BagNet ${percent(bag.accuracy)} % on ${data.count} test images in ${((t1 - t0) / 1000).toFixed(1)} s, tfjs ${tf.getBackend()}`,
  );
  let cnn: { e: Evaluation; bytes: number } | undefined;
  const baselineJson = new URL('baseline/model.json', `file://${modelsDir}`);
  if (existsSync(baselineJson)) {
    const { model, metadata } = await loadPlainCnn(baselineJson);
    try {
      const e = await evaluateOnTestSet(
        data,
        { ...metadata.normalization, channelOrder: 'RGB' },
        metadata.labels.length,
        (x: Tensor4D) => model.predict(x) as Tensor2D,
      );
      cnn = { e, bytes: shardBytes(baselineJson) };
    } finally {
      model.dispose();
    }
    console.log(`plain CNN ${percent(cnn.e.accuracy)} % in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }

  const card = readFileSync(cardPath, 'utf8');
  const a = card.indexOf(START);
  const b = card.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${cardPath} lacks the evaluation markers`);
  const text = section(log, bag, shardBytes(defaultModelUrl), cnn);
  const updated = card.slice(0, a) + text + card.slice(b + END.length);
  writeFileSync(cardPath, await format(updated, { ...(await resolveConfig(cardPath)), filepath: cardPath }));
  writeFileSync(join(modelsDir, 'default/training-curve.svg'), trainingCurveSvg(log));
  const evalPath = join(modelsDir, 'default/evaluation.json');
  const doc = {
    description:
      'tfjs (WASM backend, Node) evaluation of the shipped models on the 10,000 Fashion-MNIST test images, ' +
      'written by scripts/train-default/evaluate.ts; confusion[true][predicted]',
    labels: log.labels,
    bagnet: bag,
    ...(cnn ? { plainCnn: cnn.e } : {}),
  };
  writeFileSync(
    evalPath,
    await format(JSON.stringify(doc), { ...(await resolveConfig(evalPath)), filepath: evalPath }),
  );
  console.log(`wrote the evaluation section of ${cardPath} and ${evalPath}`);
}

await main();
