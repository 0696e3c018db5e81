/**
 * The tfjs-vis dashboard: a BagNet in tfjs-vis's visor, with tfjs-vis's own views of the model
 * (`show.modelSummary` of its logit model, `render.linechart` of its training history) beside
 * @bagnet-vis/tfjs-vis's views of what it sees in one image (`render.heatmap`,
 * `render.evidenceBar`, `render.patchGallery`, `show.explain`). Picking another image updates
 * the same views in place.
 */
import type { BagNet, EvidenceMap } from '@bagnet-vis/core';
import { render, show } from '@bagnet-vis/tfjs-vis';
import type * as TfjsVis from '@tensorflow/tfjs-vis';

/** The part of packages/models/default/training-log.json that the curves use. */
export interface TrainingLog {
  readonly results: Record<
    'bagnet' | 'plainCnn',
    {
      readonly testAccuracy: number;
      readonly epochs: readonly {
        readonly epoch: number;
        readonly trainLoss: number;
        readonly valLoss: number;
        readonly trainAccuracy: number;
        readonly valAccuracy: number;
      }[];
    }
  >;
}

/** Where each view goes: tabs and surface names of the visor. */
export const SURFACES = {
  summary: { name: 'Model summary: BagNet logit model (tfvis.show.modelSummary)', tab: 'Model' },
  loss: { name: 'Training loss per epoch (tfvis.render.linechart)', tab: 'Model' },
  accuracy: { name: 'Validation accuracy per epoch (tfvis.render.linechart)', tab: 'Model' },
  testAccuracy: { name: 'Test accuracy (tfvis.render.table)', tab: 'Model' },
  heatmap: { name: 'Class evidence per patch (bagnetVis.render.heatmap)', tab: 'Evidence' },
  evidenceBar: { name: 'Logits split into patch evidence (bagnetVis.render.evidenceBar)', tab: 'Evidence' },
  patchGallery: { name: 'Most and least informative patches (bagnetVis.render.patchGallery)', tab: 'Evidence' },
  explain: { name: 'Linked explanation (bagnetVis.show.explain)', tab: 'Explain' },
} as const;

/** tfjs-vis's views of the model: its summary and its training curves. */
export async function showModel(tfvis: typeof TfjsVis, net: BagNet, log: TrainingLog): Promise<void> {
  await tfvis.show.modelSummary(SURFACES.summary, net.logitModel);
  const { bagnet, plainCnn } = log.results;
  const curve = (epochs: TrainingLog['results']['bagnet']['epochs'], key: 'trainLoss' | 'valLoss' | 'valAccuracy') =>
    epochs.map((e) => ({ x: e.epoch, y: e[key] }));
  await tfvis.render.linechart(
    SURFACES.loss,
    {
      values: [
        curve(bagnet.epochs, 'trainLoss'),
        curve(bagnet.epochs, 'valLoss'),
        curve(plainCnn.epochs, 'trainLoss'),
        curve(plainCnn.epochs, 'valLoss'),
      ],
      series: ['BagNet train', 'BagNet validation', 'plain CNN train', 'plain CNN validation'],
    },
    { xLabel: 'epoch', yLabel: 'cross-entropy', zoomToFit: true, height: 220 },
  );
  await tfvis.render.linechart(
    SURFACES.accuracy,
    {
      values: [curve(bagnet.epochs, 'valAccuracy'), curve(plainCnn.epochs, 'valAccuracy')],
      // Plain names: vega-lite reads dots in series names as field paths.
      series: ['BagNet', 'plain CNN'],
    },
    { xLabel: 'epoch', yLabel: 'accuracy', zoomToFit: true, height: 220 },
  );
  const percent = (a: number) => `${(100 * a).toFixed(1)} %`;
  await tfvis.render.table(SURFACES.testAccuracy, {
    headers: ['model', 'test accuracy (10,000 images)'],
    values: [
      [`BagNet (q = ${net.receptiveField}, stride ${net.stride})`, percent(bagnet.testAccuracy)],
      ['plain CNN (whole-image receptive field)', percent(plainCnn.testAccuracy)],
    ],
  });
}

/**
 * Shows what the BagNet sees in `image` with @bagnet-vis/tfjs-vis. Called again with another
 * image, it updates the same elements. Returns the evidence map the Evidence tab shows: the caller
 * disposes it once the next call has replaced it.
 */
export async function showImage(net: BagNet, image: HTMLImageElement): Promise<EvidenceMap> {
  const evidence = await net.evidence(image);
  const top = evidence.topClasses(1)[0]!.index;
  await render.heatmap(SURFACES.heatmap, evidence, { image, classIndex: top, outline: true, width: 320 });
  await render.evidenceBar(SURFACES.evidenceBar, evidence, { classIndex: top, k: 5, showProbabilities: true });
  await render.patchGallery(SURFACES.patchGallery, evidence, { image, classIndex: top, k: 5 });
  await show.explain(SURFACES.explain, net, image, { classIndex: null });
  return evidence;
}
