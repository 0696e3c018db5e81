/**
 * The colormaps of the evidence views: core's (`@bagnet-vis/core`'s evidence/colormap.ts), so the
 * elements paint a value in the same colour as the CLI's PNG and tfjs-vis. Re-exported here for
 * the elements' own modules.
 */
export {
  colormap,
  colormapName,
  DEFAULT_COLORMAP,
  DIVERGING_COLORMAPS,
  isColormapName,
  LUT_SIZE,
  SEQUENTIAL_COLORMAPS,
} from '@bagnet-vis/core';
export type { Colormap, ColormapName, DivergingColormapName, SequentialColormapName } from '@bagnet-vis/core';
