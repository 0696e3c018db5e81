import { expect } from '@open-wc/testing';

import {
  colormap,
  colormapName,
  DIVERGING_COLORMAPS,
  isColormapName,
  LUT_SIZE,
  SEQUENTIAL_COLORMAPS,
} from './colormap.js';

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
