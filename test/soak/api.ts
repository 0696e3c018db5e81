/** What the soak page (./page.ts) offers as `window.soak`, for typed `page.evaluate` calls. */
export interface SoakApi {
  /**
   * Switches tfjs to `backend`, shows the explainer with `model`, `image` and `children` (default: a
   * heatmap, bars and a gallery), waits for its evidence.
   */
  setup(
    backend: string,
    model?: string,
    image?: string,
    children?: string[],
  ): Promise<{ backend: string; tensors: number }>;
  memory(): { tensors: number; bytes: number; gpuBytes: number; jsHeap: number };
  classSwitches(n: number): Promise<{ ms: number }>;
  imageSwaps(n: number): Promise<{ ms: number; evidence: number }>;
  /** `n` dense runs, each cancelled by the next class switch after its first level. */
  abortedDenseRuns(n: number): Promise<{ ms: number; finished: number }>;
  /** Removes and re-adds the explainer `n` times (its model is released and loaded again). */
  reconnects(n: number): Promise<{ ms: number }>;
  /** Starts a run and loses the WebGL context under it; resolves with what the explainer shows. */
  loseContextMidRun(): Promise<{ code: string; message: string; shown: string; barsStillShown: number }>;
  /** Restores the context; resolves once the explainer has recomputed and works again. */
  restoreContext(): Promise<{ errorAfterRestore: string; backend: string; tensors: number }>;
  /** All text shown or announced on the page (text, aria-label, title), shadow roots included. */
  texts(): string;
  /** Elements that markup from a file would have created, and whether a script ran. */
  injected(): string[];
  /** Content-Security-Policy violations reported on the page. */
  violations(): string[];
  /** Inline CSS properties the elements set (empty when a policy blocked them). */
  layout(): { overlay: string; stage: string; bar: string };
}
