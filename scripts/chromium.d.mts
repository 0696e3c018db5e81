/** Path of the Chromium binary for browser tests ($CHROME_PATH or Debian's /usr/bin/chromium). */
export function chromiumPath(): string;
/** Flags for every headless run here. */
export const CHROMIUM_FLAGS: readonly string[];
/** Extra flags that give WebGL and WebGPU a software (SwiftShader) adapter. */
export const SWIFTSHADER_FLAGS: readonly string[];
