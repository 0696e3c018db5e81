import { aTimeout, expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

import '../define.js';
import type { EvidenceBarElement } from './evidence-bar.element.js';
import { modelCacheStats } from '../shared/model-cache.js';
import { patternUrl } from '../../test/images.js';
import { ModelServer, tinyNet, useTestBackend } from '../../test/model-server.js';
import { $, nextEvent, settle } from '../../test/settle.js';

/**
 * 2 × 2 cells (q = 9, stride 8, 17 × 17 px), four classes. Per class (cells row-major) and bias:
 *   class 0 “ant”:   3  1 −1  1   bias  0.5  → logit 1.0 = 0.5 + 0.875 − 0.375
 *   class 1 “bee”:   2  2  1 −3   bias −0.25 → logit 0.5 = −0.25 + 1.4375 − 0.6875
 *   class 2 “cow”:  −1 −1  0  0   bias  0    → logit −0.5 = 0 + 0 − 0.5
 *   class 3 “dog”:   0  0  0  6   bias  0    → logit 1.5 = 0 + 1.5 + 0
 */
const VALUES = [
  [3, 1, -1, 1],
  [2, 2, 1, -3],
  [-1, -1, 0, 0],
  [0, 0, 0, 6],
];
const BIAS = [0.5, -0.25, 0, 0];
function knownMap(scale = 1): EvidenceMap {
  const logitMap = new Float32Array(16);
  VALUES.forEach((cls, c) => cls.forEach((v, cell) => (logitMap[cell * 4 + c] = v * scale)));
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 17, 17, 2, 2),
    labels: ['ant', 'bee', 'cow', 'dog'],
    bias: new Float32Array(BIAS.map((b) => b * scale)),
  });
}

async function knownBar(attrs: Record<string, string> = {}): Promise<EvidenceBarElement> {
  const el = document.createElement('evidence-bar');
  el.style.width = '500px';
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.evidence = knownMap();
  await fixture(html`<div>${el}</div>`);
  await settle(el);
  return el;
}

const rows = (el: EvidenceBarElement) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[role="radio"]')];
const seg = (row: HTMLElement, part: string) => row.querySelector<HTMLElement>(`[part="${part}"]`)!;
const pctOf = (el: HTMLElement, prop: 'left' | 'width') => parseFloat(el.style[prop]);

describe('<evidence-bar>', () => {
  it('splits each top-k class logit into positive and negative patch evidence plus bias', async () => {
    const el = await knownBar({ k: '4' });
    expect(el.rows.map((r) => r.label)).to.deep.equal(['dog', 'ant', 'bee', 'cow']);
    const bee = el.rows[2]!;
    expect(bee.positive).to.be.closeTo(1.4375, 1e-6);
    expect(bee.negative).to.be.closeTo(-0.6875, 1e-6);
    expect(bee.bias).to.be.closeTo(-0.25, 1e-6);
    expect(bee.logit).to.be.closeTo(0.5, 1e-6);
    // One scale for all rows: low = −0.9375 (bee: negative + bias), high = 1.5 (dog).
    const span = 2.4375;
    const x = (v: number) => (100 * (v + 0.9375)) / span;
    const r = rows(el);
    expect(pctOf(seg(r[2]!, 'bar-positive'), 'left')).to.be.closeTo(x(0), 1e-3);
    expect(pctOf(seg(r[2]!, 'bar-positive'), 'width')).to.be.closeTo((100 * 1.4375) / span, 1e-3);
    expect(pctOf(seg(r[2]!, 'bar-negative'), 'left')).to.be.closeTo(x(-0.6875), 1e-3);
    expect(pctOf(seg(r[2]!, 'bar-negative'), 'width')).to.be.closeTo((100 * 0.6875) / span, 1e-3);
    // Negative bias stacks left of the negative evidence; positive bias right of the positive.
    expect(pctOf(seg(r[2]!, 'bar-bias'), 'left')).to.be.closeTo(x(-0.9375), 1e-3);
    expect(pctOf(seg(r[1]!, 'bar-bias'), 'left')).to.be.closeTo(x(0.875), 1e-3);
    expect(pctOf(seg(r[1]!, 'bar-bias'), 'width')).to.be.closeTo((100 * 0.5) / span, 1e-3);
    expect(pctOf(seg(r[2]!, 'net'), 'left')).to.be.closeTo(x(0.5), 1e-3);
    expect(r[2]!.querySelector('[part="value"]')!.textContent).to.equal('+0.5');
    expect(r[2]!.textContent!.replace(/\s+/g, ' ')).to.contain(
      'logit +0.5 = patch evidence for +1.44, against \u22120.688, bias \u22120.25',
    );
    const ticks = [...el.shadowRoot!.querySelectorAll('[part="axis"] span')].map((s) => s.textContent);
    expect(ticks).to.deep.equal(['\u22120.5', '0', '0.5', '1', '1.5']);
  });

  it('axis ticks are round and never collide, even with a sliver of evidence against', async () => {
    // Contributions 5, 0, 0, −0.0436: the old axis drew “−0.0436” on top of “0”.
    const el = document.createElement('evidence-bar');
    el.style.width = '300px';
    el.evidence = new EvidenceMap({
      logitMap: Float32Array.of(20, 0, 0, -0.1744),
      geometry: new PatchGeometry(9, 8, 17, 17, 2, 2),
      labels: ['only'],
    });
    await fixture(html`<div>${el}</div>`);
    await settle(el);
    const spans = [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part="axis"] span')];
    expect(spans.map((s) => s.textContent)).to.deep.equal(['0', '1', '2', '3', '4', '5']);
    const boxes = spans.map((s) => s.getBoundingClientRect());
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.left).to.be.greaterThan(boxes[i - 1]!.right);
    // The selected row is marked in neutral grey, not in the colour of either evidence sign.
    const row = el.shadowRoot!.querySelector<HTMLElement>('[part~="row-selected"]')!;
    const bg = getComputedStyle(row).backgroundColor.match(/\d+/g)!.slice(0, 3).map(Number);
    expect(Math.max(...bg) - Math.min(...bg)).to.be.below(12);
  });

  it('defaults: k = 5, no probabilities, view both, selected = top-1; attributes reflect', async () => {
    const el = await knownBar();
    expect([el.k, el.showProbabilities, el.view, el.value]).to.deep.equal([5, false, 'both', 3]);
    expect(el.shadowRoot!.querySelector('[part="probability"]')).to.equal(null);
    el.k = 2;
    el.showProbabilities = true;
    el.view = 'classes';
    el.classIndex = 1;
    await settle(el);
    expect(el.getAttribute('k')).to.equal('2');
    expect(el.hasAttribute('show-probabilities')).to.equal(true);
    expect(el.getAttribute('view')).to.equal('classes');
    expect(el.getAttribute('class-index')).to.equal('1');
    // top 2 plus the selected class
    expect(el.rows.map((r) => r.label)).to.deep.equal(['dog', 'ant', 'bee']);
    const p = knownMap().probabilities;
    expect(rows(el)[0]!.querySelector('[part="probability"]')!.textContent).to.equal(`${(p[3]! * 100).toFixed(0)} %`);
    expect(el.shadowRoot!.querySelector('[part="distribution"]')).to.equal(null);
    el.view = 'distribution';
    await settle(el);
    expect(el.shadowRoot!.querySelector('[part="classes"]')).to.equal(null);
    expect(el.shadowRoot!.querySelector('[part="distribution"]')).to.not.equal(null);
  });

  it('click a class → `change` with .value = class index, `bagnet-class-select`, radio state', async () => {
    const el = await knownBar();
    setTimeout(() => rows(el)[2]!.click());
    const [change, select] = await Promise.all([nextEvent(el, 'change'), nextEvent(el, 'bagnet-class-select')]);
    expect(change.target).to.equal(el);
    expect(el.value).to.equal(1);
    expect(select.detail).to.deep.equal({ classIndex: 1, label: 'bee' });
    expect(el.classIndex).to.equal(1);
    await settle(el);
    expect(rows(el).map((r) => r.getAttribute('aria-checked'))).to.deep.equal(['false', 'false', 'true', 'false']);
    expect(rows(el).map((r) => r.tabIndex)).to.deep.equal([-1, -1, 0, -1]);
  });

  it('`input` when a new evidence map changes .value (null → top-1, as Observable reads it), once per pick', async () => {
    const el = document.createElement('evidence-bar');
    await fixture(html`<div>${el}</div>`);
    const values: (number | null)[] = [];
    el.addEventListener('input', () => values.push(el.value));
    expect(el.value).to.equal(null);
    el.evidence = knownMap();
    await settle(el);
    expect(values).to.deep.equal([3]);
    el.evidence = knownMap(2); // same top-1 (dog): no event
    await settle(el);
    expect(values).to.deep.equal([3]);
    el.evidence = knownMap(-1); // top-1 is now cow
    await settle(el);
    expect(values).to.deep.equal([3, 2]);
    rows(el)[1]!.click(); // a pick announces once, not again when the update lands
    await settle(el);
    expect(values).to.deep.equal([3, 2, el.value]);
    expect(el.value).to.not.equal(2);
  });

  it('keyboard: arrow keys, Home and End pick and focus classes (radio group)', async () => {
    const el = await knownBar();
    const changes: (number | null)[] = [];
    el.addEventListener('change', () => changes.push(el.value));
    rows(el)[0]!.focus();
    const press = async (key: string) => {
      el.shadowRoot!.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, composed: true }));
      await settle(el);
    };
    await press('ArrowDown');
    await press('ArrowDown');
    await press('ArrowUp');
    await press('End');
    await press('Home');
    await press('ArrowUp'); // already first: nothing
    expect(changes).to.deep.equal([0, 1, 0, 2, 3]);
    expect(el.shadowRoot!.activeElement).to.equal(rows(el)[0]);
    await press('Enter');
    expect(changes).to.deep.equal([0, 1, 0, 2, 3, 3]);
  });

  it('distribution of the selected class: sorted contributions, share of the top 10 %, hovered cell', async () => {
    const el = await knownBar({ 'class-index': '1' });
    const d = knownMap().classEvidence(1).distribution;
    expect(Array.from(d.sorted)).to.deep.equal([0.5625, 0.5625, 0.3125, -0.6875]);
    expect(d.topCount).to.equal(1);
    expect(d.topShare).to.be.closeTo(0.5625 / 1.4375, 1e-6);
    const text = $(el, '[part="distribution"]').textContent!.replace(/\s+/g, ' ');
    expect(text).to.contain(
      'The top 10 % of patches (1 of 4) hold 39 % of the evidence for “bee”; 3 patches speak for it, 1 against.',
    );
    expect($(el, '[part="distribution"] svg').getAttribute('role')).to.equal('img');
    el.highlight = { row: 1, col: 1 };
    await settle(el);
    expect($(el, '[part="distribution"]').textContent!.replace(/\s+/g, ' ')).to.contain(
      'Hovered patch (row 2, column 2): contribution \u22120.688, rank 4 of 4.',
    );
    expect(el.shadowRoot!.querySelector('.marker')).to.not.equal(null);
  });

  it('data-only updates reuse the DOM (same nodes, new geometry)', async () => {
    const el = await knownBar({ k: '4' });
    const before = rows(el);
    const positive = seg(before[2]!, 'bar-positive');
    const path = el.shadowRoot!.querySelector('.area-positive')!;
    const width = positive.style.width;
    el.evidence = knownMap(2);
    await settle(el);
    const after = rows(el);
    expect(after).to.have.length(4);
    after.forEach((r, i) => expect(r, `row ${i}`).to.equal(before[i]));
    expect(seg(after[2]!, 'bar-positive')).to.equal(positive);
    expect(el.shadowRoot!.querySelector('.area-positive')).to.equal(path);
    expect(after[2]!.querySelector('[part="value"]')!.textContent).to.equal('+1');
    expect(positive.style.width).to.not.equal('');
    expect(width).to.not.equal('');
  });

  it('class out of range → inline error; passes axe', async () => {
    const el = await knownBar({ 'show-probabilities': '' });
    await expect(el).to.be.accessible();
    setTimeout(() => (el.classIndex = 9));
    const err = await nextEvent(el, 'bagnet-error');
    expect(err.detail.code).to.equal('class-index');
    await settle(el);
    expect($(el, '[part="error"]').textContent).to.contain('Class index 9 is out of range');
    await expect(el).to.be.accessible();
  });
});

describe('<evidence-bar> from attributes', () => {
  const server = new ModelServer();
  before(async () => {
    await useTestBackend();
    server.install();
  });
  after(() => server.uninstall());

  it('model-src + src → rows for the model’s classes; no leaks', async () => {
    const baseline = tf.memory().numTensors;
    const net = tinyNet(11);
    const url = await server.addModel('bar', net);
    net.dispose();
    const image = await patternUrl(33, 33, 9);
    const el = document.createElement('evidence-bar');
    el.setAttribute('model-src', url);
    el.setAttribute('src', image);
    el.setAttribute('k', '3');
    const ready = nextEvent(el, 'bagnet-evidence');
    await fixture(html`<div>${el}</div>`);
    const { detail } = await ready;
    await settle(el);
    expect(el.rows.map((r) => r.classIndex)).to.deep.equal(detail.evidence.topClasses(3).map((c) => c.index));
    for (const r of el.rows) expect(r.bias + r.positive + r.negative).to.be.closeTo(r.logit, 1e-4);
    await expect(el).to.be.accessible();
    fixtureCleanup();
    await aTimeout(20);
    URL.revokeObjectURL(image);
    expect(modelCacheStats()).to.deep.equal([]);
    expect(tf.memory().numTensors).to.equal(baseline);
  });
});
