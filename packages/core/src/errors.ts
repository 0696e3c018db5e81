/**
 * Typed errors of @bagnet-vis/core. Every message says what was wrong, where, and what to do.
 * Catch by class (`err instanceof BagNetInputError`) or by `err.name`.
 */

// C0/C1 controls, DEL and the bidirectional overrides: text from a file (a label, a weight name)
// must not be able to move the cursor, recolour a terminal or reorder what a message says.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Text from an untrusted file (a label, a weight name, provenance notes) as it may appear in a
 * message or on a terminal: C0/C1 control characters, DEL and bidi overrides escaped (`\u001b`),
 * so it cannot move the cursor, recolour a terminal or reorder a line; cut to `max` characters
 * (default: no limit). The one escaping rule of the project.
 */
export function printable(text: string, max = Infinity): string {
  return escapeUnprintable(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** {@link printable} for messages: `undefined` spelled out, at most `max` characters. @internal */
export function brief(text: string | undefined, max = 120): string {
  return printable(text ?? 'undefined', max);
}

/** Base class of every error this package throws on purpose. */
export class BagNetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(escapeUnprintable(message), options);
    this.name = new.target.name;
  }
}

/** A model file (model.json, weight shard, metadata) is missing, malformed or inconsistent. */
export class BagNetFormatError extends BagNetError {}

/** An input (image, option, class index) is not usable. */
export class BagNetInputError extends BagNetError {}

/** What went wrong with a backend, for code that handles the cases apart. */
export type BagNetBackendErrorCode =
  /** Not a backend name. */
  | 'unknown'
  /** Not installed, or it cannot start here (no adapter or context, WebAssembly blocked). */
  | 'unavailable'
  /** WebGL that cannot render float32 textures: BagNets would compute in fp16. */
  | 'no-float32-rendering'
  /** A backend option is not valid (e.g. a thread count). */
  | 'bad-option'
  /** The backend runs but cannot do this operation. */
  | 'unsupported';

/** A requested tfjs backend is unknown, could not be initialised, or is refused for BagNets. */
export class BagNetBackendError extends BagNetError {
  readonly code: BagNetBackendErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: BagNetBackendErrorCode }) {
    super(message, options);
    this.code = options?.code ?? 'unavailable';
  }
}

/**
 * The operation was cancelled through its `AbortSignal`. Its `name` is `'AbortError'`, as for
 * `fetch`, so generic abort handling recognises it.
 */
export class BagNetAbortError extends BagNetError {
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** Throws {@link BagNetAbortError} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new BagNetAbortError(`${what} was aborted.`, { cause: signal.reason });
  }
}

/**
 * `promise`, or a {@link BagNetAbortError} as soon as `signal` aborts, whichever comes first. For
 * waits that cannot be cancelled themselves, such as a GPU read, which never settles once the WebGL
 * context is lost: the caller stops waiting (and disposes what it holds); the read is abandoned.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return promise;
  throwIfAborted(signal, what);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new BagNetAbortError(`${what} was aborted.`, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
