/**
 * What draws behind tfjs's GPU backends: the WebGL renderer (its unmasked name, from
 * `WEBGL_debug_renderer_info`) and the WebGPU adapter. On laptops without a GPU driver, in VMs and
 * on remote desktops both are often software renderers (SwiftShader, llvmpipe, Microsoft Basic
 * Render Driver, WebGPU's fallback adapter), where a BagNet runs many times slower than on WASM.
 * No DOM access at module top level: every function checks that the API exists.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The renderer of a GPU backend. */
export interface GpuRenderer {
  readonly backend: 'webgl' | 'webgpu';
  /** WebGL: the unmasked (or masked) vendor; WebGPU: the adapter's vendor. */
  readonly vendor: string;
  /** WebGL: the unmasked renderer; WebGPU: the adapter's description, else architecture / device. */
  readonly renderer: string;
  /** Whether this is a CPU rasteriser rather than a GPU. */
  readonly software: boolean;
  /** The software renderer recognised, for messages: `SwiftShader`, `llvmpipe`, …. */
  readonly softwareName?: string;
}

/** Known software renderers, by a pattern of their renderer / adapter strings. */
const SOFTWARE_RENDERERS: readonly (readonly [RegExp, string])[] = [
  [/swiftshader|subzero/i, 'SwiftShader'],
  [/llvmpipe/i, 'llvmpipe'],
  [/softpipe/i, 'softpipe'],
  [/lavapipe/i, 'lavapipe'],
  [/microsoft basic render driver/i, 'Microsoft Basic Render Driver'],
  [/\bwarp\b/i, 'WARP'],
  [/software rasterizer|software renderer/i, 'a software rasteriser'],
];

/** The software renderer `text` names (a WebGL renderer string, WebGPU adapter info), if any. */
export function softwareRendererName(text: string): string | undefined {
  for (const [pattern, name] of SOFTWARE_RENDERERS) if (pattern.test(text)) return name;
  return undefined;
}

function describe(backend: 'webgl' | 'webgpu', vendor: string, renderer: string, fallback = false): GpuRenderer {
  const softwareName = softwareRendererName(`${vendor} ${renderer}`) ?? (fallback ? 'a fallback adapter' : undefined);
  return softwareName === undefined
    ? { backend, vendor, renderer, software: false }
    : { backend, vendor, renderer, software: true, softwareName };
}

/** Minimal view of the WebGL API this module reads. */
type GL = WebGLRenderingContext | WebGL2RenderingContext;

/** The renderer of a WebGL context: unmasked when the browser allows it. */
export function webglRenderer(gl: GL): GpuRenderer {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const vendor = String(gl.getParameter(info ? info.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  return describe('webgl', vendor, renderer);
}

/** The WebGL context of tfjs's webgl backend once it has started, if any. */
function tfjsWebGLContext(): GL | undefined {
  const webgl = (tf.engine() as unknown as { registry: Partial<Record<string, unknown>> }).registry['webgl'];
  return (webgl as { gpgpu?: { gl?: GL } } | undefined)?.gpgpu?.gl;
}

/** The renderer behind tfjs's webgl backend (started), else of a fresh context; undefined without WebGL. */
export function currentWebGLRenderer(): GpuRenderer | undefined {
  const gl = tfjsWebGLContext();
  if (gl !== undefined) return webglRenderer(gl);
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const canvas = new OffscreenCanvas(1, 1);
  const fresh = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as GL | null;
  if (fresh === null) return undefined;
  try {
    return webglRenderer(fresh);
  } finally {
    fresh.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** What this module reads of a GPUAdapter (`info` since Chrome 127, `isFallbackAdapter` before). */
interface AdapterLike {
  readonly info?: {
    readonly vendor?: string;
    readonly architecture?: string;
    readonly device?: string;
    readonly description?: string;
    readonly isFallbackAdapter?: boolean;
  };
  readonly isFallbackAdapter?: boolean;
}

/** The renderer of a WebGPU adapter. */
export function webgpuRenderer(adapter: AdapterLike): GpuRenderer {
  const info = adapter.info ?? {};
  const renderer =
    info.description || [info.architecture, info.device].filter((s) => s !== undefined && s !== '').join(' ');
  return describe(
    'webgpu',
    info.vendor ?? '',
    renderer,
    info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  );
}

/** The renderer of the WebGPU adapter tfjs would get (the same request), undefined without WebGPU. */
export async function currentWebGPURenderer(): Promise<GpuRenderer | undefined> {
  const gpu = (
    globalThis.navigator as { gpu?: { requestAdapter(o?: object): Promise<AdapterLike | null> } } | undefined
  )?.gpu;
  if (gpu === undefined) return undefined;
  let lowPower = false;
  try {
    lowPower = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
  } catch {
    /* the webgpu backend is not loaded: its flag is not registered, tfjs's default applies */
  }
  const power = lowPower ? 'low-power' : 'high-performance';
  const adapter = await gpu.requestAdapter({ powerPreference: power }).catch(() => null);
  return adapter === null ? undefined : webgpuRenderer(adapter);
}
