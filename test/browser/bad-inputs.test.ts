/**
 * The bad-input catalogue (test/bad-inputs/catalogue.ts), browser side, in real Chromium: images
 * only a browser has (canvases, <img> of SVG or undecodable bytes, cross-origin pixels), the
 * elements' attributes, and page safety (labels and URLs from files shown as text). Every
 * `runs: 'browser'` entry has a runner here and must produce exactly the catalogued outcome; tfjs
 * tests leave `tf.memory().numTensors` where they found it.
 */
import { aTimeout, expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { BagNet, EvidenceMap, PatchGeometry } from '@bagnet-vis/core';
import type { BagNetImageInput } from '@bagnet-vis/core';

import '../../packages/elements/src/define.js';
import type { PatchGalleryElement } from '../../packages/elements/src/gallery/gallery.element.js';
import type { BagNetHeatmapElement } from '../../packages/elements/src/heatmap/heatmap.element.js';
import type { EvidenceBarElement } from '../../packages/elements/src/evidence-bar/evidence-bar.element.js';
import { patternCanvas, patternUrl } from '../../packages/elements/test/images.js';
import { ModelServer, TINY_ARCHITECTURE, useTestBackend } from '../../packages/elements/test/model-server.js';
import { settle } from '../../packages/elements/test/settle.js';
import { CATALOGUE } from '../bad-inputs/catalogue.js';

interface Outcome {
  readonly name: string;
  readonly message: string;
}

async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    const r = await fn();
    if (r instanceof EvidenceMap) {
      const g = r.geometry;
      r.dispose();
      return {
        name: 'none',
        message: `accepted: rasterised at ${g.imageWidth}×${g.imageHeight} px, ${g.rows}×${g.cols} cells`,
      };
    }
    return { name: 'none', message: String(r) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    return { name: err.name, message: err.message };
  }
}

function canvas(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

const svg = (width: number, height: number) =>
  `data:image/svg+xml,${encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="teal"/></svg>`,
  )}`;

function img(src: string, crossOrigin?: string): HTMLImageElement {
  const i = new Image();
  if (crossOrigin !== undefined) i.crossOrigin = crossOrigin;
  i.src = src;
  return i;
}

/** The same image on another origin (localhost ↔ 127.0.0.1, same port): no CORS headers. */
function crossOriginUrl(path: string): string {
  const host = location.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';
  return `${location.protocol}//${host}:${location.port}${path}`;
}

/** A known evidence map: 4 × 4 cells (q = 9, stride 8, 33 × 33 px), `classes` classes, no zero values. */
function knownMap(classes = 4, labels?: string[]): EvidenceMap {
  const logitMap = new Float32Array(16 * classes);
  for (let i = 0; i < logitMap.length; i++) logitMap[i] = ((i * 7919) % 17) - 8.5;
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 33, 33, 4, 4),
    labels: labels ?? Array.from({ length: classes }, (_, c) => `class ${c}`),
    bias: new Float32Array(classes),
  });
}

/** The element a case used (the first one it made), for the good input after it. */
let caseElement: { el: HTMLElement; attrs: readonly string[] } | undefined;
function remember(el: HTMLElement, attrs: Record<string, string>): void {
  caseElement ??= { el, attrs: Object.keys(attrs) };
}

/** An element showing `knownMap()` with `attrs`, settled. */
async function view<T extends HTMLElement>(tag: string, attrs: Record<string, string>, classes = 4): Promise<T> {
  const el = document.createElement(tag) as T & { evidence: EvidenceMap; image: BagNetImageInput };
  remember(el, attrs);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.evidence = knownMap(classes);
  el.image = patternCanvas(33, 33);
  el.style.width = '330px';
  await fixture(html`<div>${el}</div>`);
  await settle(el as unknown as BagNetHeatmapElement);
  return el;
}

/** The inline error an element reports (its first `bagnet-error`), or what it shows instead. */
async function elementError(el: HTMLElement, inputs: Record<string, string>): Promise<Outcome> {
  remember(el, inputs);
  const failed = new Promise<Outcome>((resolve) =>
    el.addEventListener('bagnet-error', (e) => resolve({ name: e.detail.code, message: e.detail.message }), {
      once: true,
    }),
  );
  for (const [k, v] of Object.entries(inputs)) el.setAttribute(k, v);
  await fixture(html`<div>${el}</div>`);
  const o = await Promise.race([failed, aTimeout(20000).then(() => ({ name: 'timeout', message: 'no bagnet-error' }))]);
  await settle(el as BagNetHeatmapElement);
  return o;
}

function overlayPixels(el: BagNetHeatmapElement): number[] {
  const c = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas.overlay')!;
  return [...c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data];
}

/** Every node of `root` and of the shadow roots below it. */
function deepNodes(root: Node): Node[] {
  const out: Node[] = [];
  const walk = (n: Node) => {
    out.push(n);
    if (n instanceof Element && n.shadowRoot) walk(n.shadowRoot);
    n.childNodes.forEach(walk);
  };
  walk(root);
  return out;
}

/** All text an element shows or announces: text nodes, aria-labels and titles, through shadow roots. */
function deepText(root: Node): string {
  return deepNodes(root)
    .map((n) =>
      n.nodeType === Node.TEXT_NODE
        ? n.textContent
        : n instanceof Element
          ? `${n.getAttribute('aria-label') ?? ''} ${n.getAttribute('title') ?? ''}`
          : '',
    )
    .join(' ');
}

const HOSTILE_LABELS = [
  '<img src=x onerror="window.__bagnetXss=1">',
  '<script>window.__bagnetXss=2</script>',
  'cat\u202egod',
  '"><svg onload="window.__bagnetXss=3">',
];

describe('bad-input catalogue (browser)', () => {
  const server = new ModelServer();
  let net: BagNet;
  let modelUrl: string;
  let hostileUrl: string;
  let imageUrl: string;
  let noiseUrl: string;
  let baseline: number;

  before(async () => {
    await useTestBackend();
    server.install();
    net = BagNet.create(TINY_ARCHITECTURE, { seed: 5, labels: ['cat', 'dog', 'car', 'tree'] });
    modelUrl = await server.addModel('tiny', net);
    const hostile = BagNet.create(TINY_ARCHITECTURE, { seed: 6, labels: HOSTILE_LABELS });
    hostileUrl = await server.addModel('hostile', hostile);
    hostile.dispose();
    const traversal = JSON.parse(await (await fetch(modelUrl)).text()) as { weightsManifest: { paths: string[] }[] };
    traversal.weightsManifest[0]!.paths = ['../../x.bin'];
    server.addFile('traversal/model.json', JSON.stringify(traversal), 'application/json');
    imageUrl = await patternUrl(49, 41, 2);
    const noise = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    noiseUrl = URL.createObjectURL(new Blob([noise], { type: 'image/png' }));
  });
  after(() => {
    server.uninstall();
    net.dispose();
    URL.revokeObjectURL(imageUrl);
    URL.revokeObjectURL(noiseUrl);
  });
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(async () => {
    fixtureCleanup();
    await aTimeout(20);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });

  const runners: Record<string, () => Promise<Outcome>> = {
    // ------------------------------------------------------------- images
    'image/canvas-0x0': () => outcome(() => net.evidence(canvas(0, 0))),
    'image/canvas-smaller-than-q': () => outcome(() => net.evidence(patternCanvas(5, 5))),
    'image/canvas-20000x20000': () => outcome(() => net.evidence(canvas(20000, 20000))),
    'image/svg-20000x20000': async () => {
      const i = img(svg(20000, 20000));
      await i.decode();
      return outcome(() => net.evidence(i));
    },
    'image/undecodable-bytes': () => outcome(() => net.evidence(img(noiseUrl))),
    'image/tainted-canvas': async () => {
      const i = img(crossOriginUrl('/packages/models/samples/test-00034-bag.png'));
      await i.decode();
      const c = canvas(i.naturalWidth, i.naturalHeight);
      c.getContext('2d')!.drawImage(i, 0, 0);
      return outcome(() => net.evidence(c));
    },
    'image/cross-origin-img': async () => {
      const i = img(crossOriginUrl('/packages/models/samples/test-00041-trouser.png'));
      await i.decode();
      return outcome(() => net.evidence(i));
    },
    'image/svg': async () => {
      const i = img(svg(64, 64));
      await i.decode();
      return outcome(() => net.evidence(i));
    },
    'image/element-src-undecodable': () =>
      elementError(document.createElement('bagnet-heatmap'), { 'model-src': modelUrl, src: noiseUrl }),
    'image/element-src-20000x20000': () =>
      elementError(document.createElement('bagnet-heatmap'), { 'model-src': modelUrl, src: svg(20000, 20000) }),

    // ------------------------------------------------------------- attributes
    'element/unknown-colormap': () =>
      elementError(Object.assign(document.createElement('bagnet-heatmap'), { evidence: knownMap() }), {
        colormap: 'NotAMap',
      }),
    'element/class-out-of-range': () =>
      elementError(Object.assign(document.createElement('bagnet-heatmap'), { evidence: knownMap() }), {
        'class-index': '7',
      }),
    'element/class-negative': () =>
      elementError(Object.assign(document.createElement('patch-gallery'), { evidence: knownMap() }), {
        'class-index': '-1',
      }),
    'element/class-non-numeric': () =>
      elementError(Object.assign(document.createElement('evidence-bar'), { evidence: knownMap() }), {
        'class-index': 'dog',
      }),
    'element/explainer-class-non-numeric': () =>
      elementError(Object.assign(document.createElement('bagnet-explainer'), { evidence: knownMap() }), {
        'class-index': 'dog',
      }),
    'element/negative-opacity': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { opacity: '-0.5' });
      return {
        name: 'none',
        message: `overlay opacity ${el.shadowRoot!.querySelector<HTMLElement>('canvas.overlay')!.style.opacity}`,
      };
    },
    'element/opacity-above-one': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { opacity: '7' });
      return {
        name: 'none',
        message: `overlay opacity ${el.shadowRoot!.querySelector<HTMLElement>('canvas.overlay')!.style.opacity}`,
      };
    },
    'element/non-numeric-opacity': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { opacity: 'abc' });
      return {
        name: 'none',
        message: `overlay opacity ${el.shadowRoot!.querySelector<HTMLElement>('canvas.overlay')!.style.opacity}`,
      };
    },
    'element/non-numeric-clip-percentile': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { 'clip-percentile': 'lots' });
      const ref = await view<BagNetHeatmapElement>('bagnet-heatmap', { 'clip-percentile': '99' });
      const same = JSON.stringify(el.limits) === JSON.stringify(ref.limits) && el.limits !== undefined;
      return {
        name: 'none',
        message: same ? 'colour limits of the default clip-percentile 99' : `limits ${JSON.stringify(el.limits)}`,
      };
    },
    'element/threshold-out-of-range': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { threshold: '-3' });
      const ref = await view<BagNetHeatmapElement>('bagnet-heatmap', { threshold: '0' });
      const alphas = overlayPixels(el).filter((_, i) => i % 4 === 3);
      const same = JSON.stringify(overlayPixels(el)) === JSON.stringify(overlayPixels(ref));
      return {
        name: 'none',
        message: same && alphas.every((a) => a > 0) ? 'threshold 0: every cell drawn' : 'cells hidden',
      };
    },
    'element/unknown-sign': async () => {
      const el = await view<BagNetHeatmapElement>('bagnet-heatmap', { sign: 'sideways' });
      const ref = await view<BagNetHeatmapElement>('bagnet-heatmap', { sign: 'all' });
      const same = JSON.stringify(overlayPixels(el)) === JSON.stringify(overlayPixels(ref));
      return { name: 'none', message: same ? 'both signs drawn' : 'differs from sign="all"' };
    },
    'element/unknown-resolution': async () => {
      const el = document.createElement('bagnet-heatmap');
      remember(el, { resolution: 'ultra' });
      el.setAttribute('resolution', 'ultra');
      el.model = net;
      el.image = patternCanvas(41, 41);
      const ready = new Promise((r) => el.addEventListener('bagnet-evidence', r, { once: true }));
      await fixture(html`<div>${el}</div>`);
      await ready;
      await settle(el);
      await aTimeout(50);
      const overlay = el.shadowRoot!.querySelector<HTMLCanvasElement>('canvas.overlay')!;
      return {
        name: 'none',
        message:
          el.denseLevel === undefined && overlay.width === 5 ? 'the cell map' : `overlay ${overlay.width} px wide`,
      };
    },
    'element/gallery-k-non-numeric': async () => {
      const el = await view<PatchGalleryElement>('patch-gallery', { k: 'many' });
      return { name: 'none', message: `${el.tiles.most.length} tiles per list` };
    },
    'element/bar-k-negative': async () => {
      const el = await view<EvidenceBarElement>('evidence-bar', { k: '-2' }, 8);
      return { name: 'none', message: `${el.rows.length} rows` };
    },
    'element/model-src-404': () =>
      elementError(document.createElement('bagnet-heatmap'), {
        'model-src': '/__models__/missing/model.json',
        src: imageUrl,
      }),
    'element/model-src-shard-traversal': () =>
      elementError(document.createElement('bagnet-heatmap'), {
        'model-src': '/__models__/traversal/model.json',
        src: imageUrl,
      }),

    // ------------------------------------------------------------- page safety
    'page-safety/label-markup': async () => {
      delete (window as { __bagnetXss?: unknown }).__bagnetXss;
      const ex = document.createElement('bagnet-explainer');
      remember(ex, {});
      ex.setAttribute('model-src', hostileUrl);
      ex.setAttribute('src', imageUrl);
      const ready = new Promise((r) => ex.addEventListener('bagnet-evidence', r, { once: true }));
      await fixture(html`<div>${ex}</div>`);
      await ready;
      const problems: string[] = [];
      for (let c = 0; c < HOSTILE_LABELS.length; c++) {
        ex.classIndex = c;
        await settle(ex);
        for (const child of deepNodes(ex).filter(
          (n): n is HTMLElement => n instanceof HTMLElement && n.shadowRoot !== null,
        )) {
          await (child as unknown as BagNetHeatmapElement).updateComplete;
        }
        await aTimeout(50); // an injected <img src=x> would fire onerror by now
        const text = deepText(ex);
        if (!text.includes(HOSTILE_LABELS[c]!)) problems.push(`label ${c} not shown literally`);
        const injected = deepNodes(ex).filter(
          (n) =>
            n instanceof Element &&
            (n.localName === 'script' || n.getAttribute('src') === 'x' || n.hasAttribute('onload')),
        );
        if (injected.length > 0)
          problems.push(`label ${c} created ${injected.map((n) => (n as Element).localName).join(', ')}`);
      }
      for (const tag of ['bagnet-heatmap', 'patch-gallery', 'evidence-bar']) {
        if (ex.shadowRoot!.querySelector(tag) === null && ex.querySelector(tag) === null) problems.push(`no ${tag}`);
      }
      if ((window as { __bagnetXss?: unknown }).__bagnetXss !== undefined) problems.push('a script ran');
      return {
        name: 'none',
        message:
          problems.length === 0
            ? 'shown literally in heatmap, gallery, bars and summaries; no element created, no script run'
            : problems.join('; '),
      };
    },
    'page-safety/src-markup': async () => {
      delete (window as { __bagnetXss?: unknown }).__bagnetXss;
      const el = document.createElement('bagnet-heatmap');
      const o = await elementError(el, {
        'model-src': modelUrl,
        src: '/__nowhere__/<img src=x onerror="window.__bagnetXss=4">.png',
      });
      await aTimeout(50);
      const box = el.shadowRoot!.querySelector('[part="error"]')!;
      const injected =
        box.querySelector('img') !== null || (window as { __bagnetXss?: unknown }).__bagnetXss !== undefined;
      return injected ? { name: 'injected', message: box.innerHTML } : o;
    },
  };

  /**
   * A good input through the same surface, right after a case: a good image through the same
   * loaded model, or — for cases on an element — the same element instance given good inputs
   * (the case's attributes removed; a model and image that load, or a fresh evidence map). Returns
   * what it shows; an inline error left on the element is a failure.
   */
  async function goodInputAfter(): Promise<string> {
    const used = caseElement;
    caseElement = undefined;
    if (used === undefined) {
      const e = await net.evidence(patternCanvas(41, 41));
      const shape = `${e.geometry.rows}×${e.geometry.cols} cells, top ${e.topClasses(1)[0]!.label}`;
      e.dispose();
      return `same model: ${shape}`;
    }
    const el = used.el as HTMLElement & { evidence?: EvidenceMap; model?: BagNet };
    for (const name of used.attrs) el.removeAttribute(name);
    let evidence: EvidenceMap | undefined;
    const ready = new Promise<void>((resolve) =>
      el.addEventListener(
        'bagnet-evidence',
        (e) => {
          evidence = (e as CustomEvent<{ evidence: EvidenceMap }>).detail.evidence;
          resolve();
        },
        { once: true },
      ),
    );
    if (!el.isConnected) await fixture(html`<div>${el}</div>`);
    if (el.hasAttribute('model-src') || used.attrs.includes('model-src')) {
      el.setAttribute('model-src', modelUrl);
      el.setAttribute('src', imageUrl);
      await Promise.race([ready, aTimeout(20000)]);
    } else if (el.model !== undefined) {
      (el as unknown as { image: BagNetImageInput }).image = patternCanvas(49, 41);
      await Promise.race([ready, aTimeout(20000)]);
    } else {
      evidence = knownMap();
      el.evidence = evidence;
    }
    await settle(el as BagNetHeatmapElement);
    for (const child of deepNodes(el)) {
      if (child instanceof HTMLElement && child.shadowRoot !== null)
        await (child as BagNetHeatmapElement).updateComplete;
    }
    const errors = deepNodes(el).filter((n) => n instanceof Element && n.getAttribute('part') === 'error');
    if (errors.length > 0) return `still an error: ${errors.map((n) => n.textContent).join(' | ')}`;
    return evidence === undefined
      ? 'no evidence shown'
      : `same <${el.localName}>: ${evidence.geometry.rows}×${evidence.geometry.cols} cells, ${evidence.numClasses} classes`;
  }

  it('has a runner for every browser case of the catalogue, and a case for every runner', () => {
    const ids = CATALOGUE.filter((c) => c.runs === 'browser').map((c) => c.id);
    expect(Object.keys(runners).sort()).to.deep.equal([...ids].sort());
  });

  for (const entry of CATALOGUE.filter((c) => c.runs === 'browser')) {
    it(`${entry.id}: ${entry.input} → ${entry.error}`, async () => {
      caseElement = undefined;
      const o = await runners[entry.id]!();
      expect(o.name, `${entry.id}: ${o.message}`).to.equal(entry.error);
      expect(o.message).to.match(entry.message);
      // Usable after: a good input through the same surface works.
      const after = await goodInputAfter();
      expect(after, `${entry.id}: after it`).to.match(/^same (model|<[a-z-]+>): \d+×\d+ cells, /);
    });
  }
});
