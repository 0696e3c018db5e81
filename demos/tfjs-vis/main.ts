/**
 * Entry of the tfjs-vis dashboard page (index.html): loads the default BagNet (Fashion-MNIST) and
 * its training log, puts sample buttons on the page and the views in tfjs-vis's visor.
 *
 * The URLs are root-relative to the repository (served as is by `demos/tfjs-vis/build.ts`).
 */
import * as tfvis from '@tensorflow/tfjs-vis';
import { loadBagNet, pickBestBackend } from '@bagnet-vis/core';
import type { EvidenceMap } from '@bagnet-vis/core';
import { sampleImages } from '@bagnet-vis/models';

import { showImage, showModel } from './dashboard.js';
import type { TrainingLog } from './dashboard.js';

const MODEL_URL = '/packages/models/default/model.json';
const TRAINING_LOG_URL = '/packages/models/default/training-log.json';
const SAMPLES_URL = '/packages/models/samples/';
const WASM_URL = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function loadImage(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode();
  return img;
}

async function main(): Promise<void> {
  const status = $('status');
  try {
    const backend = await pickBestBackend(undefined, { wasmPaths: WASM_URL });
    const [net, log] = await Promise.all([
      loadBagNet(MODEL_URL),
      fetch(TRAINING_LOG_URL).then((r) => r.json() as Promise<TrainingLog>),
    ]);
    // One sample per class.
    const samples = sampleImages.filter((s, i, all) => all.findIndex((t) => t.label === s.label) === i);
    const picker = $('samples');
    let shown: EvidenceMap | undefined;
    let busy = Promise.resolve();
    const pick = (button: HTMLButtonElement, img: HTMLImageElement) => {
      busy = busy.then(async () => {
        picker.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
        const next = await showImage(net, img);
        shown?.dispose(); // replaced in the views
        shown = next;
        status.textContent = `Showing ${button.title} — predicted “${next.topClasses(1)[0]!.label}” (backend ${backend.backend}).`;
        status.dataset['done'] = 'true';
      });
    };
    const images = await Promise.all(samples.map((s) => loadImage(SAMPLES_URL + s.file)));
    samples.forEach((s, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.title = `a test image of class “${s.labelName}”`;
      button.setAttribute('aria-pressed', 'false');
      const thumb = images[i]!.cloneNode() as HTMLImageElement;
      thumb.alt = s.labelName;
      button.append(thumb);
      button.addEventListener('click', () => pick(button, images[i]!));
      picker.append(button);
    });
    tfvis.visor().open();
    await showModel(tfvis, net, log);
    pick(picker.querySelector('button')!, images[0]!);
    await busy;
  } catch (e) {
    status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
    status.className = 'error';
    status.dataset['done'] = 'error';
  }
}

void main();
