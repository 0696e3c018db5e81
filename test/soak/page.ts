/**
 * The soak page (bundled and served by ./harness.ts): a `<bagnet-explainer>` with a heatmap, bars
 * and a gallery, working from attributes alone (`model-src`, `src`), and `window.soak`, the
 * operations a test drives through puppeteer. Each returns plain data; nothing here asserts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@bagnet-vis/core';
import type { BackendName } from '@bagnet-vis/core';

import '../../packages/elements/src/define.js';

import type { SoakApi } from './api.js';

type Lit = HTMLElement & { updateComplete: Promise<boolean>; isUpdatePending: boolean };
type Explainer = Lit & { classIndex: number | undefined };
type Heatmap = Lit & { resolution: string };

const violations: string[] = [];
document.addEventListener('securitypolicyviolation', (e) =>
  violations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The next `type` event on `target`, or a rejection after `ms`. The default catches a hang, not
 * a slow run: WebGPU on SwiftShader compiles its shaders in over 30 s on a busy 2-core machine.
 */
function next<T extends Event>(
  target: EventTarget,
  type: string,
  ms = 120_000,
  accept: (e: T) => boolean = () => true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, on);
      reject(new Error(`no ${type} within ${ms} ms`));
    }, ms);
    const on = (e: Event) => {
      if (!accept(e as T)) return;
      clearTimeout(timer);
      target.removeEventListener(type, on);
      resolve(e as T);
    };
    target.addEventListener(type, on);
  });
}

/** Every element of ours on the page, shadow roots included. */
function elements(): Lit[] {
  const out: Lit[] = [];
  const walk = (root: ParentNode) =>
    root.querySelectorAll('*').forEach((el) => {
      if ('updateComplete' in el) out.push(el as Lit);
      if (el.shadowRoot) walk(el.shadowRoot);
    });
  walk(document);
  return out;
}

/** Waits until no element has an update pending. */
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const all = elements();
    await Promise.all(all.map((e) => e.updateComplete));
    await sleep(0);
    if (!elements().some((e) => e.isUpdatePending)) return;
  }
  throw new Error('elements keep updating');
}

let explainer: Explainer;
let heatmap: Heatmap;
let loseContext: WEBGL_lose_context | null = null;

function errorText(): string {
  return explainer.shadowRoot?.querySelector('[part="error"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

const api: SoakApi = {
  async setup(backend, model = 'tiny', image = 'a', children = ['bagnet-heatmap', 'evidence-bar', 'patch-gallery']) {
    await useBackend(backend as BackendName, { wasmPaths: '/wasm/' });
    tf.enableProdMode();
    const stage = document.getElementById('stage')!;
    stage.replaceChildren();
    explainer = document.createElement('bagnet-explainer') as unknown as Explainer;
    const kids = children.map((tag) => document.createElement(tag));
    heatmap = (kids.find((k) => k.localName === 'bagnet-heatmap') ??
      document.createElement('bagnet-heatmap')) as Heatmap;
    explainer.append(...kids);
    explainer.setAttribute('model-src', `/models/${model}/model.json`);
    explainer.setAttribute('src', `/images/${image}.png`);
    const ready = next(explainer, 'bagnet-evidence');
    stage.append(explainer);
    await ready;
    await settle();
    return { backend: tf.getBackend(), tensors: tf.memory().numTensors };
  },

  memory() {
    const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    const perf = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
    return {
      tensors: m.numTensors,
      bytes: m.numBytes,
      gpuBytes: m.numBytesInGPU ?? 0,
      jsHeap: perf?.usedJSHeapSize ?? 0,
    };
  },

  async classSwitches(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      explainer.classIndex = i % 4;
      await settle();
    }
    return { ms: performance.now() - t0 };
  },

  async imageSwaps(n) {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const t0 = performance.now();
    let evidence = 0;
    for (let i = 0; i < n; i++) {
      const ready = next(explainer, 'bagnet-evidence');
      explainer.setAttribute('src', `/images/${names[(i + 1) % names.length]!}.png`);
      await ready;
      evidence++;
    }
    await settle();
    return { ms: performance.now() - t0, evidence };
  },

  async abortedDenseRuns(n) {
    if (explainer.getAttribute('src') !== '/images/big.png') {
      const ready = next(explainer, 'bagnet-evidence');
      explainer.setAttribute('src', '/images/big.png');
      await ready;
    }
    const t0 = performance.now();
    let finished = 0;
    const onLevel = (e: Event) => {
      if ((e as CustomEvent<{ isFinal: boolean }>).detail.isFinal) finished++;
    };
    heatmap.addEventListener('bagnet-dense-level', onLevel);
    heatmap.resolution = 'dense';
    for (let i = 0; i < n; i++) {
      // Start a dense run for a class, let its first (coarsest) level arrive, then change the
      // class: the run in progress is cancelled.
      const level = next(heatmap, 'bagnet-dense-level');
      explainer.classIndex = i % 4;
      await level;
    }
    heatmap.resolution = 'cells'; // cancels the last one
    await settle();
    await sleep(200); // cancelled runs stop at their next chunk
    heatmap.removeEventListener('bagnet-dense-level', onLevel);
    return { ms: performance.now() - t0, finished };
  },

  async reconnects(n) {
    const stage = document.getElementById('stage')!;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      explainer.remove();
      await sleep(10); // past the microtask that releases the model and evidence
      const ready = next(explainer, 'bagnet-evidence');
      stage.append(explainer);
      await ready;
    }
    await settle();
    return { ms: performance.now() - t0 };
  },

  async loseContextMidRun() {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
    loseContext = gl?.getExtension('WEBGL_lose_context') ?? null;
    if (loseContext === null) throw new Error('no WEBGL_lose_context (is the backend webgl?)');
    const lost = next<CustomEvent<{ code: string; message: string }>>(
      explainer,
      'bagnet-error',
      30_000,
      (e) => e.detail.code === 'context-lost',
    );
    explainer.setAttribute('src', '/images/c.png'); // a run starts …
    await sleep(0);
    loseContext.loseContext(); // … and the GPU goes away under it
    const { detail } = await lost;
    await settle();
    const bars = explainer.querySelector('evidence-bar')?.shadowRoot?.querySelectorAll('[role="radio"]').length ?? 0;
    return { code: detail.code, message: detail.message, shown: errorText(), barsStillShown: bars };
  },

  async restoreContext() {
    if (loseContext === null) throw new Error('call loseContextMidRun first');
    const recovered = next(explainer, 'bagnet-evidence', 60_000);
    loseContext.restoreContext();
    await recovered;
    await settle();
    const afterRestore = errorText();
    // Works again: class switches and a new image.
    for (let c = 0; c < 4; c++) {
      explainer.classIndex = c;
      await settle();
    }
    const again = next(explainer, 'bagnet-evidence');
    explainer.setAttribute('src', '/images/d.png');
    await again;
    await settle();
    return { errorAfterRestore: afterRestore, backend: tf.getBackend(), tensors: tf.memory().numTensors };
  },

  texts() {
    const parts: string[] = [];
    const walk = (n: Node) => {
      if (n.nodeType === Node.TEXT_NODE) parts.push(n.textContent ?? '');
      if (n instanceof Element) {
        parts.push(n.getAttribute('aria-label') ?? '', n.getAttribute('title') ?? '');
        if (n.shadowRoot) walk(n.shadowRoot);
      }
      n.childNodes.forEach(walk);
    };
    walk(document.body);
    return parts.join(' ');
  },

  injected() {
    const found: string[] = [];
    const walk = (root: ParentNode) =>
      root.querySelectorAll('*').forEach((el) => {
        if (el.localName === 'script' || el.getAttribute('src') === 'x' || el.hasAttribute('onload'))
          found.push(el.localName);
        if (el.shadowRoot) walk(el.shadowRoot);
      });
    walk(document.getElementById('stage')!);
    if ((window as { __bagnetXss?: unknown }).__bagnetXss !== undefined) found.push('script ran');
    return found;
  },

  violations: () => [...violations],

  layout() {
    const h = explainer.querySelector('bagnet-heatmap')?.shadowRoot;
    const bar = explainer.querySelector('evidence-bar')?.shadowRoot;
    const overlay = h?.querySelector<HTMLElement>('canvas.overlay');
    return {
      overlay: overlay
        ? `left ${overlay.style.left}, width ${overlay.style.width}, opacity ${overlay.style.opacity}`
        : '',
      stage: h?.querySelector<HTMLElement>('[part="stage"]')?.style.aspectRatio ?? '',
      bar: bar?.querySelector<HTMLElement>('[part="bar-positive"]')?.style.width ?? '',
    };
  },
};

(window as unknown as { soak: SoakApi }).soak = api;
