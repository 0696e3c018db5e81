/**
 * The parts of `bagnet explain` that do not need a model run: the JSON number format, class
 * choice, painting patch evidence per pixel, and the PNG figure (size, colours, ticks, text that fits).
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
import { colormap, divergingLutIndex as lutIndex } from '@bagnet-vis/core';
import { figureZoom, MARGIN, OVERLAY_ALPHA, renderExplanation } from '../src/render/explanation-png.js';
import type { ExplanationFigure } from '../src/render/explanation-png.js';

/** Core's default diverging LUT (RGBA), the one the elements paint with. */
const LUT = colormap('RdBu').lut;

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
    const rgb = (v: number) => [...LUT.subarray(lutIndex(v, 2) * 4, lutIndex(v, 2) * 4 + 3)];
    const [r0, g0, b0] = rgb(-5);
    assert.ok(b0! > r0! + 50, 'negative is blue');
    const [r1, , b1] = rgb(5);
    assert.ok(r1! > b1! + 50, 'positive is red');
    assert.ok(
      rgb(0).every((c) => c > 230),
      'zero is near white',
    );
    assert.deepEqual(rgb(-2), rgb(-100));
    assert.equal(g0, LUT[1]);
  });

  /** A figure of a w × h grey-ish image whose map is a known ramp, scaled by core's clipScale. */
  function rampFigure(w: number, h: number, title = 'tabby, tabby cat'): ExplanationFigure {
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    // a ramp from −2 to +2 with one outlier (saturates) and an uncovered last column (NaN)
    const values = Float32Array.from({ length: w * h }, (_, i) =>
      i % w === w - 1 ? NaN : ((i % w) / (w - 2)) * 4 - 2,
    );
    values[w + 1] = 50;
    return {
      rgb,
      width: w,
      height: h,
      values,
      title,
      titleSuffix: ' (class 7)',
      facts: [
        'logit 10.35 = bias +0.12',
        'for +14.20 (34 patches)',
        'against \u22123.97 (47 patches)',
        'probability 0.620',
      ],
      subtitle: 'BagNet-11 patch evidence: 9\u00d79 patches of 11\u00d711 px every 2 px',
      quantity: 'patch logit',
      clip: clipScale(values),
    };
  }
  const pixel = (img: PNG, x: number, y: number) => [
    ...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3),
  ];
  /** Columns of the figure with any pixel that is not white, within rows [y0, y1). */
  function inkedColumns(img: PNG, y0 = 0, y1 = img.height): Set<number> {
    const cols = new Set<number>();
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < img.width; x++) if (pixel(img, x, y).some((c) => c < 250)) cols.add(x);
    }
    return cols;
  }

  test('size: panels at an integer zoom ≥ 2× the map (≥ 320 px for small images); a decodable PNG of the laid-out size', () => {
    assert.equal(figureZoom(224, 224), 2);
    assert.equal(figureZoom(28, 28), 12);
    assert.equal(figureZoom(1000, 600), 2);
    assert.equal(figureZoom(30, 50), 7);
    for (const [w, h] of [
      [28, 28],
      [224, 160],
    ] as const) {
      const { png, layout } = renderExplanation(rampFigure(w, h));
      const img = PNG.sync.read(Buffer.from(png));
      assert.deepEqual([img.width, img.height], [layout.width, layout.height]);
      assert.equal(layout.zoom, figureZoom(w, h));
      assert.ok(img.width >= 2 * w * layout.zoom && img.height > h * layout.zoom, `${img.width}×${img.height}`);
      assert.equal(layout.panels.overlay.x - layout.panels.image.x, w * layout.zoom + 16);
    }
  });

  test('every map cell is painted in the colour scale core returns, without resampling; the image panel is the image', () => {
    const w = 24;
    const h = 16;
    const fig = rampFigure(w, h);
    const { png, layout } = renderExplanation(fig);
    const img = PNG.sync.read(Buffer.from(png));
    const limit = fig.clip.domain[1];
    assert.ok(limit > 1.9 && limit < 2.1, `core clips the outlier: ${limit}`);
    const z = layout.zoom;
    let checked = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        const [r, g, b] = [fig.rgb[i * 3]!, fig.rgb[i * 3 + 1]!, fig.rgb[i * 3 + 2]!];
        const grey = 0.4 * 255 + 0.6 * (0.299 * r + 0.587 * g + 0.114 * b);
        const v = fig.values[i]!;
        const k = lutIndex(v, limit) * 4;
        const want = [0, 1, 2].map((c) =>
          Math.round(Number.isFinite(v) ? (1 - OVERLAY_ALPHA) * grey + OVERLAY_ALPHA * LUT[k + c]! : grey),
        );
        // every pixel of the cell's block, corners included: no smoothing across cell edges
        for (const [dx, dy] of [
          [0, 0],
          [z - 1, z - 1],
          [z >> 1, z >> 1],
        ] as const) {
          const ov = layout.panels.overlay;
          const im = layout.panels.image;
          assert.deepEqual(pixel(img, ov.x + x * z + dx, ov.y + y * z + dy), want, `overlay cell (${x}, ${y})`);
          assert.deepEqual(pixel(img, im.x + x * z + dx, im.y + y * z + dy), [r, g, b], `image cell (${x}, ${y})`);
          checked++;
        }
      }
    }
    assert.equal(checked, 3 * w * h);
    // the outlier saturates at the red end; the colour bar runs from the blue end to the red end
    const red = [...LUT.subarray(255 * 4, 255 * 4 + 3)];
    assert.deepEqual(lutIndex(fig.values[w + 1]!, limit), 255);
    const { bar } = layout;
    assert.deepEqual(pixel(img, bar.x, bar.y + 2), [...LUT.subarray(0, 3)]);
    assert.deepEqual(pixel(img, bar.x + bar.width - 1, bar.y + 2), red);
  });

  test('ticks: round values inside ±limit, labels that never collide', () => {
    for (const scale of [1, 0.0436, 3.7, 250]) {
      const fig = rampFigure(28, 28);
      const values = fig.values.map((v) => v * scale);
      const { layout } = renderExplanation({ ...fig, values, clip: clipScale(values) });
      const limit = clipScale(values).limit;
      assert.ok(layout.ticks.length >= 3, `${scale}: ${layout.ticks.length} ticks`);
      for (const t of layout.ticks) assert.ok(Math.abs(t.value) <= limit, `${t.value} inside ±${limit}`);
      assert.ok(layout.ticks.some((t) => t.value === 0 && t.label.text === '0'));
      for (let i = 1; i < layout.ticks.length; i++) {
        const a = layout.ticks[i - 1]!.label;
        const b = layout.ticks[i]!.label;
        assert.ok(a.x + a.width + 8 <= b.x, `${scale}: '${a.text}' and '${b.text}' collide`);
        assert.notEqual(a.text, b.text);
      }
    }
  });

  test('an all-zero map: one tick at 0, the scale saturates nothing', () => {
    const fig = rampFigure(28, 28);
    const values = new Float32Array(28 * 28);
    const { layout } = renderExplanation({ ...fig, values, clip: clipScale(values) });
    assert.deepEqual(
      layout.ticks.map((t) => t.label.text),
      ['0'],
    );
    assert.ok(layout.texts.some((t) => t.text.includes('saturated beyond \u00b10 ')));
  });

  test('titles fit: a long class name is shortened with "…", its class index kept; nothing reaches the margins', () => {
    const long = `${IMAGENET_LABELS[281]!}, a very long class name that keeps going ${'and going '.repeat(12)}`;
    for (const [w, title] of [
      [28, 'tabby, tabby cat'],
      [28, long],
      [224, long],
    ] as const) {
      const fig = rampFigure(w, w, title);
      const { png, layout } = renderExplanation({
        ...fig,
        facts: [...fig.facts!, ...fig.facts!],
        subtitle: `${fig.subtitle} ${fig.subtitle} ${fig.subtitle}`,
      });
      const max = layout.width - 2 * MARGIN;
      const heading = layout.texts.find((t) => t.role === 'title')!;
      if (title === long) {
        assert.ok(heading.text.startsWith(`${IMAGENET_LABELS[281]!}, a very long class name`), heading.text);
        assert.match(heading.text, / (going|and)\u2026 \(class 7\)$/, 'cut at a word, index kept');
        assert.ok(heading.width > 0.8 * max, `shortened no more than needed: ${heading.width} of ${max} px`);
      } else assert.equal(heading.text, 'tabby, tabby cat (class 7)');
      // long facts and subtitles wrap onto more lines instead of being cut
      assert.ok(layout.texts.filter((t) => t.role === 'facts').length >= 2);
      assert.ok(layout.texts.filter((t) => t.role === 'facts').every((t) => !t.text.includes('\u2026')));
      for (const t of layout.texts) assert.ok(t.x >= MARGIN && t.x + t.width <= MARGIN + max, `'${t.text}' fits`);
      // and, independently of the measurement, the rendered pixels: no ink in the side margins
      const img = PNG.sync.read(Buffer.from(png));
      const cols = [...inkedColumns(img)];
      assert.ok(
        Math.min(...cols) >= MARGIN - 1 && Math.max(...cols) <= layout.width - MARGIN,
        `ink in ${Math.min(...cols)}–${Math.max(...cols)}`,
      );
      // the title's ink spans most of the line when it was shortened
      const titleCols = [...inkedColumns(img, heading.y - 18, heading.y + 4)];
      assert.ok(Math.max(...titleCols) - MARGIN <= max && Math.max(...titleCols) - MARGIN >= heading.width - 2);
    }
  });

  test('the title of a class without a name is its index; text is escaped for SVG', () => {
    const { layout } = renderExplanation({ ...rampFigure(28, 28, 'a <b> & "c"'), titleSuffix: '' });
    assert.equal(layout.texts[0]!.text, 'a <b> & "c"');
    assert.match(layout.svg, /a &#60;b&#62; &#38; &#34;c&#34;/);
  });

  test('a box (robustness window) is outlined on both panels', () => {
    const fig = rampFigure(28, 28);
    const plain = renderExplanation(fig);
    const boxed = renderExplanation({ ...fig, box: { x: 4, y: 6, width: 10, height: 8, note: 'box: worst window' } });
    const a = PNG.sync.read(Buffer.from(plain.png));
    const b = PNG.sync.read(Buffer.from(boxed.png));
    assert.equal(a.width, b.width);
    assert.ok(b.height > a.height, 'one more caption line');
    const z = plain.layout.zoom;
    for (const panel of [boxed.layout.panels.image, boxed.layout.panels.overlay]) {
      // the top edge of the box, 2 px of ink inside
      assert.deepEqual(pixel(b, panel.x + (4 + 5) * z, panel.y + 6 * z), [20, 20, 20]);
      assert.deepEqual(pixel(b, panel.x + (4 + 5) * z, panel.y + 6 * z + 1), [20, 20, 20]);
      assert.notDeepEqual(pixel(b, panel.x + (4 + 5) * z, panel.y + 6 * z + 2), [20, 20, 20]);
    }
  });
});
