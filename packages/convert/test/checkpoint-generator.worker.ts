/**
 * Test helper worker: makes a full-size BagNet-33 checkpoint (73.5 MB) off the main thread, so
 * that the Long Tasks measurement of checkpoint-converter.browser.test.ts sees no generation work
 * and no garbage from it on the page. Posts back a Blob (shared by reference, not copied).
 */
import { bagnetArchitecture } from '@bagnet-vis/core';

import { seededStateDictZip } from '../../../test/bad-inputs/pickle-writer.js';
import { referenceStateDictShapes } from '../src/bagnet-weights.js';

self.addEventListener('message', () => {
  const shapes = referenceStateDictShapes(bagnetArchitecture({ q: 33 }));
  const bytes = seededStateDictZip(shapes);
  self.postMessage({ blob: new Blob([bytes as Uint8Array<ArrayBuffer>]), tensors: shapes.size });
});
