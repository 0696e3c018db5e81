// @ts-check
/**
 * The response headers that make a page cross-origin isolated (`crossOriginIsolated === true`),
 * which browsers require before they give a page SharedArrayBuffer — and with it WASM threads:
 * tfjs-backend-wasm then loads its threaded SIMD binary. Sent by `npm start` (scripts/serve-demo.ts),
 * the docs dev server (docs/.storybook/main.ts) and the benchmark pages. Under them every resource
 * must come from the same origin or opt in (CORS or `Cross-Origin-Resource-Policy: cross-origin`).
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
});
