/**
 * Every story: the elements registered, Storybook's controls and actions read from
 * custom-elements.json (and each element's reference page, from the same data), and a tfjs backend chosen in the toolbar (CPU by default: the same numbers
 * on every machine; WASM binaries are served from /tfjs-wasm/).
 */
import '@bagnet-vis/elements/define.js';
import { useBackend } from '@bagnet-vis/core';
import type { BackendName } from '@bagnet-vis/core';
import { setCustomElementsManifest } from '@storybook/web-components-vite';
import type { Preview } from '@storybook/web-components-vite';

import { ElementDocsPage } from '../stories/support/element-docs.js';
import { manifest } from '../stories/support/manifest.js';

setCustomElementsManifest(manifest);

const preview: Preview = {
  globalTypes: {
    backend: {
      description: 'The tfjs backend the models run on',
      toolbar: { title: 'Backend', icon: 'lightning', items: ['cpu', 'wasm', 'webgl', 'webgpu'], dynamicTitle: true },
    },
  },
  initialGlobals: { backend: 'cpu' },
  loaders: [
    async ({ globals }) => {
      const backend = (globals['backend'] as BackendName | undefined) ?? 'cpu';
      await useBackend(backend, { wasmPaths: new URL('tfjs-wasm/', document.baseURI).href });
      return {};
    },
  ],
  parameters: {
    controls: { expanded: true, sort: 'requiredFirst' },
    docs: { page: ElementDocsPage },
    layout: 'padded',
    options: {
      storySort: {
        order: [
          'Docs',
          ['Getting started', 'The science', 'API'],
          'Elements',
          ['bagnet-explainer', 'bagnet-heatmap', 'evidence-bar', 'patch-gallery'],
        ],
      },
    },
  },
};

export default preview;
