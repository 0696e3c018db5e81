/**
 * The demo page: loads the demo model, picks the best backend, explains the image and shows the
 * top classes and the top class's patch-logit map.
 */
import * as tf from '@tensorflow/tfjs-core';

import { loadBagNet, pickBestBackend } from '@bagnet-vis/core';
import type { EvidenceMap } from '@bagnet-vis/core';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function drawMap(canvas: HTMLCanvasElement, ev: EvidenceMap, classIndex: number): void {
  const { rows, cols } = ev.geometry;
  const values = ev.classMap(classIndex);
  const limit = Math.max(1e-9, ...Array.from(values, Math.abs));
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  values.forEach((v, i) => {
    const t = v / limit; // −1 … 1: blue … white … red
    img.data.set(t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t), 255] : [255 * (1 + t), 255 * (1 + t), 255, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
}

async function main(): Promise<void> {
  const status = $('status');
  try {
    const choice = await pickBestBackend(undefined, { wasmPaths: '/wasm/' });
    $('backend').textContent = choice.backend;
    const net = await loadBagNet('/models/demo/model.json');
    $('q').textContent = String(net.receptiveField);
    $('model').textContent =
      `${net.metadata.provenance.source} (q = ${net.receptiveField}, stride ${net.stride}, ${net.numClasses} classes)`;
    const image = $<HTMLImageElement>('image');
    await image.decode();
    const t0 = performance.now();
    const ev = await net.evidence(image);
    const ms = performance.now() - t0;
    const top = ev.topClasses(5);
    $('top')
      .querySelector('tbody')!
      .replaceChildren(
        ...top.map((c) => {
          const tr = document.createElement('tr');
          for (const text of [c.label, c.logit.toFixed(3), c.probability.toFixed(3)]) {
            const td = document.createElement('td');
            td.textContent = text;
            tr.append(td);
          }
          return tr;
        }),
      );
    drawMap($<HTMLCanvasElement>('map'), ev, top[0]!.index);
    status.textContent = `Top class: ${top[0]!.label} (forward pass ${ms.toFixed(0)} ms on ${tf.getBackend()}, ${ev.geometry.rows}×${ev.geometry.cols} patches).`;
    status.dataset['done'] = 'true';
    ev.dispose();
  } catch (e) {
    status.textContent = `Error: ${e instanceof Error ? e.message : String(e)}`;
    status.className = 'error';
    status.dataset['done'] = 'error';
  }
}

void main();
