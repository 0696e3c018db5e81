/**
 * The parts of `bagnet explain` that do not need a model run: the JSON number format, class
 * choice, painting patch evidence per pixel, and the PNG figure (colour map, font, legend).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PNG } from 'pngjs';

import { clipScale, EvidenceMap, PatchGeometry } from '@bagnet-vis/core';
import { IMAGENET_LABELS } from '@bagnet-vis/convert';

import { CliError } from '../src/errors.js';
import { explanationJson, float32Json } from '../src/explain/explanation-json.js';
import { patchEvidencePerPixel } from '../src/explain/pixel-evidence.js';
import { resolveClass } from '../src/explain/resolve-class.js';
import { drawText, fitText, GLYPH_HEIGHT, textWidth } from '../src/render/bitmap-font.js';
import { DIVERGING_LUT, lutIndex } from '../src/render/colormap.js';
import { renderExplanationPng } from '../src/render/explanation-png.js';

describe('float32Json', () => {
  test('the shortest decimal that reads back to the same float32', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 10 ** ((seed % 12) - 6);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround(random());
      const s = float32Json(x);
      assert.equal(Math.fround(Number(s)), x, s);
      assert.ok(s.replace(/^-|\.|e.*$/g, '').replace(/^0+/, '').length <= 9, s);
    }
    assert.equal(float32Json(Math.fround(0.1)), '0.1');
    assert.equal(float32Json(0.5), '0.5');
    assert.equal(float32Json(-3), '-3');
    assert.equal(float32Json(NaN), 'null');
  });

  test('explanationJson has exactly the documented fields', () => {
    const geometry = new PatchGeometry(9, 8, 17, 9, 2, 1);
    const ev = new EvidenceMap({ logitMap: Float32Array.of(1, 2, 3, 4), geometry, labels: ['a', 'b'] });
    const json = JSON.parse(explanationJson(ev, ev.topClasses(1))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ['logits', 'logitMap', 'top', 'evidence']);
    assert.deepEqual(json['logits'], [2, 3]);
    assert.deepEqual(json['logitMap'], { shape: [2, 1, 2], data: [1, 2, 3, 4] });
    assert.deepEqual(Object.keys((json['top'] as object[])[0]!), ['index', 'label', 'logit', 'probability']);
    const data = Float32Array.of(0.25, -1);
    const withHeatmap = JSON.parse(
      explanationJson(ev, [], { classIndex: 1, height: 1, width: 2, data, clip: clipScale(data) }, undefined, 0),
    ) as Record<string, unknown>;
    assert.deepEqual(withHeatmap['heatmap'], {
      class: 1,
      shape: [1, 2],
      data: [0.25, -1],
      clip: { percentile: 99, limit: 0.25 + 0.99 * 0.75 },
    });
    // The class's derived numbers are core's, exactly (float64 written to round-trip).
    const c = ev.classEvidence(0);
    assert.deepEqual(withHeatmap['evidence'], {
      class: 0,
      label: 'a',
      logit: 2,
      bias: 0,
      clip: { percentile: 99, limit: c.clip().limit },
      for: { sum: c.split.positive, patches: 2 },
      against: { sum: 0, patches: 0 },
      contribution: [...c.contributions],
      rank: [2, 1],
      share: [...c.shares],
    });
  });
});

describe('resolveClass', () => {
  test('index or label (case, spaces and underscores do not matter)', () => {
    assert.equal(resolveClass('281', IMAGENET_LABELS), 281);
    assert.equal(resolveClass('Golden_Retriever', IMAGENET_LABELS), 207);
    assert.equal(resolveClass('granny smith', IMAGENET_LABELS), 948);
  });

  test('out of range, ambiguous and unknown classes say what to do', () => {
    const cases: [string, RegExp][] = [
      ['1000', /--class 1000 is out of range: the model has 1000 classes \(0–999\)/],
      ['crane', /--class 'crane' is ambiguous: classes 134, 517 have that label; give the index/],
      ['retriever', /did you mean 205 'flat-coated retriever', 206 'curly-coated retriever', 207 'golden retriever'/],
      ['xyzzy', /is not a label of this model \(see bagnet info for its labels\)/],
    ];
    for (const [spec, message] of cases) {
      assert.throws(
        () => resolveClass(spec, IMAGENET_LABELS),
        (e: unknown) => e instanceof CliError && message.test(e.message),
      );
    }
  });
});

describe('patchEvidencePerPixel', () => {
  test('each pixel shows the cell whose patch centre is nearest; uncovered pixels are NaN', () => {
    // q = 9, stride 8, a 20 × 26 image: 2 × 3 cells covering rows 0–16 and columns 0–24
    const geometry = new PatchGeometry(9, 8, 20, 26, 2, 3);
    const logitMap = Float32Array.from({ length: 6 }, (_, i) => i);
    const ev = new EvidenceMap({ logitMap, geometry, labels: ['only'] });
    const v = patchEvidencePerPixel(ev, 0);
    const at = (x: number, y: number) => v[y * 26 + x]!;
    assert.equal(at(0, 0), 0);
    assert.equal(at(4, 4), 0); // centre of cell (0, 0)
    assert.equal(at(12, 4), 1); // centre of cell (0, 1)
    assert.equal(at(24, 16), 5);
    assert.ok(Number.isNaN(at(25, 0)) && Number.isNaN(at(0, 17)));
  });
});

describe('the PNG figure', () => {
  test('colour map: blue below zero, near-white at zero, red above; clipped at ±limit', () => {
    const rgb = (v: number) => [...DIVERGING_LUT.subarray(lutIndex(v, 2) * 3, lutIndex(v, 2) * 3 + 3)];
    const [r0, g0, b0] = rgb(-5);
    assert.ok(b0! > r0! + 50, 'negative is blue');
    const [r1, , b1] = rgb(5);
    assert.ok(r1! > b1! + 50, 'positive is red');
    assert.ok(
      rgb(0).every((c) => c > 230),
      'zero is near white',
    );
    assert.deepEqual(rgb(-2), rgb(-100));
    assert.equal(g0, DIVERGING_LUT[1]);
  });

  test('bitmap font: text is drawn, measured and shortened', () => {
    const px = new Uint8Array(40 * 10 * 4);
    drawText(px, 40, 10, 'Hi', 1, 1, 1, [255, 0, 0]);
    let inked = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] === 255) inked++;
    assert.ok(inked > 10 && inked < 40, `${inked}`);
    assert.equal(textWidth('abc', 2), 34);
    assert.equal(fitText('short', 100, 1), 'short');
    assert.equal(fitText('a very long caption indeed', 60, 1), 'a very l..');
    assert.ok(textWidth(fitText('a very long caption indeed', 60, 1), 1) <= 60);
    assert.equal(GLYPH_HEIGHT, 8);
  });

  test('renderExplanationPng: two panels and a legend; small images are enlarged', () => {
    const w = 24;
    const h = 16;
    const rgb = new Uint8Array(w * h * 3).fill(128);
    const values = Float32Array.from({ length: w * h }, (_, i) => (i % w < 12 ? -1 : 1));
    const bytes = renderExplanationPng({
      rgb,
      width: w,
      height: h,
      values,
      title: 't',
      subtitle: 's',
      quantity: 'q',
      clip: clipScale(values),
    });
    const img = PNG.sync.read(Buffer.from(bytes));
    assert.ok(img.width >= 2 * w * 8 && img.height > h * 8, `${img.width}×${img.height}`);
    const colours = new Set<string>();
    for (let i = 0; i < img.data.length; i += 4) colours.add(`${img.data[i]},${img.data[i + 1]},${img.data[i + 2]}`);
    assert.ok(colours.size > 100, 'a colour bar and an overlay');
  });
});
