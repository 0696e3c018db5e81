import { expect } from '@open-wc/testing';

import {
  colormap,
  colormapName,
  DIVERGING_COLORMAPS,
  isColormapName,
  LUT_SIZE,
  SEQUENTIAL_COLORMAPS,
} from './colormap.js';
import { absPercentile, clippedDomain, sharedDomain } from './evidence-scale.js';
import { strongestCells } from './strongest-cells.js';
import { EvidenceMap, PatchGeometry } from '@bagnet-vis/core';

describe('colormap LUTs', () => {
  it('builds a 256-entry RGBA LUT for every listed d3-scale-chromatic scheme', () => {
    for (const name of [...DIVERGING_COLORMAPS, ...SEQUENTIAL_COLORMAPS]) {
      const map = colormap(name);
      expect(map.lut, name).to.be.instanceOf(Uint8ClampedArray);
      expect(map.lut.length).to.equal(LUT_SIZE * 4);
      for (let i = 3; i < map.lut.length; i += 4) expect(map.lut[i]).to.equal(255);
      expect(map.kind).to.equal((DIVERGING_COLORMAPS as readonly string[]).includes(name) ? 'diverging' : 'sequential');
    }
  });

  it('orients diverging maps so the first colour of the name is evidence for (RdBu: red high, blue low, light centre)', () => {
    const { lut } = colormap('RdBu');
    const [r255, , b255] = lut.subarray(255 * 4, 255 * 4 + 3);
    const [r0, , b0] = lut.subarray(0, 3);
    expect(r255! > b255! + 50, 'positive end is red').to.equal(true);
    expect(b0! > r0! + 50, 'negative end is blue').to.equal(true);
    const mid = [...lut.subarray(128 * 4, 128 * 4 + 3)];
    expect(Math.min(...mid)).to.be.greaterThan(235);
    expect([...colormap('rdbu').lut]).to.deep.equal([...lut]);
  });

  it('matches names case-insensitively and rejects unknown names with the list', () => {
    expect(colormapName(' viridis ')).to.equal('Viridis');
    expect(isColormapName('PIYG')).to.equal(true);
    expect(isColormapName('jet')).to.equal(false);
    expect(() => colormap('jet')).to.throw(/Unknown colormap "jet".*RdBu.*Viridis/);
    expect(colormap('Viridis')).to.equal(colormap('viridis')); // built once
  });
});

describe('evidence scale', () => {
  function npPercentile(values: number[], p: number): number {
    const s = values.map(Math.abs).sort((a, b) => a - b);
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    return lo + 1 < s.length ? s[lo]! + (rank - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
  }

  it('absPercentile equals NumPy’s linear percentile of |values| (random, sorted, constant, tiny inputs)', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 10;
    const cases = [
      Array.from({ length: 1000 }, rand),
      Array.from({ length: 257 }, (_, i) => i - 100),
      Array.from({ length: 50 }, () => 2),
      [5],
      [-1, 3],
      Array.from({ length: 729 }, () => Math.round(rand())),
    ];
    for (const values of cases) {
      for (const p of [0, 1, 50, 90, 99, 99.9, 100]) {
        expect(absPercentile(values, p), `n=${values.length} p=${p}`).to.be.closeTo(npPercentile(values, p), 1e-5);
      }
    }
    expect(absPercentile([], 99)).to.equal(0);
  });

  it('clippedDomain is symmetric; sharedDomain takes the widest', () => {
    expect(clippedDomain([1, -2, 3, -4], 100)).to.deep.equal([-4, 4]);
    expect(clippedDomain([0, 0], 99)[1]).to.be.greaterThan(0);
    const map = (scale: number) =>
      new EvidenceMap({
        logitMap: Float32Array.from([1, -2, 3, -4], (v) => v * scale),
        geometry: new PatchGeometry(9, 8, 17, 17, 2, 2),
        labels: ['a'],
      });
    expect(sharedDomain([map(1), map(3)], 0, 100)).to.deep.equal([-12, 12]);
  });

  it('strongestCells agrees with a full sort (ties: lower index first)', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, -9, 0];
    expect(strongestCells(values, 4, 'most').map((c) => c.index)).to.deep.equal([5, 7, 4, 8]);
    expect(strongestCells(values, 3, 'least').map((c) => c.value)).to.deep.equal([-9, 0, 1]);
    expect(strongestCells(values, 3, 'least').map((c) => c.index)).to.deep.equal([11, 12, 1]);
    expect(strongestCells([], 3, 'most')).to.deep.equal([]);
  });
});
