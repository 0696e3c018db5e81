// @ts-check
/**
 * Headless Chromium for tests, benchmarks and screenshots: the binary ($CHROME_PATH, else Debian's
 * /usr/bin/chromium) and the flags that work on this kind of machine (no sandbox as root, no
 * background network traffic, WebGL and WebGPU on SwiftShader).
 */
import { existsSync } from 'node:fs';

/** Flags for every headless run here. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Extra flags that give WebGL and WebGPU a software (SwiftShader) adapter. */
export const SWIFTSHADER_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export function chromiumPath() {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  const found = candidates.find((p) => p && existsSync(p));
  if (found === undefined) {
    throw new Error(
      'Chromium not found: run `apt-get install -y chromium` (as root) or set CHROME_PATH to a Chrome/Chromium binary.',
    );
  }
  return found;
}
