/**
 * Backend selection. Backends are optional peer dependencies loaded on demand, so an app only
 * ships the ones it uses: `@tensorflow/tfjs-backend-{webgpu,webgl,wasm,cpu}`.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAMES, BACKENDS } from './backend-name.js';
import type { BackendName } from './backend-name.js';
import { probeActiveBackend, probeMs, probeRatio } from './backend-probe.js';
import type { BackendProbe } from './backend-probe.js';
import { BagNetBackendError } from './errors.js';
import { currentWebGLRenderer, currentWebGPURenderer } from './gpu-renderer.js';
import type { GpuRenderer } from './gpu-renderer.js';
import { registerWasmSlice } from './wasm-slice.js';

/** Options for backend initialisation. */
export interface BackendOptions {
  /**
   * Where the tfjs WASM binaries are served (prefix ending in `/`), passed to the wasm backend's
   * `setWasmPaths`. In Node they are found automatically.
   */
  wasmPaths?: string;
  /**
   * Threads of the WASM backend on a cross-origin-isolated page (one served with
   * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`),
   * where tfjs loads its threaded SIMD binary. Default: `navigator.hardwareConcurrency` (tfjs uses
   * at most 8: the workers it creates up front). Only the
   * first start of the WASM backend in a page counts; elsewhere WASM runs on one thread.
   */
  threads?: number;
  /**
   * Let WebGL run where it cannot render to float32 textures (tfjs then computes in fp16, where
   * BagNet weights lose accuracy: BagNet-33's ImageNet top-1 drops from 66.7 % to 58.0 %).
   * Default false: such a WebGL is refused with {@link BagNetBackendError} code
   * `no-float32-rendering`.
   */
  allowHalfPrecision?: boolean;
}

/** Why a backend may be unavailable, for the message. */
const BACKEND_HINTS: Partial<Record<BackendName, string>> = {
  webgpu: ' (no WebGPU adapter)',
  webgl: ' (no WebGL context)',
  // A Content-Security-Policy blocks WebAssembly unless its script-src allows 'wasm-unsafe-eval'.
  wasm: " (WebAssembly could not start; under a Content-Security-Policy, script-src needs 'wasm-unsafe-eval')",
};

/** The tfjs-backend-wasm module once it is loaded (its thread count is read from it). */
let wasmModule: { getThreadsCount(): number } | undefined;

/** tfjs's backend `name` if it has been initialised (tf.findBackend would initialise it). */
export function initializedBackend(name: BackendName): tf.KernelBackend | undefined {
  return (tf.engine() as unknown as { registry: Partial<Record<string, tf.KernelBackend>> }).registry[name];
}

/** Threads asked of tfjs-wasm, until its backend has started with them. */
let pendingWasmThreads: number | undefined;

/**
 * Makes `navigator.hardwareConcurrency` read `n` until the returned function is called (an own
 * property shadowing the prototype's getter, removed again). Undefined where it cannot.
 */
function reportConcurrency(n: number): (() => void) | undefined {
  const nav = globalThis.navigator as (Navigator & { hardwareConcurrency: number }) | undefined;
  if (nav === undefined || Object.prototype.hasOwnProperty.call(nav, 'hardwareConcurrency')) return undefined;
  if (nav.hardwareConcurrency >= n) return undefined;
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { value: n, configurable: true });
  } catch {
    return undefined;
  }
  return () => {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** Whether this page may use WASM threads (SharedArrayBuffer needs cross-origin isolation). */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** The thread count to ask tfjs-wasm for on this page. */
function wantedThreads(options: BackendOptions): number | undefined {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new BagNetBackendError(`threads must be a positive integer, got ${String(options.threads)}.`, {
      code: 'bad-option',
    });
  }
  if (!isCrossOriginIsolated()) return undefined;
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 1;
  return options.threads ?? cores;
}

async function register(name: BackendName, options: BackendOptions): Promise<void> {
  const threads = name === 'wasm' ? wantedThreads(options) : undefined;
  if (tf.findBackendFactory(name) === null) await importBackend(name, options, threads);
  // Core's Slice kernel replaces tfjs-wasm's, whoever imported the backend.
  if (name === 'wasm') registerWasmSlice();
}

async function importBackend(name: BackendName, options: BackendOptions, threads: number | undefined): Promise<void> {
  try {
    switch (name) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
      case 'webgl':
        await import('@tensorflow/tfjs-backend-webgl');
        break;
      case 'webgpu':
        await import('@tensorflow/tfjs-backend-webgpu');
        break;
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        wasmModule = wasm;
        if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths);
        // tfjs picks its threaded SIMD binary by itself on an isolated page; the count is ours.
        if (threads !== undefined) {
          wasm.setThreadsCount(threads);
          pendingWasmThreads = threads;
        }
        break;
      }
    }
  } catch (e) {
    throw new BagNetBackendError(
      `The ${name} backend is not installed: npm install @tensorflow/tfjs-backend-${name} (${e instanceof Error ? e.message : String(e)}).`,
      { cause: e },
    );
  }
}

/**
 * Threads the WASM backend computes on (1 unless the page is cross-origin isolated), once it has
 * started; undefined before.
 */
export function wasmThreadCount(): number | undefined {
  if (wasmModule === undefined || initializedBackend('wasm') === undefined) return undefined;
  try {
    return wasmModule.getThreadsCount();
  } catch {
    return undefined;
  }
}

/** Why WebGL is refused for BagNets here, or undefined when it renders float32. */
function float32Problem(): string | undefined {
  const capable = tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE');
  const enabled = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  if (capable && enabled) return undefined;
  return (
    `WebGL here cannot render to float32 textures (tfjs flag ${capable ? 'WEBGL_RENDER_FLOAT32_ENABLED' : 'WEBGL_RENDER_FLOAT32_CAPABLE'} is false), ` +
    'so tfjs would compute in fp16, where BagNet weights lose accuracy (BagNet-33 ImageNet top-1 66.7 % in fp32, 58.0 % in fp16). ' +
    'Use wasm, or pass allowHalfPrecision: true to accept it'
  );
}

/**
 * Switches tfjs to `name`, loading its package if needed, and waits until it is ready.
 * Throws {@link BagNetBackendError} for an unknown name, a backend that cannot start here, or a
 * WebGL that can only compute in fp16 (unless `allowHalfPrecision`); tfjs stays on the backend it
 * was on.
 */
export async function useBackend(name: BackendName, options: BackendOptions = {}): Promise<BackendName> {
  if (!BACKENDS.includes(name)) {
    throw new BagNetBackendError(`Unknown backend ${JSON.stringify(name)}: use one of ${BACKENDS.join(', ')}.`, {
      code: 'unknown',
    });
  }
  await register(name, options);
  const previous = tf.getBackend() as BackendName | undefined;
  let ok = false;
  // tfjs-wasm caps its threads at navigator.hardwareConcurrency / 2 (it assumes two hyper-threads
  // per core), which leaves a 2-core machine, or any CPU without SMT, half idle: while it starts,
  // it reads a concurrency of twice the threads wanted.
  const threads = name === 'wasm' && tf.findBackendFactory('wasm') !== null ? pendingWasmThreads : undefined;
  const restore = threads === undefined ? undefined : reportConcurrency(2 * threads);
  try {
    ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch (e) {
    throw new BagNetBackendError(
      `The ${name} backend failed to start: ${e instanceof Error ? e.message : String(e)}.`,
      { cause: e, code: 'unavailable' },
    );
  } finally {
    restore?.();
    if (name === 'wasm' && ok) pendingWasmThreads = undefined;
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BagNetBackendError(
      `The ${name} backend is not available in this environment${BACKEND_HINTS[name] ?? ''}.`,
      { code: 'unavailable' },
    );
  }
  if (name === 'webgl' && options.allowHalfPrecision !== true) {
    const problem = float32Problem();
    if (problem !== undefined) {
      if (previous !== undefined && previous !== name) await tf.setBackend(previous).catch(() => false);
      throw new BagNetBackendError(`${problem}.`, { code: 'no-float32-rendering' });
    }
  }
  return name;
}

/** Why {@link pickBestBackend} chose its backend. */
export type BackendChoiceCode =
  /** Measured fastest in the probe. */
  | 'fastest'
  /** The only backend of `prefer` that works here (nothing to compare). */
  | 'only-usable'
  /** The only one left once GPU backends on a software renderer were passed over (unmeasured). */
  | 'avoids-software-renderer'
  /** The first usable backend of `prefer` (probe off; software-rendered GPUs go last). */
  | 'first-usable';

/** Why {@link pickBestBackend} passed a backend over. */
export type BackendSkipCode =
  /** It does not start here (not installed, no adapter or context, blocked). */
  | 'unavailable'
  /** WebGL without float32 rendering: BagNets would compute in fp16. */
  | 'no-float32-rendering'
  /** A GPU backend on a software renderer (SwiftShader, llvmpipe, …): slower, or not probed. */
  | 'software-renderer'
  /** Slower than the chosen backend in the probe. */
  | 'slower';

/** A backend {@link pickBestBackend} did not choose, and why. */
export interface SkippedBackend {
  readonly backend: BackendName;
  readonly code: BackendSkipCode;
  /** A sentence for people, with the measured numbers. */
  readonly reason: string;
}

/** The result of {@link pickBestBackend}. */
export interface BackendChoice {
  /** The backend now active. */
  readonly backend: BackendName;
  readonly code: BackendChoiceCode;
  /** Why, in a sentence for people: "WebGL runs on a software renderer here (SwiftShader); WASM is 8.2× faster." */
  readonly reason: string;
  /** The backends not chosen, each with its code and reason, in `prefer` order. */
  readonly skipped: readonly SkippedBackend[];
  /** The probe's measurements, in the order they ran (empty when there was nothing to compare). */
  readonly probe: readonly BackendProbe[];
  /** Milliseconds the probe took in all (budget: {@link PROBE_BUDGET_MS}). */
  readonly probeMs: number;
  /** The GPU renderers seen (WebGL unmasked renderer, WebGPU adapter). */
  readonly renderers: readonly GpuRenderer[];
  /** WASM threads when WASM was chosen. */
  readonly wasmThreads?: number;
  /** Whether this is the session's earlier choice, re-applied without a new probe. */
  readonly cached: boolean;
}

/** Options of {@link pickBestBackend}. */
export interface PickBackendOptions extends BackendOptions {
  /**
   * Time the candidates with a short probe and take the fastest (default true). Without it the
   * first usable backend of `prefer` wins, software-rendered GPUs last.
   */
  probe?: boolean;
  /** Probe again even if this session already chose (default false). */
  fresh?: boolean;
  /**
   * Probe GPU backends on a software renderer too (default false: they are recognised and passed
   * over unmeasured). Their first pass compiles GPU programs on the CPU, which no budget bounds:
   * 0.1–15 s on SwiftShader here.
   */
  probeSoftware?: boolean;
}

/** The most the probe may take, in milliseconds, all candidates together. */
export const PROBE_BUDGET_MS = 300;

/** Choices of this session (page or process), by `prefer` and options. */
const choices = new Map<string, BackendChoice>();
const STORAGE_KEY = 'bagnet-vis:backend-choice:v1:';

function sessionStore(): Storage | undefined {
  try {
    return (globalThis as { sessionStorage?: Storage }).sessionStorage;
  } catch {
    return undefined; // storage blocked (sandboxed frame, privacy settings)
  }
}

/** Forgets this session's backend choices: the next {@link pickBestBackend} probes again. */
export function forgetBackendChoice(): void {
  choices.clear();
  const store = sessionStore();
  if (store === undefined) return;
  for (let i = store.length - 1; i >= 0; i--) {
    const key = store.key(i);
    if (key?.startsWith(STORAGE_KEY)) store.removeItem(key);
  }
}

const times = (ratio: number) => `${ratio < 10 ? ratio.toFixed(1) : Math.round(ratio).toString()}×`;
const ms = (t: number) => `${t < 10 ? t.toFixed(1) : Math.round(t).toString()} ms`;

interface Candidate {
  readonly backend: BackendName;
  readonly renderer?: GpuRenderer;
}

async function rendererOf(backend: BackendName): Promise<GpuRenderer | undefined> {
  try {
    if (backend === 'webgl') return currentWebGLRenderer();
    if (backend === 'webgpu') return await currentWebGPURenderer();
  } catch {
    /* no renderer info: treat as unknown hardware */
  }
  return undefined;
}

function softwareNote(r: GpuRenderer | undefined): string {
  return r?.software ? `${r.softwareName ?? 'a software renderer'}, a software renderer` : '';
}

/**
 * Chooses the backend BagNets run fastest on here, activates it and says why. Every backend of
 * `prefer` (default: webgpu, webgl, wasm, cpu) that starts is a candidate, except a WebGL that
 * cannot render float32 (fp16 guard, unless `allowHalfPrecision`). GPU backends are checked for
 * software renderers (WebGL's unmasked renderer, WebGPU's adapter info / fallback adapter); then a
 * short probe — one small BagNet-shaped forward per candidate, at most {@link PROBE_BUDGET_MS} ms
 * in all, hardware first and software renderers last — picks the fastest. The choice is kept for
 * the session (this page or process, and the tab's sessionStorage): later calls re-apply it
 * without probing, unless `fresh`.
 *
 * Throws {@link BagNetBackendError} when no backend of `prefer` works here.
 */
export async function pickBestBackend(
  prefer: readonly BackendName[] = BACKENDS,
  options: PickBackendOptions = {},
): Promise<BackendChoice> {
  const probe = options.probe !== false;
  const key = `${prefer.join(',')}|probe=${probe}|threads=${options.threads ?? ''}|half=${options.allowHalfPrecision === true}`;
  if (options.fresh !== true) {
    const cached = await reuse(key, options);
    if (cached !== undefined) return cached;
  }

  const skipped: SkippedBackend[] = [];
  const candidates: Candidate[] = [];
  const renderers: GpuRenderer[] = [];
  for (const backend of new Set(prefer)) {
    try {
      await useBackend(backend, options);
    } catch (e) {
      if (e instanceof BagNetBackendError && e.code === 'unknown') throw e;
      const code = e instanceof BagNetBackendError && e.code === 'no-float32-rendering' ? e.code : 'unavailable';
      skipped.push({ backend, code, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const renderer = await rendererOf(backend);
    if (renderer !== undefined) renderers.push(renderer);
    candidates.push(renderer === undefined ? { backend } : { backend, renderer });
  }
  if (candidates.length === 0) {
    throw new BagNetBackendError(
      `No usable tfjs backend among ${prefer.join(', ')}: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join(' | ')}`,
      { code: 'unavailable' },
    );
  }
  // Hardware first, in prefer order. Software renderers are passed over unmeasured unless asked
  // (or nothing else works): their first pass alone compiles GPU programs on the CPU.
  const hardware = candidates.filter((c) => !c.renderer?.software);
  const software = candidates.filter((c) => c.renderer?.software);
  const measureSoftware = hardware.length === 0 || (probe && options.probeSoftware === true);
  let pool = measureSoftware ? [...hardware, ...software] : hardware;
  const passedOver = measureSoftware ? [] : software;
  for (const c of passedOver) {
    skipped.push({
      backend: c.backend,
      code: 'software-renderer',
      reason: `runs on ${softwareNote(c.renderer)}; not probed (its first pass compiles GPU programs on the CPU, which takes seconds).`,
    });
  }
  // tfjs's CPU backend is plain JavaScript: with WASM at hand it is never the faster one, and one
  // probe pass on it (~0.5 s) would spend the whole budget.
  if (probe && pool.some((c) => c.backend === 'wasm') && pool.some((c) => c.backend === 'cpu')) {
    skipped.push({
      backend: 'cpu',
      code: 'slower',
      reason: "not probed: tfjs's CPU backend is plain JavaScript, slower than WASM's compiled kernels.",
    });
    pool = pool.filter((c) => c.backend !== 'cpu');
  }

  let chosen: Candidate;
  let code: BackendChoiceCode;
  const probes: BackendProbe[] = [];
  let probeTotal = 0;
  if (pool.length === 1 || !probe) {
    chosen = pool[0]!;
    code =
      candidates.length === 1
        ? 'only-usable'
        : probe && passedOver.length > 0 && pool.length === 1
          ? 'avoids-software-renderer'
          : 'first-usable';
    for (const c of pool.slice(1)) {
      skipped.push(
        c.renderer?.software
          ? { backend: c.backend, code: 'software-renderer', reason: `runs on ${softwareNote(c.renderer)}.` }
          : {
              backend: c.backend,
              code: 'slower',
              reason: `comes after ${BACKEND_NAMES[chosen.backend]} in the order preferred.`,
            },
      );
    }
  } else {
    const started = performance.now();
    const unprobed: Candidate[] = [];
    for (const [i, c] of pool.entries()) {
      const left = PROBE_BUDGET_MS - (performance.now() - started);
      if (left <= 0) {
        unprobed.push(c);
        continue;
      }
      await useBackend(c.backend, options);
      // An equal share of what is left (the last candidate gets all of it); a warm pass in any case
      // if the first fits in what is left.
      probes.push(await probeActiveBackend(c.backend, left / (pool.length - i), left));
    }
    probeTotal = performance.now() - started;
    const best = probes.reduce((x, y) => (probeMs(y) < probeMs(x) ? y : x));
    chosen = pool.find((c) => c.backend === best.backend)!;
    code = 'fastest';
    for (const p of probes) {
      if (p === best) continue;
      const r = pool.find((c) => c.backend === p.backend)?.renderer;
      const { ratio, warm } = probeRatio(p, best);
      const slower =
        `${times(ratio)} slower than ${BACKEND_NAMES[best.backend]} in the probe ` +
        (warm
          ? `(${ms(p.warmMs!)} vs ${ms(best.warmMs!)} per pass)`
          : `(first passes, setup included: ${ms(p.firstMs)} vs ${ms(best.firstMs)})`);
      skipped.push(
        r?.software
          ? { backend: p.backend, code: 'software-renderer', reason: `runs on ${softwareNote(r)}: ${slower}.` }
          : { backend: p.backend, code: 'slower', reason: `${slower}.` },
      );
    }
    for (const c of unprobed) {
      skipped.push({
        backend: c.backend,
        code: c.renderer?.software ? 'software-renderer' : 'slower',
        reason: `${c.renderer?.software ? `runs on ${softwareNote(c.renderer)}; ` : ''}not probed: the ${PROBE_BUDGET_MS} ms probe budget was spent.`,
      });
    }
  }
  await useBackend(chosen.backend, options);
  const reason = explainChoice(chosen, code, candidates, probes);
  const choice = finish(chosen.backend, code, reason, skipped, probes, probeTotal, renderers);
  choices.set(key, choice);
  try {
    sessionStore()?.setItem(STORAGE_KEY + key, JSON.stringify(choice));
  } catch {
    /* storage full or blocked: the in-memory choice still holds for this page */
  }
  return choice;
}

/** The sentence people see. Software renderers come first: they are the usual surprise. */
function explainChoice(
  chosen: Candidate,
  code: BackendChoiceCode,
  candidates: readonly Candidate[],
  probes: readonly BackendProbe[],
): string {
  const name = BACKEND_NAMES[chosen.backend];
  const slowSoftware = candidates.filter((c) => c.renderer?.software && c !== chosen);
  const measured = (b: BackendName) => probes.find((p) => p.backend === b);
  const mine = measured(chosen.backend);
  let reason: string;
  if (slowSoftware.length > 0) {
    const names = slowSoftware.map((c) => BACKEND_NAMES[c.backend]).join(' and ');
    const renderersSeen = [...new Set(slowSoftware.map((c) => c.renderer!.softwareName))].join(', ');
    const timed = slowSoftware.map((c) => measured(c.backend)).filter((p) => p !== undefined);
    const fastest = timed.reduce<BackendProbe | undefined>(
      (x, y) => (x === undefined || probeMs(y) < probeMs(x) ? y : x),
      undefined,
    );
    reason =
      `${names} ${slowSoftware.length > 1 ? 'run' : 'runs'} on a software renderer here (${renderersSeen}); ` +
      (fastest !== undefined && mine !== undefined
        ? `${name} is ${times(probeRatio(fastest, mine).ratio)} faster.`
        : `using ${name}.`);
  } else if (code === 'fastest') {
    const others = probes.filter((p) => p.backend !== chosen.backend);
    reason = `${name} was fastest in the probe (${ms(probeMs(mine!))} per pass; ${others.map((p) => `${BACKEND_NAMES[p.backend]} ${ms(probeMs(p))}`).join(', ')}).`;
  } else if (code === 'only-usable') {
    reason = `${name} is the only backend that works here.`;
  } else if (chosen.backend === 'wasm' && candidates.some((c) => c.backend === 'cpu')) {
    reason = `${name} runs compiled kernels; tfjs's CPU backend, the other one that works here, is plain JavaScript.`;
  } else {
    reason = `${name} is the first backend preferred that works here.`;
  }
  if (chosen.renderer?.software) reason += ` It runs on ${softwareNote(chosen.renderer)}.`;
  return reason;
}

function finish(
  backend: BackendName,
  code: BackendChoiceCode,
  reason: string,
  skipped: SkippedBackend[],
  probe: BackendProbe[],
  probeTotal: number,
  renderers: GpuRenderer[],
): BackendChoice {
  const order = (b: BackendName) => BACKENDS.indexOf(b);
  skipped.sort((x, y) => order(x.backend) - order(y.backend));
  const threads = backend === 'wasm' ? wasmThreadCount() : undefined;
  return {
    backend,
    code,
    reason,
    skipped,
    probe,
    probeMs: probeTotal,
    renderers,
    ...(threads === undefined ? {} : { wasmThreads: threads }),
    cached: false,
  };
}

/** This session's earlier choice for `key`, re-applied, if there is one and it still starts. */
async function reuse(key: string, options: BackendOptions): Promise<BackendChoice | undefined> {
  let earlier = choices.get(key);
  if (earlier === undefined) {
    try {
      const stored = sessionStore()?.getItem(STORAGE_KEY + key);
      if (stored) earlier = JSON.parse(stored) as BackendChoice;
    } catch {
      earlier = undefined; // unreadable: probe again
    }
  }
  if (earlier === undefined || !BACKENDS.includes(earlier.backend)) return undefined;
  try {
    await useBackend(earlier.backend, options);
  } catch {
    return undefined;
  }
  const threads = earlier.backend === 'wasm' ? wasmThreadCount() : undefined;
  const { wasmThreads: _ignored, ...rest } = earlier;
  void _ignored;
  return { ...rest, ...(threads === undefined ? {} : { wasmThreads: threads }), cached: true };
}

/** Callbacks of {@link watchWebGLContext}. */
export interface WebGLContextListener {
  /** The GPU context was lost: running work will not finish and every webgl tensor is invalid. */
  readonly lost?: () => void;
  /** The browser restored the context: call {@link resetWebGLBackend}, then reload models. */
  readonly restored?: () => void;
}

/** The WebGL context of the active tfjs webgl backend, if tfjs runs on webgl. */
function activeWebGLContext(): WebGLRenderingContext | WebGL2RenderingContext | undefined {
  if (tf.getBackend() !== 'webgl') return undefined;
  return (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext | WebGL2RenderingContext } }).gpgpu?.gl;
}

/**
 * Calls `listener` when the WebGL context of tfjs's active webgl backend is lost or restored (a GPU
 * reset, a driver update, too many contexts, `WEBGL_lose_context`). Returns a function that stops
 * watching; does nothing when tfjs is not on webgl. After a {@link resetWebGLBackend} the backend has
 * a new context: watch again.
 */
export function watchWebGLContext(listener: WebGLContextListener): () => void {
  const canvas = activeWebGLContext()?.canvas;
  if (canvas === undefined) return () => undefined;
  const lost = () => listener.lost?.();
  const restored = () => listener.restored?.();
  canvas.addEventListener('webglcontextlost', lost);
  canvas.addEventListener('webglcontextrestored', restored);
  return () => {
    canvas.removeEventListener('webglcontextlost', lost);
    canvas.removeEventListener('webglcontextrestored', restored);
  };
}

/** Whether tfjs runs on webgl and its context is lost now. */
export function isWebGLContextLost(): boolean {
  return activeWebGLContext()?.isContextLost() === true;
}

/**
 * Replaces tfjs's webgl backend with a fresh one (a new context, programs and textures) and makes it
 * active if webgl was. tfjs cannot carry on after a lost context, even once it is restored: its
 * programs and textures belonged to the old one. Every tensor of the old backend is garbage —
 * dispose them (and the models holding them) before, and load the models again after.
 */
export async function resetWebGLBackend(): Promise<void> {
  const factory = tf.findBackendFactory('webgl');
  if (factory === null) {
    throw new BagNetBackendError('The webgl backend is not registered: there is nothing to reset.');
  }
  const active = tf.getBackend() === 'webgl';
  tf.removeBackend('webgl');
  tf.registerBackend('webgl', factory, 2); // the priority @tensorflow/tfjs-backend-webgl registers with
  if (active) await useBackend('webgl');
}
