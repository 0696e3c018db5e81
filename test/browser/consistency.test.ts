/**
 * One image, one model, every view: the numbers <bagnet-heatmap>, <evidence-bar> and
 * <patch-gallery> show — text, ARIA labels, the painted colour scale — are exactly core's
 * (`EvidenceMap.classEvidence`), formatted by the elements' one formatter, on CPU and WASM.
 * The CLI side of the chain (explain --json == core) is test/node/consistency.test.ts.
 */
import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';

import { loadBagNet, useBackend } from '@bagnet-vis/core';
import type { BagNet, EvidenceMap } from '@bagnet-vis/core';
import type { BagNetHeatmapElement, EvidenceBarElement, PatchGalleryElement } from '@bagnet-vis/elements';
import '@bagnet-vis/elements/define.js';

import { formatEvidence, formatNumber, formatShare } from '../../packages/elements/src/shared/format.js';

const MODEL = '/packages/models/default/model.json';
const SAMPLE = '/packages/models/samples/test-00034-bag.png';

async function sampleImage(): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = SAMPLE;
  await img.decode();
  return img;
}

async function settle(el: HTMLElement & { updateComplete: Promise<unknown> }): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await el.updateComplete;
    await new Promise((r) => requestAnimationFrame(r));
  }
}

const shadowText = (el: Element, selector: string) =>
  (el.shadowRoot!.querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim();

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`every view shows core's numbers (${backend})`, () => {
    let net: BagNet;
    let evidence: EvidenceMap;
    let image: HTMLImageElement;
    let tensorsBefore: number;

    before(async () => {
      await useBackend(backend, { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' });
      tensorsBefore = tf.memory().numTensors;
      net = await loadBagNet(MODEL);
      image = await sampleImage();
      evidence = await net.evidence(image);
    });

    after(() => {
      fixtureCleanup();
      evidence.dispose();
      net.dispose();
      expect(tf.memory().numTensors).to.equal(tensorsBefore);
    });

    it('<bagnet-heatmap>: the painted scale is core’s clip scale; its summary names core’s top patches', async () => {
      const c = evidence.topClasses(1)[0]!.index;
      const core = evidence.classEvidence(c);
      const el = await fixture<BagNetHeatmapElement>(html`<bagnet-heatmap .evidence=${evidence}></bagnet-heatmap>`);
      await settle(el);
      expect(el.limits).to.deep.equal(core.clip(99).domain);
      const ticks = [...el.shadowRoot!.querySelectorAll('[part~="legend-tick"]')].map((t) => t.textContent!.trim());
      expect(ticks[0]).to.equal(formatNumber(core.clip(99).domain[0]));
      expect(ticks[ticks.length - 1]).to.equal(formatNumber(core.clip(99).domain[1]));
      const [first] = core.top(1);
      expect(el.summary).to.contain(
        `row ${first!.row + 1}, column ${first!.col + 1} (${formatEvidence(first!.logit)})`,
      );
      // "For" and "against" in the summary are core's, by contribution: the patches <evidence-bar> counts.
      const named = (side: 'for' | 'against') =>
        core
          .strongest(3, side)
          .map((p) => `row ${p.row + 1}, column ${p.col + 1} (${formatEvidence(p.logit)})`)
          .join('; ');
      expect(el.summary).to.contain(`Strongest evidence for it: ${named('for')}. `);
      expect(el.summary).to.contain(`Strongest against: ${named('against')}.`);
      for (const p of core.strongest(3, 'for'))
        expect(core.patch(p.row, p.col).rank).to.be.at.most(core.split.positiveCount);
      // A selected cell reports core's logit and contribution exactly.
      const cell = core.patch(evidence.geometry.rows - 1, 0);
      el.selectedCell = { row: cell.row, col: cell.col };
      await settle(el);
      expect([el.value!.logit, el.value!.contribution]).to.deep.equal([cell.logit, cell.contribution]);
    });

    it('<evidence-bar>: split, distribution, hovered rank and contribution are core’s', async () => {
      const c = evidence.topClasses(1)[0]!.index;
      const core = evidence.classEvidence(c);
      const cell = core.patch(Math.floor(evidence.geometry.rows / 2), Math.floor(evidence.geometry.cols / 2));
      const el = await fixture<EvidenceBarElement>(
        html`<evidence-bar .evidence=${evidence} .highlight=${{ row: cell.row, col: cell.col }}></evidence-bar>`,
      );
      await settle(el);
      const row = el.rows.find((r) => r.classIndex === c)!;
      expect([row.positive, row.negative, row.bias, row.positiveCount, row.negativeCount]).to.deep.equal([
        core.split.positive,
        core.split.negative,
        core.split.bias,
        core.split.positiveCount,
        core.split.negativeCount,
      ]);
      expect(el.distribution).to.equal(core.distribution);
      const text = shadowText(el, '[part="distribution"]');
      expect(text).to.contain(`hold ${formatShare(core.distribution.topShare)} of the evidence`);
      expect(text).to.contain(`${core.split.positiveCount} patches speak for it, ${core.split.negativeCount} against`);
      expect(text).to.contain(`contribution ${formatEvidence(cell.contribution)}, rank ${cell.rank} of ${core.cells}.`);
      const aria = el.shadowRoot!.querySelector('[part="distribution"] svg')!.getAttribute('aria-label')!;
      expect(aria).to.contain(`hold ${formatShare(core.distribution.topShare)} of the evidence`);
    });

    it('<patch-gallery>: ranks, logits, contributions and shares of its tiles are core’s', async () => {
      const c = evidence.topClasses(1)[0]!.index;
      const core = evidence.classEvidence(c);
      const el = await fixture<PatchGalleryElement>(
        html`<patch-gallery .evidence=${evidence} .image=${image} k="5"></patch-gallery>`,
      );
      await settle(el);
      const { most, least } = el.tiles;
      const pick = (t: {
        rank: number;
        row: number;
        col: number;
        logit: number;
        contribution: number;
        share: number;
      }) => [t.rank, t.row, t.col, t.logit, t.contribution, t.share];
      expect(most.map(pick)).to.deep.equal(core.top(5, 'most').map(pick));
      expect(least.map(pick)).to.deep.equal(core.top(5, 'least').map(pick));
      // Every "most" tile's rank is the cell's rank in core (the same rank <evidence-bar> shows).
      for (const t of most) expect(t.rank).to.equal(core.patch(t.row, t.col).rank);
      const shown = [...el.shadowRoot!.querySelectorAll('[part~="share"]')].slice(0, 5).map((s) => s.textContent);
      expect(shown).to.deep.equal(most.map((t) => `${formatShare(t.share)} of evidence`));
      const ranks = [...el.shadowRoot!.querySelectorAll('[part~="rank"]')].slice(0, 5).map((s) => s.textContent);
      expect(ranks).to.deep.equal(most.map((t) => `#${t.rank}`));
    });
  });
}
