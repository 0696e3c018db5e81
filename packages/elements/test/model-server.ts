/**
 * An in-page "server" for tests: answers `fetch` for paths under /__models__/ from memory (models
 * serialised in the page with serializeBagNet, or any file), with real HTTP statuses (404 for
 * anything else under the prefix) and an optional delay, and records every request. Every other
 * URL goes to the real test server.
 */
import { BagNet, bagnetArchitecture, serializeBagNet, useBackend } from '@bagnet-vis/core';

export const PREFIX = '/__models__/';

/** The tiny BagNet-9 of the element tests: 4 classes, 1/16 width, one block per stage. */
export const TINY_ARCHITECTURE = bagnetArchitecture({ q: 9, widthScale: 0.0625, blocks: [1, 1, 1, 1], numClasses: 4 });
export const TINY_LABELS = ['cat', 'dog', 'car', 'tree'] as const;

export function tinyNet(seed = 1): BagNet {
  return BagNet.create(TINY_ARCHITECTURE, { seed, labels: [...TINY_LABELS] });
}

/** The WASM backend, as the brief asks for tfjs tests (binaries served from node_modules). */
export async function useTestBackend(): Promise<void> {
  await useBackend('wasm', { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' });
}

interface File {
  readonly body: Uint8Array | string;
  readonly type: string;
}

export class ModelServer {
  readonly requests: string[] = [];
  /** Milliseconds before each response (to catch elements mid-load). */
  delay = 0;
  #files = new Map<string, File>();
  #original?: typeof fetch;

  install(): this {
    this.#original = globalThis.fetch;
    const original = this.#original;
    globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const url = new URL(href, location.href);
      if (!url.pathname.startsWith(PREFIX)) return original(input, init);
      this.requests.push(url.pathname);
      if (this.delay > 0) await new Promise((r) => setTimeout(r, this.delay));
      if (init?.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
      const file = this.#files.get(url.pathname);
      if (file === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
      const body = typeof file.body === 'string' ? file.body : file.body.slice().buffer;
      return new Response(body, { status: 200, headers: { 'content-type': file.type } });
    };
    return this;
  }

  uninstall(): void {
    if (this.#original) globalThis.fetch = this.#original;
  }

  addFile(path: string, body: Uint8Array | string, type = 'application/octet-stream'): string {
    this.#files.set(PREFIX + path, { body, type });
    return PREFIX + path;
  }

  /** Serves `net` as `/__models__/<name>/model.json` + shards; returns the model.json URL. */
  async addModel(name: string, net: BagNet): Promise<string> {
    const { modelJson, shards } = await serializeBagNet(net);
    for (const [file, bytes] of shards) this.addFile(`${name}/${file}`, bytes);
    return this.addFile(`${name}/model.json`, JSON.stringify(modelJson), 'application/json');
  }

  /** How many requests asked for `path` (relative to the prefix). */
  count(path: string): number {
    return this.requests.filter((r) => r === PREFIX + path).length;
  }
}
