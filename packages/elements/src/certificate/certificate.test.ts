import { expect, fixture, fixtureCleanup, html, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { EvidenceMap, PatchGeometry, patchRobustness } from '@bagnet-vis/core';

import '../define.js';
import type { PatchCertificateElement } from './certificate.element.js';
import type { BagNetHeatmapElement } from '../heatmap/heatmap.element.js';
import { useTestBackend } from '../../test/model-server.js';
import { $, nextEvent, settle, until } from '../../test/settle.js';

/**
 * The default model's geometry (q = 11, stride 2, 28 × 28 px → 9 × 9 cells), 4 classes: “shoe”
 * (class 0) about 6 in every cell, the others small (|v| ≤ 0.5), except one strong “bag” cell.
 * A 1 px patch touches a 6 × 6-cell window: certified under robust masking. A 28 px patch covers
 * the whole map: never certified.
 */
function knownMap(): EvidenceMap {
  const classes = 4;
  const logitMap = new Float32Array(81 * classes);
  for (let cell = 0; cell < 81; cell++) {
    logitMap[cell * classes] = 6 + Math.sin(cell);
    for (let c = 1; c < classes; c++) logitMap[cell * classes + c] = 0.5 * Math.sin(cell * 7 + c * 3);
  }
  logitMap[40 * classes + 2] = 5;
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(11, 2, 28, 28, 9, 9),
    labels: ['shoe', 'shirt', 'bag', 'coat'],
  });
}

async function certificate(attrs: Record<string, string> = {}, evidence = knownMap()) {
  const el = document.createElement('patch-certificate');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.evidence = evidence;
  await fixture(html`<div>${el}</div>`);
  await until(el, () => el.value !== null || el.shadowRoot!.querySelector('[role="alert"]') !== null, 'certificate');
  return { el, evidence };
}

const text = (el: PatchCertificateElement) => el.shadowRoot!.textContent!.replace(/\s+/g, ' ');

describe('<patch-certificate>', () => {
  before(useTestBackend);
  afterEach(fixtureCleanup);

  it('shows what core computes: verdict, worst window and defended evidence, for both defences', async () => {
    const baseline = tf.memory().numTensors;
    const evidence = knownMap();
    for (const [patch, method] of [
      ['1', 'mask'],
      ['28', 'mask'],
      ['1', 'clip'],
    ] as const) {
      const { el } = await certificate({ 'patch-px': patch, method }, evidence);
      const core = await patchRobustness(evidence, { patchPx: Number(patch), method });
      const shown = el.value!;
      expect(shown.certified).to.equal(core.certified);
      expect([...shown.defendedEvidence]).to.deep.equal([...core.defendedEvidence]);
      expect([shown.worstWindow.row, shown.worstWindow.col, shown.worstWindow.rivalClass]).to.deep.equal([
        core.worstWindow.row,
        core.worstWindow.col,
        core.worstWindow.rivalClass,
      ]);
      expect($(el, '[part~="verdict"]').textContent).to.contain(core.certified ? 'Certified' : 'Not certified');
      expect(text(el)).to.contain(`${patch}×${patch} px`);
      if (!core.certified)
        expect(text(el)).to.contain(`could make “${evidence.labels[core.worstWindow.rivalClass]}” beat “shoe”`);
      fixtureCleanup();
    }
    // patch 1 under masking is certified, the whole-map patch is not (the cases differ)
    expect((await patchRobustness(evidence, { patchPx: 1, method: 'mask' })).certified).to.equal(true);
    expect((await patchRobustness(evidence, { patchPx: 28, method: 'mask' })).certified).to.equal(false);
    evidence.dispose();
    expect(tf.memory().numTensors).to.equal(baseline);
  });

  it('the slider and the defence picker fire input, change and a typed bagnet-certificate', async () => {
    const { el, evidence } = await certificate({ 'patch-px': '1' });
    expect(el.value!.certified).to.equal(true);
    const slider = $<HTMLInputElement>(el, 'input[type="range"]');
    expect(slider.max).to.equal('28');
    const inputs: (number | undefined)[] = [];
    const changes: (number | undefined)[] = [];
    el.addEventListener('input', () => inputs.push(el.value?.patchPx));
    el.addEventListener('change', () => changes.push(el.value?.patchPx));
    const typed = nextEvent(el, 'bagnet-certificate');
    slider.value = '20';
    slider.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    slider.dispatchEvent(new Event('change', { bubbles: true }));
    const detail = (await typed).detail;
    await settle(el);
    expect(detail.patchPx).to.equal(20);
    expect(detail.certified).to.equal(false);
    expect(el.patchPx).to.equal(20);
    expect(el.getAttribute('patch-px')).to.equal('20');
    expect(inputs).to.deep.equal([20]); // the slider's own input event does not leak out
    expect(changes).to.deep.equal([20]);
    const select = $<HTMLSelectElement>(el, 'select');
    select.value = 'clip';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await until(el, () => el.value?.method === 'clip', 'clip certificate');
    expect(changes).to.deep.equal([20, 20]);
    expect(el.getAttribute('method')).to.equal('clip');
    await expect(el).to.be.accessible();
    evidence.dispose();
  });

  it('bad patch-px, method and threshold show inline errors; a good value then certifies', async () => {
    const evidence = knownMap();
    for (const [attrs, message] of [
      [{ 'patch-px': 'big' }, /patch-px NaN is not a whole number/],
      [{ 'patch-px': '0' }, /patch-px 0 is not a whole number/],
      [{ method: 'median' }, /method "median" is not a defence/],
      [{ threshold: '1.5' }, /threshold 1\.5 must be in \[0, 1\)/],
    ] as const) {
      const errors: string[] = [];
      const el = document.createElement('patch-certificate');
      el.addEventListener('bagnet-error', (e) => errors.push(`${e.detail.code}: ${e.detail.message}`));
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      el.evidence = evidence;
      await fixture(html`<div>${el}</div>`);
      await settle(el);
      expect($(el, '[role="alert"]').textContent).to.match(message);
      expect(errors, errors.join(' | ')).to.have.length(1);
      expect(errors[0]).to.match(/^robustness: /);
      expect(el.value).to.equal(null);
      for (const k of Object.keys(attrs)) el.removeAttribute(k);
      await until(el, () => el.value !== null, 'certificate after a good value');
      expect(el.shadowRoot!.querySelector('[role="alert"]')).to.equal(null);
      fixtureCleanup();
    }
    const one = new EvidenceMap({
      logitMap: new Float32Array(81),
      geometry: new PatchGeometry(11, 2, 28, 28, 9, 9),
      labels: ['only'],
    });
    const { el } = await certificate({}, one);
    expect($(el, '[role="alert"]').textContent).to.contain('only 1');
    el.evidence = evidence;
    await until(el, () => el.value !== null, 'certificate after good evidence');
    expect(el.shadowRoot!.querySelector('[role="alert"]')).to.equal(null);
    one.dispose();
    evidence.dispose();
  });

  it('inside <bagnet-explainer>, the heatmap outlines the worst window', async () => {
    const evidence = knownMap();
    const ex = await fixture(
      html`<bagnet-explainer .evidence=${evidence}
        ><bagnet-heatmap style="width: 280px"></bagnet-heatmap><patch-certificate patch-px="4"></patch-certificate
      ></bagnet-explainer>`,
    );
    const heatmap = ex.querySelector('bagnet-heatmap') as BagNetHeatmapElement;
    const cert = ex.querySelector('patch-certificate')!;
    const box = () => heatmap.shadowRoot!.querySelector<HTMLElement>('[part="patch-window"]');
    await waitUntil(() => cert.value !== null && box() !== null, 'worst window on the heatmap', { timeout: 20000 });
    const r = cert.value!.worstWindow.rect;
    expect(parseFloat(box()!.style.left)).to.be.closeTo((100 * r.x) / 28, 1e-3);
    expect(parseFloat(box()!.style.width)).to.be.closeTo((100 * r.width) / 28, 1e-3);
    expect(box()!.textContent).to.contain('4 px patch');
    // a new patch size moves the box with the new certificate
    cert.setAttribute('patch-px', '1');
    await waitUntil(() => box()?.textContent?.includes('1 px patch') === true, 'box follows', { timeout: 20000 });
    expect(cert.value!.patchPx).to.equal(1);
    // the box goes when the certificate does
    cert.remove();
    await waitUntil(() => box() === null, 'box removed with the certificate', { timeout: 5000 });
    evidence.dispose();
  });
});
