/**
 * Cooperative scheduling for long tensor work: code that runs many chunks calls
 * {@link TimeSlicer.step} between them, which yields to the event loop once enough time has
 * passed, so a page stays responsive (input, painting) while a computation runs on its thread.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Default interval, in ms, after which long work yields to the event loop (`yieldIntervalMs` of
 * dense evidence, patch-wise evidence and the analyses).
 */
export const DEFAULT_YIELD_INTERVAL_MS = 30;

/** A monotonic clock in ms where there is one (`performance.now()`), else `Date.now()`. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * Lets the event loop run once. In a visible browser page it waits for the next animation frame
 * (`tf.nextFrame()`), so a progressive view can paint; in a hidden page, a worker or Node it
 * yields one macrotask (`setImmediate` / `setTimeout(0)`), because animation frames do not fire
 * there and the work would stall.
 */
export function yieldToEventLoop(): Promise<void> {
  if (
    typeof requestAnimationFrame === 'function' &&
    typeof document !== 'undefined' &&
    document.visibilityState === 'visible'
  ) {
    return tf.nextFrame();
  }
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Yields to the event loop at most every `intervalMs` of work: call {@link step} after each chunk.
 * With `intervalMs = 0` it yields after every chunk.
 */
export class TimeSlicer {
  /** Minimum work time between two yields, in milliseconds. */
  readonly intervalMs: number;
  #last = now();

  /** Starts the clock now; see {@link intervalMs}. */
  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Yields if at least {@link intervalMs} passed since the last yield; otherwise returns at once. */
  async step(): Promise<void> {
    if (now() - this.#last >= this.intervalMs) await this.yield();
  }

  /** Yields now (e.g. after delivering a result a view should paint). */
  async yield(): Promise<void> {
    await yieldToEventLoop();
    this.#last = now();
  }
}
