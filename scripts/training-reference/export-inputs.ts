/**
 * Writes the inputs of the training case (test/helpers/training-case.ts) as JSON for the PyTorch
 * reference: `node --conditions=source --import tsx scripts/training-reference/export-inputs.ts
 * <out.json> [epochs]`. Run by reference.py; not needed by `npm test`.
 */
import { writeFileSync } from 'node:fs';

import { useBackend } from '@bagnet-vis/core';

import { createStripesNet, inputsDigest, trainingCaseInputs } from '../../test/helpers/training-case.js';

const [out, epochs = '6'] = process.argv.slice(2);
if (out === undefined) {
  console.error('usage: export-inputs.ts <out.json> [epochs]');
  process.exit(2);
}
await useBackend('cpu');
const net = createStripesNet();
try {
  const inputs = await trainingCaseInputs(net, Number(epochs));
  writeFileSync(out, JSON.stringify({ sha256: await inputsDigest(inputs), inputs }));
} finally {
  net.dispose();
}
