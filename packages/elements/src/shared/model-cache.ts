/**
 * Models loaded from a URL, shared by every element that names the same `model-src`: one load,
 * one set of weights. Entries are reference-counted; when the last lease is released the load is
 * cancelled or the model disposed. A running evaluation pins its model (see {@link pinModel}) so
 * that an element disconnected mid-run cannot dispose weights still in use.
 */
import { BagNetAbortError, loadBagNet } from '@bagnet-vis/core';
import type { BagNet } from '@bagnet-vis/core';

/** A claim on a cached model: await `model`, call `release()` exactly once when done. */
export interface ModelLease {
  /** Absolute URL of the model.json. */
  readonly url: string;
  readonly model: Promise<BagNet>;
  release(): void;
}

interface Entry {
  readonly url: string;
  refs: number;
  readonly controller: AbortController;
  readonly model: Promise<BagNet>;
  loaded?: BagNet;
}

const entries = new Map<string, Entry>();
const byModel = new WeakMap<BagNet, Entry>();

/** The absolute form of a model URL (relative URLs resolve against the document). */
export function resolveModelUrl(url: string): string {
  return new URL(url, typeof document !== 'undefined' ? document.baseURI : undefined).href;
}

function retain(entry: Entry): void {
  entry.refs++;
}

function releaseEntry(entry: Entry): void {
  entry.refs--;
  if (entry.refs > 0) return;
  if (entries.get(entry.url) === entry) entries.delete(entry.url);
  if (entry.loaded !== undefined) entry.loaded.dispose();
  else entry.controller.abort(new BagNetAbortError('No element uses this model any more.'));
}

/**
 * Takes a lease on the model at `url`, loading it on first use. A failed load is not cached: the
 * next lease tries again.
 */
export function acquireModel(url: string): ModelLease {
  const key = resolveModelUrl(url);
  let entry = entries.get(key);
  if (entry === undefined) {
    const controller = new AbortController();
    const model = loadBagNet(key, { signal: controller.signal });
    const created: Entry = { url: key, refs: 0, controller, model };
    entry = created;
    entries.set(key, created);
    model.then(
      (net) => {
        if (created.refs > 0) {
          created.loaded = net;
          byModel.set(net, created);
        } else net.dispose(); // every user left while it loaded
      },
      () => {
        if (entries.get(key) === created) entries.delete(key);
      },
    );
  }
  retain(entry);
  const held = entry;
  let released = false;
  return {
    url: key,
    model: held.model,
    release() {
      if (released) return;
      released = true;
      releaseEntry(held);
    },
  };
}

/**
 * Keeps `model` alive (if it came from this cache) until the returned function is called: an
 * evaluation in progress holds its model even when the elements that asked for it disconnect.
 * Models passed in by the page (`.model`) are the page's to dispose; pinning them does nothing.
 */
export function pinModel(model: BagNet): () => void {
  const entry = byModel.get(model);
  if (entry === undefined || entry.refs <= 0) return () => undefined;
  retain(entry);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    releaseEntry(entry);
  };
}

/**
 * Forgets every cached model and disposes the loaded ones, pinned or not: after a lost GPU context
 * their weights are garbage (see gpu-context.ts). Leases still held release harmlessly; the next
 * {@link acquireModel} of a URL loads it again.
 */
export function invalidateModels(): void {
  for (const entry of entries.values()) {
    if (entry.loaded !== undefined) entry.loaded.dispose();
    else entry.controller.abort(new BagNetAbortError('The GPU context was lost while the model loaded.'));
  }
  entries.clear();
}

/** Cached URLs and their lease counts (for tests and debugging). */
export function modelCacheStats(): { url: string; refs: number; loaded: boolean }[] {
  return [...entries.values()].map((e) => ({ url: e.url, refs: e.refs, loaded: e.loaded !== undefined }));
}
