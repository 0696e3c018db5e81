/**
 * Typed errors of @bagnet-vis/tfjs-vis. Like core's, every message says what was wrong, where, and
 * what to do; catch them by class or by `err.name`.
 */
import { BagNetError, BagNetInputError } from '@bagnet-vis/core';

/**
 * A `container` argument is not something tfjs-vis can draw into: not an `HTMLElement`, a visor
 * `Surface` (an object with a `drawArea` element) or `{name, tab}` surface info.
 */
export class BagNetDrawableError extends BagNetInputError {}

/**
 * `{name, tab}` surface info was given but `@tensorflow/tfjs-vis` (an optional peer dependency,
 * needed only to create visor surfaces) could not be loaded.
 */
export class TfjsVisMissingError extends BagNetError {}
