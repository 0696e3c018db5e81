/**
 * Storybook for the bagnet-vis web components: stories in docs/stories/, controls and each
 * element's reference page (autodocs) from packages/elements/custom-elements.json (see preview.ts). Build with `npm run docs` (docs/build.mjs
 * runs typedoc first: the API pages and the WASM binaries are served from docs/.cache/).
 */
import { fileURLToPath } from 'node:url';

import type { StorybookConfig } from '@storybook/web-components-vite';
import { defaultClientConditions } from 'vite';

import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../scripts/isolation.mjs';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const config: StorybookConfig = {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../stories/**/*.stories.ts'],
  // Autodocs: a reference page per element (tagged `autodocs`), see stories/support/element-docs.ts.
  addons: ['@storybook/addon-docs'],
  docs: { defaultName: 'Reference' },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  staticDirs: [
    // The default model and its sample images, as an app would serve them.
    { from: here('../../packages/models/default'), to: '/models/default' },
    { from: here('../../packages/models/samples'), to: '/models/samples' },
    // typedoc's HTML under /api/ and the tfjs WASM binaries under /tfjs-wasm/ (docs/build.mjs,
    // which names another folder in BAGNET_DOCS_GENERATED when it builds outside the repo).
    { from: process.env['BAGNET_DOCS_GENERATED'] ?? here('../.cache'), to: '/' },
  ],
  async viteFinal(vite) {
    // The workspace packages export their TypeScript sources under the `source` condition: no
    // `npm run build` is needed before the docs.
    vite.resolve = { ...vite.resolve, conditions: ['source', ...defaultClientConditions] };
    vite.build = { ...vite.build, chunkSizeWarningLimit: 4096 };
    // Cross-origin isolated, as under `npm start`: the WASM backend gets its threads.
    vite.server = { ...vite.server, headers: { ...vite.server?.headers, ...CROSS_ORIGIN_ISOLATION_HEADERS } };
    vite.preview = { ...vite.preview, headers: { ...vite.preview?.headers, ...CROSS_ORIGIN_ISOLATION_HEADERS } };
    return vite;
  },
};

export default config;
