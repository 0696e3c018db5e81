/**
 * What the render and show functions draw into — the same things tfjs-vis's own `render.*` and
 * `show.*` accept — and how each resolves to the element that holds the drawing. Only `{name, tab}`
 * needs tfjs-vis itself (to create the visor surface), so it is loaded then, and only then.
 */
import { BagNetDrawableError, TfjsVisMissingError } from './errors.js';

/** A visor surface, as `tfvis.visor().surface(...)` returns it: the drawing goes into `drawArea`. */
export interface VisSurface {
  readonly drawArea: HTMLElement;
}

/**
 * A visor surface by name, as tfjs-vis's functions accept it: created on first use (tab
 * `'Visor'` when none is given), found again by the same name and tab.
 */
export interface VisSurfaceInfo {
  readonly name: string;
  readonly tab?: string;
  /** CSS sizes of the surface, as in tfjs-vis (`width`, `height`, `maxWidth`, `maxHeight`). */
  readonly styles?: {
    readonly width?: string;
    readonly height?: string;
    readonly maxWidth?: string;
    readonly maxHeight?: string;
  };
}

/**
 * Where to draw: an `HTMLElement`, a visor `Surface`, or `{name, tab}` surface info — tfjs-vis's
 * `Drawable`. Defined here structurally so that this package's types do not need tfjs-vis.
 */
export type Drawable = HTMLElement | VisSurface | VisSurfaceInfo;

/** The part of tfjs-vis's API used to create surfaces. */
export interface TfjsVisApi {
  visor(): { surface(info: VisSurfaceInfo): VisSurface };
}

/** Loads tfjs-vis (the `tfvis` global of its script tag, else the package). */
export type TfjsVisLoader = () => Promise<TfjsVisApi>;

const INSTALL_HINT =
  'Install it next to @bagnet-vis/tfjs-vis (`npm install @tensorflow/tfjs-vis`) or load its script ' +
  '(global `tfvis`) before this one; or pass an HTMLElement or a Surface from `tfvis.visor().surface(...)` instead.';

function isTfjsVis(value: unknown): value is TfjsVisApi {
  return typeof value === 'object' && value !== null && typeof (value as Partial<TfjsVisApi>).visor === 'function';
}

/**
 * A tfjs-vis loader that takes the global `tfvis` of tfjs-vis's script tag when present, else the
 * module `importModule` gives, and turns a failure into {@link TfjsVisMissingError}.
 */
export function createTfjsVisLoader(importModule: () => Promise<unknown>): TfjsVisLoader {
  return async () => {
    const global = (globalThis as { tfvis?: unknown }).tfvis;
    if (isTfjsVis(global)) return global;
    let loaded: unknown;
    try {
      loaded = await importModule();
    } catch (e) {
      throw new TfjsVisMissingError(
        `@tensorflow/tfjs-vis could not be loaded (${e instanceof Error ? e.message : String(e)}), and it is ` +
          `needed to create the visor surface of a {name, tab} container. ${INSTALL_HINT}`,
        { cause: e },
      );
    }
    // A CommonJS build seen through ESM interop may hold the API under `default`.
    const api = isTfjsVis(loaded) ? loaded : (loaded as { default?: unknown } | null)?.default;
    if (!isTfjsVis(api)) {
      throw new TfjsVisMissingError(`@tensorflow/tfjs-vis loaded, but it has no visor() function. ${INSTALL_HINT}`);
    }
    return api;
  };
}

/**
 * tfjs-vis, loaded on demand: the global `tfvis` of its UMD script when present, else a dynamic
 * `import('@tensorflow/tfjs-vis')` — never a top-level import: it brings vega, and it is optional.
 */
export const loadTfjsVis: TfjsVisLoader = createTfjsVisLoader(() => import('@tensorflow/tfjs-vis'));

/** Whether `value` is a DOM element (by duck typing, so that elements from other frames count). */
function isElement(value: unknown): value is HTMLElement {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<Node>).nodeType === 1 &&
    typeof (value as Partial<HTMLElement>).appendChild === 'function'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
  const keys = Object.keys(value);
  return keys.length > 0 ? `an object with keys ${keys.slice(0, 5).join(', ')}` : 'an empty object';
}

/**
 * The element to draw into, resolved as tfjs-vis does: an `HTMLElement` as is, a `Surface`'s
 * `drawArea`, or the `drawArea` of the visor surface named by `{name, tab}` (created on first use;
 * this loads tfjs-vis). Throws {@link BagNetDrawableError} for anything else and
 * {@link TfjsVisMissingError} when `{name, tab}` is given without tfjs-vis.
 *
 * @param where the calling function, for the message (e.g. `render.heatmap`)
 * @param load how to load tfjs-vis (tests swap it)
 */
export async function resolveDrawArea(
  container: Drawable,
  where: string,
  load: TfjsVisLoader = loadTfjsVis,
): Promise<HTMLElement> {
  const value: unknown = container;
  if (isElement(value)) return value;
  if (typeof value === 'object' && value !== null) {
    if ('drawArea' in value) {
      const { drawArea } = value as { drawArea: unknown };
      if (isElement(drawArea)) return drawArea;
      throw new BagNetDrawableError(
        `${where}: the container's drawArea is ${describe(drawArea)}, not an HTMLElement. ` +
          'Pass the Surface that tfvis.visor().surface({name, tab}) returns, unchanged.',
      );
    }
    if ('name' in value && (value as { name: unknown }).name != null) {
      const info = value as { name: unknown; tab?: unknown };
      if (typeof info.name !== 'string' || (info.tab != null && typeof info.tab !== 'string')) {
        throw new BagNetDrawableError(
          `${where}: surface info needs a string name and an optional string tab, got name ${describe(info.name)}` +
            `${info.tab != null ? ` and tab ${describe(info.tab)}` : ''}.`,
        );
      }
      const tfvis = await load();
      const surface = tfvis.visor().surface(value as VisSurfaceInfo);
      if (!isElement(surface?.drawArea)) {
        throw new BagNetDrawableError(`${where}: tfvis.visor().surface() returned no drawArea element.`);
      }
      return surface.drawArea;
    }
  }
  throw new BagNetDrawableError(
    `${where}: cannot draw into ${describe(value)}. The container must be what tfjs-vis draws into: ` +
      'an HTMLElement, a visor Surface (tfvis.visor().surface({name, tab})), or surface info {name, tab}.',
  );
}
