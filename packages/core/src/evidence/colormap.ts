/**
 * Colour lookup tables (LUTs) for evidence maps, built from d3-scale-chromatic's continuous
 * schemes. A LUT is 256 RGBA entries in a `Uint8ClampedArray` (1024 bytes): painting a map is one
 * table read per cell, so switching colormap never re-runs anything but the paint.
 *
 * Orientation (the paper's convention, red = evidence for the class, blue = against):
 * - diverging LUTs run from the most negative value (entry 0) through zero (entry 127.5) to the
 *   most positive (entry 255), and the *first* colour in a scheme's name means positive evidence
 *   (`RdBu`: red for, blue against; `PiYG`: pink for, green against);
 * - sequential LUTs run from the scheme's start (entry 0) to its end (entry 255).
 *
 * Core's, so that every view — the elements, the CLI's PNG, tfjs-vis — paints a value in the same
 * colour ({@link divergingLutIndex} is the entry of a value on a symmetric scale).
 */
import {
  interpolateBlues,
  interpolateBrBG,
  interpolateBuGn,
  interpolateBuPu,
  interpolateCividis,
  interpolateCool,
  interpolateCubehelixDefault,
  interpolateGnBu,
  interpolateGreens,
  interpolateGreys,
  interpolateInferno,
  interpolateMagma,
  interpolateOranges,
  interpolateOrRd,
  interpolatePiYG,
  interpolatePlasma,
  interpolatePRGn,
  interpolatePuBu,
  interpolatePuBuGn,
  interpolatePuOr,
  interpolatePuRd,
  interpolatePurples,
  interpolateRdBu,
  interpolateRdGy,
  interpolateRdPu,
  interpolateRdYlBu,
  interpolateRdYlGn,
  interpolateReds,
  interpolateSpectral,
  interpolateTurbo,
  interpolateViridis,
  interpolateWarm,
  interpolateYlGn,
  interpolateYlGnBu,
  interpolateYlOrBr,
  interpolateYlOrRd,
} from 'd3-scale-chromatic';

import { BagNetInputError } from '../errors.js';

/** Diverging schemes: centred at zero; the first colour of the name is evidence *for* the class. */
export const DIVERGING_COLORMAPS = [
  'RdBu',
  'RdGy',
  'RdYlBu',
  'RdYlGn',
  'Spectral',
  'PiYG',
  'PRGn',
  'BrBG',
  'PuOr',
] as const;

/** Sequential schemes: low → high (with `sign="all"` the whole range −limit … +limit). */
export const SEQUENTIAL_COLORMAPS = [
  'Viridis',
  'Inferno',
  'Magma',
  'Plasma',
  'Cividis',
  'Turbo',
  'Warm',
  'Cool',
  'CubehelixDefault',
  'Blues',
  'Greens',
  'Greys',
  'Oranges',
  'Purples',
  'Reds',
  'BuGn',
  'BuPu',
  'GnBu',
  'OrRd',
  'PuBuGn',
  'PuBu',
  'PuRd',
  'RdPu',
  'YlGnBu',
  'YlGn',
  'YlOrBr',
  'YlOrRd',
] as const;

export type DivergingColormapName = (typeof DIVERGING_COLORMAPS)[number];
export type SequentialColormapName = (typeof SEQUENTIAL_COLORMAPS)[number];
/** A d3-scale-chromatic continuous scheme, named without the `interpolate` prefix. */
export type ColormapName = DivergingColormapName | SequentialColormapName;

/** The default: the paper's red (for) / blue (against) diverging map. */
export const DEFAULT_COLORMAP: ColormapName = 'RdBu';

/** Entries in a LUT. */
export const LUT_SIZE = 256;

type Interpolator = (t: number) => string;

const INTERPOLATORS: Readonly<Record<ColormapName, Interpolator>> = {
  RdBu: interpolateRdBu,
  RdGy: interpolateRdGy,
  RdYlBu: interpolateRdYlBu,
  RdYlGn: interpolateRdYlGn,
  Spectral: interpolateSpectral,
  PiYG: interpolatePiYG,
  PRGn: interpolatePRGn,
  BrBG: interpolateBrBG,
  PuOr: interpolatePuOr,
  Viridis: interpolateViridis,
  Inferno: interpolateInferno,
  Magma: interpolateMagma,
  Plasma: interpolatePlasma,
  Cividis: interpolateCividis,
  Turbo: interpolateTurbo,
  Warm: interpolateWarm,
  Cool: interpolateCool,
  CubehelixDefault: interpolateCubehelixDefault,
  Blues: interpolateBlues,
  Greens: interpolateGreens,
  Greys: interpolateGreys,
  Oranges: interpolateOranges,
  Purples: interpolatePurples,
  Reds: interpolateReds,
  BuGn: interpolateBuGn,
  BuPu: interpolateBuPu,
  GnBu: interpolateGnBu,
  OrRd: interpolateOrRd,
  PuBuGn: interpolatePuBuGn,
  PuBu: interpolatePuBu,
  PuRd: interpolatePuRd,
  RdPu: interpolateRdPu,
  YlGnBu: interpolateYlGnBu,
  YlGn: interpolateYlGn,
  YlOrBr: interpolateYlOrBr,
  YlOrRd: interpolateYlOrRd,
};

const BY_LOWER_CASE = new Map<string, ColormapName>(
  (Object.keys(INTERPOLATORS) as ColormapName[]).map((name) => [name.toLowerCase(), name]),
);

/** A colormap resolved from its name: kind and LUT. */
export interface Colormap {
  readonly name: ColormapName;
  readonly kind: 'diverging' | 'sequential';
  /** 256 RGBA entries (alpha 255). Shared: do not mutate. */
  readonly lut: Uint8ClampedArray;
}

/** The canonical name of `name` (matched case-insensitively), or `undefined` if it is unknown. */
export function colormapName(name: string): ColormapName | undefined {
  return BY_LOWER_CASE.get(name.trim().toLowerCase());
}

/** Whether `name` (any case) is a known colormap. */
export function isColormapName(name: string): boolean {
  return colormapName(name) !== undefined;
}

/** Parses `rgb(r, g, b)` or `#rrggbb`, the two forms d3-scale-chromatic returns. */
function parseColor(css: string): [number, number, number] {
  if (css.startsWith('#') && css.length === 7) {
    const n = Number.parseInt(css.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const m = /^rgb\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*\)$/.exec(css);
  if (m === null) throw new Error(`Internal error: unexpected colour ${JSON.stringify(css)} from d3-scale-chromatic.`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const cache = new Map<ColormapName, Colormap>();

/**
 * The colormap called `name` (case-insensitive). Throws `BagNetInputError` for an unknown name,
 * listing the known ones. LUTs are built once per name and shared.
 */
export function colormap(name: string): Colormap {
  const canonical = colormapName(name);
  if (canonical === undefined) {
    throw new BagNetInputError(
      `Unknown colormap ${JSON.stringify(name)}: use a d3-scale-chromatic scheme name, diverging ` +
        `(${DIVERGING_COLORMAPS.join(', ')}) or sequential (${SEQUENTIAL_COLORMAPS.join(', ')}).`,
    );
  }
  let map = cache.get(canonical);
  if (map === undefined) {
    const kind = (DIVERGING_COLORMAPS as readonly string[]).includes(canonical) ? 'diverging' : 'sequential';
    const interpolate = INTERPOLATORS[canonical];
    const lut = new Uint8ClampedArray(LUT_SIZE * 4);
    for (let i = 0; i < LUT_SIZE; i++) {
      const t = i / (LUT_SIZE - 1);
      // Diverging: entry 255 (most positive) takes the scheme's first colour (t = 0).
      const [r, g, b] = parseColor(interpolate(kind === 'diverging' ? 1 - t : t));
      lut.set([r, g, b, 255], i * 4);
    }
    map = { name: canonical, kind, lut };
    cache.set(canonical, map);
  }
  return map;
}

/**
 * The LUT entry of `value` on a diverging LUT for the symmetric scale [−limit, +limit] (core's
 * `clipScale` limit): values beyond ±limit take the end colours; 0 sits between entries 127
 * and 128 and rounds to 128.
 */
export function divergingLutIndex(value: number, limit: number): number {
  const t = Math.max(-1, Math.min(1, value / limit));
  return Math.round(127.5 + 127.5 * t);
}
