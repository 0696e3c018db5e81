/** The tiles of `<patch-gallery>`: what one holds, and how patches are cut out of their image. */
import type { BagNetImageInput, EvidenceMap, PatchEvidence, PatchRect } from '@bagnet-vis/core';

import { drawImageSource } from '../shared/image-source.js';

/** Which lists a gallery shows. */
export type GalleryShow = 'both' | 'most' | 'least';

/** One tile: a patch, the image it came from (set mode) and its pixels at the receptive field. */
export interface GalleryTile extends PatchEvidence {
  readonly order: 'most' | 'least';
  readonly classIndex: number;
  /** Index into `srcs` / `.images` (set mode only). */
  readonly imageIndex?: number;
  /** The q × q crop of the image. */
  readonly crop: ImageData;
  /** Mined-file mode: the URL of the tile's image (the tile links to it). */
  readonly href?: string;
}

/** Cuts a patch's q × q receptive field out of `canvas` (the image at its pixel size). */
export function crop(canvas: HTMLCanvasElement, rect: PatchRect): ImageData {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  return ctx.getImageData(rect.x, rect.y, rect.width, rect.height);
}

/** The image drawn at its pixel size into a canvas whose pixels are read back cheaply. */
export async function canvasOf(image: BagNetImageInput): Promise<HTMLCanvasElement> {
  const canvas = document.createElement('canvas');
  // The tiles are read back from this canvas: ask for a CPU-backed context before anything draws
  // on it — the first getContext call fixes the attributes, and a later { willReadFrequently } is
  // ignored (Chrome then warns on every class switch and reads back from the GPU).
  canvas.getContext('2d', { willReadFrequently: true });
  await drawImageSource(canvas, image);
  return canvas;
}

/** Cuts the top patches of one evidence map out of its image. */
export async function tilesOf(
  evidence: EvidenceMap,
  image: BagNetImageInput,
  classIndex: number,
  k: number,
  show: GalleryShow,
  imageIndex?: number,
): Promise<{ most: GalleryTile[]; least: GalleryTile[] }> {
  const canvas = await canvasOf(image);
  const make = (order: 'most' | 'least') =>
    show === 'both' || show === order
      ? evidence.topPatches(classIndex, k, order).map((p) => ({
          ...p,
          order,
          classIndex,
          ...(imageIndex !== undefined && { imageIndex }),
          crop: crop(canvas, p.rect),
        }))
      : [];
  return { most: make('most'), least: make('least') };
}
